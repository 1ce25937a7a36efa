CREATE TABLE "receivables_ageing_reports" (
	"as_of" date PRIMARY KEY NOT NULL,
	"currencies" jsonb NOT NULL,
	"workflow_id" text,
	"run_id" text,
	"generated_at" timestamp with time zone DEFAULT now() NOT NULL
);
