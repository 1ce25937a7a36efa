CREATE TABLE "event_routes" (
	"event_source" text NOT NULL,
	"event_id" text NOT NULL,
	"event_seq" bigint NOT NULL,
	"workflow_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"run_id" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"routed_at" timestamp with time zone,
	CONSTRAINT "event_routes_event_source_event_id_pk" PRIMARY KEY("event_source","event_id"),
	CONSTRAINT "event_routes_status_check" CHECK ("event_routes"."status" in ('pending', 'delivered', 'failed')),
	CONSTRAINT "event_routes_delivered_has_run" CHECK ("event_routes"."status" <> 'delivered' or "event_routes"."run_id" is not null)
);
--> statement-breakpoint
CREATE TABLE "events" (
	"source" text NOT NULL,
	"id" text NOT NULL,
	"seq" bigserial NOT NULL,
	"type" text NOT NULL,
	"type_version" integer NOT NULL,
	"spec_version" text NOT NULL,
	"subject" text,
	"time" timestamp with time zone,
	"data_schema" text,
	"data" jsonb NOT NULL,
	"correlation_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_source_id_pk" PRIMARY KEY("source","id"),
	CONSTRAINT "events_seq_unique" UNIQUE("seq")
);
--> statement-breakpoint
CREATE TABLE "stock_levels" (
	"sku" text PRIMARY KEY NOT NULL,
	"on_hand" integer DEFAULT 0 NOT NULL,
	"reserved" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_levels_on_hand_non_negative" CHECK ("stock_levels"."on_hand" >= 0),
	CONSTRAINT "stock_levels_reserved_non_negative" CHECK ("stock_levels"."reserved" >= 0),
	CONSTRAINT "stock_levels_reserved_le_on_hand" CHECK ("stock_levels"."reserved" <= "stock_levels"."on_hand")
);
--> statement-breakpoint
CREATE TABLE "stock_movements" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sku" text NOT NULL,
	"delta" integer NOT NULL,
	"on_hand_after" integer NOT NULL,
	"reason" text NOT NULL,
	"causation_source" text NOT NULL,
	"causation_id" text NOT NULL,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_movements_causation_unique" UNIQUE("causation_source","causation_id"),
	CONSTRAINT "stock_movements_on_hand_after_non_negative" CHECK ("stock_movements"."on_hand_after" >= 0)
);
--> statement-breakpoint
CREATE TABLE "idempotency_records" (
	"key" text PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"outcome" jsonb NOT NULL,
	"causation_source" text,
	"causation_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "event_routes" ADD CONSTRAINT "event_routes_event_source_event_id_events_source_id_fk" FOREIGN KEY ("event_source","event_id") REFERENCES "public"."events"("source","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_sku_stock_levels_sku_fk" FOREIGN KEY ("sku") REFERENCES "public"."stock_levels"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "event_routes_pending_idx" ON "event_routes" USING btree ("workflow_id","event_seq") WHERE "event_routes"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "events_type_received_idx" ON "events" USING btree ("type","received_at");--> statement-breakpoint
CREATE INDEX "events_correlation_idx" ON "events" USING btree ("correlation_id");--> statement-breakpoint
CREATE INDEX "stock_movements_sku_idx" ON "stock_movements" USING btree ("sku","id");