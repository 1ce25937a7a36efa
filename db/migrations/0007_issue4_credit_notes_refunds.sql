CREATE TABLE "credit_notes" (
	"credit_note_number" text PRIMARY KEY NOT NULL,
	"invoice_number" text NOT NULL,
	"order_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"currency" char(3) NOT NULL,
	"subtotal" bigint NOT NULL,
	"tax" bigint DEFAULT 0 NOT NULL,
	"total" bigint NOT NULL,
	"reason" text NOT NULL,
	"journal_entry_id" bigint,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "credit_notes_invoice_unique" UNIQUE("invoice_number"),
	CONSTRAINT "credit_notes_currency_check" CHECK ("credit_notes"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "credit_notes_subtotal_non_negative" CHECK ("credit_notes"."subtotal" >= 0),
	CONSTRAINT "credit_notes_tax_non_negative" CHECK ("credit_notes"."tax" >= 0),
	CONSTRAINT "credit_notes_total_is_subtotal_plus_tax" CHECK ("credit_notes"."total" = "credit_notes"."subtotal" + "credit_notes"."tax"),
	CONSTRAINT "credit_notes_causation_pair" CHECK (("credit_notes"."causation_source" is null) = ("credit_notes"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"refund_id" text PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"order_id" text,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"reason" text NOT NULL,
	"journal_entry_id" bigint,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "refunds_currency_check" CHECK ("refunds"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "refunds_amount_positive" CHECK ("refunds"."amount" > 0),
	CONSTRAINT "refunds_causation_pair" CHECK (("refunds"."causation_source" is null) = ("refunds"."causation_id" is null))
);
--> statement-breakpoint
ALTER TABLE "credit_notes" ADD CONSTRAINT "credit_notes_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_notes" ADD CONSTRAINT "credit_notes_journal_entry_id_journal_entries_id_fk" FOREIGN KEY ("journal_entry_id") REFERENCES "public"."journal_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_notes" ADD CONSTRAINT "credit_notes_invoice_fk" FOREIGN KEY ("invoice_number","currency") REFERENCES "public"."invoices"("invoice_number","currency") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_journal_entry_id_journal_entries_id_fk" FOREIGN KEY ("journal_entry_id") REFERENCES "public"."journal_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_payment_fk" FOREIGN KEY ("payment_id","currency") REFERENCES "public"."payments"("payment_id","currency") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "refunds_payment_idx" ON "refunds" USING btree ("payment_id");