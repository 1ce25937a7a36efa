CREATE TABLE "replay_plan_items" (
	"plan_id" text NOT NULL,
	"position" integer NOT NULL,
	"item_key" text NOT NULL,
	"kind" text NOT NULL,
	"why" text NOT NULL,
	"target" jsonb NOT NULL,
	CONSTRAINT "replay_plan_items_plan_id_position_pk" PRIMARY KEY("plan_id","position"),
	CONSTRAINT "replay_plan_items_kind_check" CHECK ("replay_plan_items"."kind" in ('redrive', 'reset'))
);
--> statement-breakpoint
CREATE TABLE "replay_plans" (
	"id" text PRIMARY KEY NOT NULL,
	"created_by" text NOT NULL,
	"predicate" jsonb NOT NULL,
	"counts" jsonb NOT NULL,
	"skipped" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"truncated" boolean DEFAULT false NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "replay_run_items" (
	"run_id" text NOT NULL,
	"position" integer NOT NULL,
	"item_key" text NOT NULL,
	"kind" text NOT NULL,
	"outcome" text NOT NULL,
	"detail" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "replay_run_items_run_id_position_pk" PRIMARY KEY("run_id","position"),
	CONSTRAINT "replay_run_items_outcome_check" CHECK ("replay_run_items"."outcome" in ('redriven', 'reset', 'skipped_already_done', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "replay_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"plan_id" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"started_by" text NOT NULL,
	"total" integer NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"workflow_id" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"error" text,
	CONSTRAINT "replay_runs_plan_id_unique" UNIQUE("plan_id"),
	CONSTRAINT "replay_runs_status_check" CHECK ("replay_runs"."status" in ('running', 'completed', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "replay_plan_items" ADD CONSTRAINT "replay_plan_items_plan_id_replay_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."replay_plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replay_run_items" ADD CONSTRAINT "replay_run_items_run_id_replay_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."replay_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replay_runs" ADD CONSTRAINT "replay_runs_plan_id_replay_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."replay_plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "replay_plans_created_idx" ON "replay_plans" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "replay_runs_started_idx" ON "replay_runs" USING btree ("started_at","id");