ALTER TABLE "payments" ADD COLUMN "exception_detail" jsonb;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "exception_raised_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "escalated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "reviewed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "reviewed_by" text;