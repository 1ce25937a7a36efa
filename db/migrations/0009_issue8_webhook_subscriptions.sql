CREATE TABLE "webhook_subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"url" text NOT NULL,
	"event_types" text[] DEFAULT '{}'::text[] NOT NULL,
	"description" text,
	"secret" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"disabled_reason" text,
	"disabled_at" timestamp with time zone,
	"cursor_seq" bigint DEFAULT 0 NOT NULL,
	"open_gaps" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_subscriptions_status_check" CHECK ("webhook_subscriptions"."status" in ('active', 'disabled')),
	CONSTRAINT "webhook_subscriptions_url_check" CHECK ("webhook_subscriptions"."url" ~ '^https?://'),
	CONSTRAINT "webhook_subscriptions_disabled_has_time" CHECK ("webhook_subscriptions"."status" <> 'disabled' or "webhook_subscriptions"."disabled_at" is not null)
);
--> statement-breakpoint
CREATE INDEX "outbox_deliveries_destination_idx" ON "outbox_deliveries" USING btree ("destination","created_at");