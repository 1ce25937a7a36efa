CREATE TABLE "lineage_effects" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"tx_id" bigint NOT NULL,
	"table_name" text NOT NULL,
	"row_key" jsonb NOT NULL,
	"operation" text NOT NULL,
	"changes" jsonb NOT NULL,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text,
	"workflow_id" text,
	"run_id" text,
	"activity_type" text,
	"activity_attempt" integer,
	CONSTRAINT "lineage_effects_operation_check" CHECK ("lineage_effects"."operation" in ('insert', 'update', 'delete'))
);
--> statement-breakpoint
CREATE INDEX "lineage_effects_correlation_idx" ON "lineage_effects" USING btree ("correlation_id","id");--> statement-breakpoint
CREATE INDEX "lineage_effects_workflow_idx" ON "lineage_effects" USING btree ("workflow_id","id");--> statement-breakpoint
CREATE INDEX "event_routes_workflow_idx" ON "event_routes" USING btree ("workflow_id","event_seq");--> statement-breakpoint
CREATE INDEX "outbox_correlation_idx" ON "outbox" USING btree ("correlation_id");