CREATE TABLE "http_idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" text DEFAULT 'in_progress' NOT NULL,
	"response_status" integer,
	"response_body" jsonb,
	"response_headers" jsonb,
	"locked_until" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "http_idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key"),
	CONSTRAINT "http_idempotency_status_check" CHECK ("http_idempotency_keys"."status" in ('in_progress', 'completed')),
	CONSTRAINT "http_idempotency_completed_has_response" CHECK ("http_idempotency_keys"."status" <> 'completed' or ("http_idempotency_keys"."response_status" is not null and "http_idempotency_keys"."completed_at" is not null))
);
--> statement-breakpoint
CREATE INDEX "http_idempotency_expires_idx" ON "http_idempotency_keys" USING btree ("expires_at");