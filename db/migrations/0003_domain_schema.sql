CREATE TABLE "reservations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"sku" text NOT NULL,
	"quantity" integer NOT NULL,
	"status" text DEFAULT 'reserved' NOT NULL,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reservations_order_sku_unique" UNIQUE("order_id","sku"),
	CONSTRAINT "reservations_quantity_positive" CHECK ("reservations"."quantity" > 0),
	CONSTRAINT "reservations_status_check" CHECK ("reservations"."status" in ('reserved', 'released', 'shipped')),
	CONSTRAINT "reservations_causation_pair" CHECK (("reservations"."causation_source" is null) = ("reservations"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "customers" (
	"customer_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"credit_limit" bigint DEFAULT 0 NOT NULL,
	"currency" char(3) NOT NULL,
	"payment_terms_days" integer DEFAULT 30 NOT NULL,
	"consent" boolean DEFAULT false NOT NULL,
	"quiet_hours_start" text,
	"quiet_hours_end" text,
	"time_zone" text,
	"version_event_seq" bigint NOT NULL,
	"causation_source" text NOT NULL,
	"causation_id" text NOT NULL,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customers_credit_limit_non_negative" CHECK ("customers"."credit_limit" >= 0),
	CONSTRAINT "customers_currency_check" CHECK ("customers"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "customers_payment_terms_days_range" CHECK ("customers"."payment_terms_days" between 0 and 365),
	CONSTRAINT "customers_quiet_hours_format" CHECK (("customers"."quiet_hours_start" is null or "customers"."quiet_hours_start" ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$') and ("customers"."quiet_hours_end" is null or "customers"."quiet_hours_end" ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$')),
	CONSTRAINT "customers_quiet_hours_pair" CHECK (("customers"."quiet_hours_start" is null) = ("customers"."quiet_hours_end" is null)),
	CONSTRAINT "customers_version_event_seq_non_negative" CHECK ("customers"."version_event_seq" >= 0)
);
--> statement-breakpoint
CREATE TABLE "suppliers" (
	"supplier_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"currency" char(3),
	"lead_time_days" integer DEFAULT 0 NOT NULL,
	"min_order_quantity" integer DEFAULT 1 NOT NULL,
	"version_event_seq" bigint NOT NULL,
	"causation_source" text NOT NULL,
	"causation_id" text NOT NULL,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "suppliers_currency_check" CHECK ("suppliers"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "suppliers_lead_time_days_non_negative" CHECK ("suppliers"."lead_time_days" >= 0),
	CONSTRAINT "suppliers_min_order_quantity_positive" CHECK ("suppliers"."min_order_quantity" >= 1),
	CONSTRAINT "suppliers_version_event_seq_non_negative" CHECK ("suppliers"."version_event_seq" >= 0)
);
--> statement-breakpoint
CREATE TABLE "products" (
	"sku" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"unit_price" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"supplier_id" text,
	"active" boolean DEFAULT true NOT NULL,
	"version_event_seq" bigint NOT NULL,
	"causation_source" text NOT NULL,
	"causation_id" text NOT NULL,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "products_unit_price_non_negative" CHECK ("products"."unit_price" >= 0),
	CONSTRAINT "products_currency_check" CHECK ("products"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "products_version_event_seq_non_negative" CHECK ("products"."version_event_seq" >= 0)
);
--> statement-breakpoint
CREATE TABLE "reorder_settings" (
	"sku" text PRIMARY KEY NOT NULL,
	"reorder_point" integer NOT NULL,
	"order_up_to" integer NOT NULL,
	"pack_multiple" integer DEFAULT 1 NOT NULL,
	"min_order_quantity" integer DEFAULT 1 NOT NULL,
	"lead_time_days" integer DEFAULT 0 NOT NULL,
	"supplier_id" text,
	"version_event_seq" bigint NOT NULL,
	"causation_source" text NOT NULL,
	"causation_id" text NOT NULL,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reorder_settings_reorder_point_non_negative" CHECK ("reorder_settings"."reorder_point" >= 0),
	CONSTRAINT "reorder_settings_order_up_to_above_reorder_point" CHECK ("reorder_settings"."order_up_to" > "reorder_settings"."reorder_point"),
	CONSTRAINT "reorder_settings_pack_multiple_positive" CHECK ("reorder_settings"."pack_multiple" >= 1),
	CONSTRAINT "reorder_settings_min_order_quantity_positive" CHECK ("reorder_settings"."min_order_quantity" >= 1),
	CONSTRAINT "reorder_settings_lead_time_days_non_negative" CHECK ("reorder_settings"."lead_time_days" >= 0),
	CONSTRAINT "reorder_settings_version_event_seq_non_negative" CHECK ("reorder_settings"."version_event_seq" >= 0)
);
--> statement-breakpoint
CREATE TABLE "sales_order_lines" (
	"order_id" text NOT NULL,
	"line_no" integer NOT NULL,
	"sku" text NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price" bigint NOT NULL,
	"line_total" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	CONSTRAINT "sales_order_lines_order_id_line_no_pk" PRIMARY KEY("order_id","line_no"),
	CONSTRAINT "sales_order_lines_line_no_positive" CHECK ("sales_order_lines"."line_no" >= 1),
	CONSTRAINT "sales_order_lines_quantity_positive" CHECK ("sales_order_lines"."quantity" > 0),
	CONSTRAINT "sales_order_lines_unit_price_non_negative" CHECK ("sales_order_lines"."unit_price" >= 0),
	CONSTRAINT "sales_order_lines_line_total_check" CHECK ("sales_order_lines"."line_total" = "sales_order_lines"."quantity" * "sales_order_lines"."unit_price"),
	CONSTRAINT "sales_order_lines_currency_check" CHECK ("sales_order_lines"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "sales_orders" (
	"order_id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"status" text DEFAULT 'received' NOT NULL,
	"currency" char(3) NOT NULL,
	"subtotal" bigint NOT NULL,
	"tax" bigint DEFAULT 0 NOT NULL,
	"total" bigint NOT NULL,
	"amount_paid" bigint DEFAULT 0 NOT NULL,
	"payment_terms_days" integer DEFAULT 30 NOT NULL,
	"backorder_policy" text DEFAULT 'ship_available' NOT NULL,
	"status_reason" text,
	"workflow_id" text,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sales_orders_order_currency_unique" UNIQUE("order_id","currency"),
	CONSTRAINT "sales_orders_status_check" CHECK ("sales_orders"."status" in ('received', 'on_credit_hold', 'reserving', 'backordered', 'invoiced', 'partially_paid', 'paid', 'fulfilled', 'shipped', 'completed', 'cancelled')),
	CONSTRAINT "sales_orders_backorder_policy_check" CHECK ("sales_orders"."backorder_policy" in ('cancel', 'ship_available')),
	CONSTRAINT "sales_orders_currency_check" CHECK ("sales_orders"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "sales_orders_subtotal_non_negative" CHECK ("sales_orders"."subtotal" >= 0),
	CONSTRAINT "sales_orders_tax_non_negative" CHECK ("sales_orders"."tax" >= 0),
	CONSTRAINT "sales_orders_total_non_negative" CHECK ("sales_orders"."total" >= 0),
	CONSTRAINT "sales_orders_total_is_subtotal_plus_tax" CHECK ("sales_orders"."total" = "sales_orders"."subtotal" + "sales_orders"."tax"),
	CONSTRAINT "sales_orders_amount_paid_non_negative" CHECK ("sales_orders"."amount_paid" >= 0),
	CONSTRAINT "sales_orders_amount_paid_le_total" CHECK ("sales_orders"."amount_paid" <= "sales_orders"."total"),
	CONSTRAINT "sales_orders_payment_terms_days_range" CHECK ("sales_orders"."payment_terms_days" between 0 and 365),
	CONSTRAINT "sales_orders_causation_pair" CHECK (("sales_orders"."causation_source" is null) = ("sales_orders"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "invoice_lines" (
	"invoice_number" text NOT NULL,
	"line_no" integer NOT NULL,
	"sku" text NOT NULL,
	"description" text,
	"quantity" integer NOT NULL,
	"unit_price" bigint NOT NULL,
	"line_total" bigint NOT NULL,
	"tax" bigint DEFAULT 0 NOT NULL,
	"currency" char(3) NOT NULL,
	CONSTRAINT "invoice_lines_invoice_number_line_no_pk" PRIMARY KEY("invoice_number","line_no"),
	CONSTRAINT "invoice_lines_line_no_positive" CHECK ("invoice_lines"."line_no" >= 1),
	CONSTRAINT "invoice_lines_quantity_positive" CHECK ("invoice_lines"."quantity" > 0),
	CONSTRAINT "invoice_lines_unit_price_non_negative" CHECK ("invoice_lines"."unit_price" >= 0),
	CONSTRAINT "invoice_lines_line_total_check" CHECK ("invoice_lines"."line_total" = "invoice_lines"."quantity" * "invoice_lines"."unit_price"),
	CONSTRAINT "invoice_lines_tax_non_negative" CHECK ("invoice_lines"."tax" >= 0),
	CONSTRAINT "invoice_lines_currency_check" CHECK ("invoice_lines"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "invoices" (
	"invoice_number" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"currency" char(3) NOT NULL,
	"subtotal" bigint NOT NULL,
	"tax" bigint DEFAULT 0 NOT NULL,
	"total" bigint NOT NULL,
	"amount_paid" bigint DEFAULT 0 NOT NULL,
	"amount_written_off" bigint DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"issued_on" date NOT NULL,
	"due_date" date NOT NULL,
	"dunning_level" integer DEFAULT 0 NOT NULL,
	"last_dunned_at" timestamp with time zone,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "invoices_order_unique" UNIQUE("order_id"),
	CONSTRAINT "invoices_number_currency_unique" UNIQUE("invoice_number","currency"),
	CONSTRAINT "invoices_status_check" CHECK ("invoices"."status" in ('open', 'partially_paid', 'paid', 'void')),
	CONSTRAINT "invoices_currency_check" CHECK ("invoices"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "invoices_subtotal_non_negative" CHECK ("invoices"."subtotal" >= 0),
	CONSTRAINT "invoices_tax_non_negative" CHECK ("invoices"."tax" >= 0),
	CONSTRAINT "invoices_total_is_subtotal_plus_tax" CHECK ("invoices"."total" = "invoices"."subtotal" + "invoices"."tax"),
	CONSTRAINT "invoices_amount_paid_non_negative" CHECK ("invoices"."amount_paid" >= 0),
	CONSTRAINT "invoices_amount_paid_le_total" CHECK ("invoices"."amount_paid" <= "invoices"."total"),
	CONSTRAINT "invoices_amount_written_off_non_negative" CHECK ("invoices"."amount_written_off" >= 0),
	CONSTRAINT "invoices_settled_le_total" CHECK ("invoices"."amount_paid" + "invoices"."amount_written_off" <= "invoices"."total"),
	CONSTRAINT "invoices_due_date_not_before_issue" CHECK ("invoices"."due_date" >= "invoices"."issued_on"),
	CONSTRAINT "invoices_dunning_level_range" CHECK ("invoices"."dunning_level" between 0 and 3),
	CONSTRAINT "invoices_causation_pair" CHECK (("invoices"."causation_source" is null) = ("invoices"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "journal_entries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"description" text NOT NULL,
	"currency" char(3) NOT NULL,
	"reverses_entry_id" bigint,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "journal_entries_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "journal_entries_reverses_entry_unique" UNIQUE("reverses_entry_id"),
	CONSTRAINT "journal_entries_id_currency_unique" UNIQUE("id","currency"),
	CONSTRAINT "journal_entries_not_self_reversing" CHECK ("journal_entries"."reverses_entry_id" <> "journal_entries"."id"),
	CONSTRAINT "journal_entries_currency_check" CHECK ("journal_entries"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "journal_entries_causation_pair" CHECK (("journal_entries"."causation_source" is null) = ("journal_entries"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "journal_lines" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"entry_id" bigint NOT NULL,
	"account_code" text NOT NULL,
	"currency" char(3) NOT NULL,
	"debit" bigint DEFAULT 0 NOT NULL,
	"credit" bigint DEFAULT 0 NOT NULL,
	"memo" text,
	"order_id" text,
	"invoice_number" text,
	"payment_id" text,
	"purchase_order_id" text,
	CONSTRAINT "journal_lines_debit_non_negative" CHECK ("journal_lines"."debit" >= 0),
	CONSTRAINT "journal_lines_credit_non_negative" CHECK ("journal_lines"."credit" >= 0),
	CONSTRAINT "journal_lines_one_side" CHECK (("journal_lines"."debit" > 0 and "journal_lines"."credit" = 0) or ("journal_lines"."credit" > 0 and "journal_lines"."debit" = 0)),
	CONSTRAINT "journal_lines_currency_check" CHECK ("journal_lines"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "ledger_accounts" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	CONSTRAINT "ledger_accounts_type_check" CHECK ("ledger_accounts"."type" in ('asset', 'liability', 'equity', 'revenue', 'expense')),
	CONSTRAINT "ledger_accounts_code_format" CHECK ("ledger_accounts"."code" ~ '^[0-9]{4}$')
);
--> statement-breakpoint
CREATE TABLE "payment_allocations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"invoice_number" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"match_rule" text,
	"reversal_reason" text,
	"reversed_at" timestamp with time zone,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_allocations_status_check" CHECK ("payment_allocations"."status" in ('active', 'reversed')),
	CONSTRAINT "payment_allocations_currency_check" CHECK ("payment_allocations"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "payment_allocations_amount_positive" CHECK ("payment_allocations"."amount" > 0),
	CONSTRAINT "payment_allocations_reversal_has_reason" CHECK ("payment_allocations"."status" <> 'reversed' or "payment_allocations"."reversal_reason" is not null),
	CONSTRAINT "payment_allocations_causation_pair" CHECK (("payment_allocations"."causation_source" is null) = ("payment_allocations"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"payment_id" text PRIMARY KEY NOT NULL,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"customer_id" text,
	"payer_name" text,
	"reference" text,
	"received_at" timestamp with time zone NOT NULL,
	"method" text NOT NULL,
	"status" text DEFAULT 'unallocated' NOT NULL,
	"amount_allocated" bigint DEFAULT 0 NOT NULL,
	"exception_reason" text,
	"proposed_invoice_number" text,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_id_currency_unique" UNIQUE("payment_id","currency"),
	CONSTRAINT "payments_status_check" CHECK ("payments"."status" in ('unallocated', 'partially_allocated', 'allocated', 'exception', 'refunded')),
	CONSTRAINT "payments_currency_check" CHECK ("payments"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "payments_amount_positive" CHECK ("payments"."amount" > 0),
	CONSTRAINT "payments_amount_allocated_non_negative" CHECK ("payments"."amount_allocated" >= 0),
	CONSTRAINT "payments_amount_allocated_le_amount" CHECK ("payments"."amount_allocated" <= "payments"."amount"),
	CONSTRAINT "payments_causation_pair" CHECK (("payments"."causation_source" is null) = ("payments"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "goods_receipt_lines" (
	"receipt_id" text NOT NULL,
	"purchase_order_id" text NOT NULL,
	"line_no" integer NOT NULL,
	"quantity" integer NOT NULL,
	CONSTRAINT "goods_receipt_lines_receipt_id_line_no_pk" PRIMARY KEY("receipt_id","line_no"),
	CONSTRAINT "goods_receipt_lines_quantity_positive" CHECK ("goods_receipt_lines"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "goods_receipts" (
	"receipt_id" text PRIMARY KEY NOT NULL,
	"purchase_order_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "goods_receipts_receipt_order_unique" UNIQUE("receipt_id","purchase_order_id"),
	CONSTRAINT "goods_receipts_causation_pair" CHECK (("goods_receipts"."causation_source" is null) = ("goods_receipts"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "purchase_order_lines" (
	"purchase_order_id" text NOT NULL,
	"line_no" integer NOT NULL,
	"sku" text NOT NULL,
	"quantity" integer NOT NULL,
	"received" integer DEFAULT 0 NOT NULL,
	"over_receipt_tolerance" integer DEFAULT 0 NOT NULL,
	"unit_cost" bigint,
	"currency" char(3) NOT NULL,
	CONSTRAINT "purchase_order_lines_purchase_order_id_line_no_pk" PRIMARY KEY("purchase_order_id","line_no"),
	CONSTRAINT "purchase_order_lines_line_no_positive" CHECK ("purchase_order_lines"."line_no" >= 1),
	CONSTRAINT "purchase_order_lines_quantity_positive" CHECK ("purchase_order_lines"."quantity" > 0),
	CONSTRAINT "purchase_order_lines_received_non_negative" CHECK ("purchase_order_lines"."received" >= 0),
	CONSTRAINT "purchase_order_lines_tolerance_non_negative" CHECK ("purchase_order_lines"."over_receipt_tolerance" >= 0),
	CONSTRAINT "purchase_order_lines_received_within_tolerance" CHECK ("purchase_order_lines"."received" <= "purchase_order_lines"."quantity" + "purchase_order_lines"."over_receipt_tolerance"),
	CONSTRAINT "purchase_order_lines_unit_cost_non_negative" CHECK ("purchase_order_lines"."unit_cost" >= 0),
	CONSTRAINT "purchase_order_lines_currency_check" CHECK ("purchase_order_lines"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "purchase_orders" (
	"purchase_order_id" text PRIMARY KEY NOT NULL,
	"supplier_id" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"currency" char(3) NOT NULL,
	"expected_date" date,
	"sent_at" timestamp with time zone,
	"confirmed_at" timestamp with time zone,
	"workflow_id" text,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "purchase_orders_id_currency_unique" UNIQUE("purchase_order_id","currency"),
	CONSTRAINT "purchase_orders_status_check" CHECK ("purchase_orders"."status" in ('draft', 'sent', 'confirmed', 'partially_received', 'received', 'closed', 'cancelled')),
	CONSTRAINT "purchase_orders_currency_check" CHECK ("purchase_orders"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "purchase_orders_causation_pair" CHECK (("purchase_orders"."causation_source" is null) = ("purchase_orders"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "crm_interactions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"interaction_key" text NOT NULL,
	"customer_id" text NOT NULL,
	"ticket_id" text,
	"kind" text NOT NULL,
	"channel" text,
	"direction" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"summary" text,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "crm_interactions_interaction_key_unique" UNIQUE("interaction_key"),
	CONSTRAINT "crm_interactions_direction_check" CHECK ("crm_interactions"."direction" in ('inbound', 'outbound')),
	CONSTRAINT "crm_interactions_causation_pair" CHECK (("crm_interactions"."causation_source" is null) = ("crm_interactions"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "crm_tasks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"task_key" text NOT NULL,
	"customer_id" text,
	"ticket_id" text,
	"order_id" text,
	"purchase_order_id" text,
	"type" text NOT NULL,
	"title" text,
	"status" text DEFAULT 'open' NOT NULL,
	"due_at" timestamp with time zone,
	"assignee" text,
	"completed_at" timestamp with time zone,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "crm_tasks_task_key_unique" UNIQUE("task_key"),
	CONSTRAINT "crm_tasks_status_check" CHECK ("crm_tasks"."status" in ('open', 'done', 'cancelled')),
	CONSTRAINT "crm_tasks_causation_pair" CHECK (("crm_tasks"."causation_source" is null) = ("crm_tasks"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "crm_tickets" (
	"ticket_id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"channel" text NOT NULL,
	"subject" text NOT NULL,
	"priority" text DEFAULT 'normal' NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"assignee" text,
	"first_response_due_at" timestamp with time zone NOT NULL,
	"resolution_due_at" timestamp with time zone NOT NULL,
	"first_responded_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "crm_tickets_priority_check" CHECK ("crm_tickets"."priority" in ('urgent', 'high', 'normal', 'low')),
	CONSTRAINT "crm_tickets_status_check" CHECK ("crm_tickets"."status" in ('open', 'awaiting_customer', 'escalated', 'resolved', 'reopened', 'closed')),
	CONSTRAINT "crm_tickets_causation_pair" CHECK (("crm_tickets"."causation_source" is null) = ("crm_tickets"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "customer_contacts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"contact_key" text NOT NULL,
	"kind" text NOT NULL,
	"contacted_at" timestamp with time zone NOT NULL,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customer_contacts_contact_key_unique" UNIQUE("contact_key"),
	CONSTRAINT "customer_contacts_causation_pair" CHECK (("customer_contacts"."causation_source" is null) = ("customer_contacts"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigserial NOT NULL,
	"aggregate_type" text NOT NULL,
	"aggregate_id" text NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"idempotency_key" text,
	"causation_source" text,
	"causation_id" text,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outbox_seq_unique" UNIQUE("seq"),
	CONSTRAINT "outbox_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "outbox_causation_pair" CHECK (("outbox"."causation_source" is null) = ("outbox"."causation_id" is null))
);
--> statement-breakpoint
CREATE TABLE "outbox_deliveries" (
	"outbox_id" uuid NOT NULL,
	"destination" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"next_attempt_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outbox_deliveries_outbox_id_destination_pk" PRIMARY KEY("outbox_id","destination"),
	CONSTRAINT "outbox_deliveries_status_check" CHECK ("outbox_deliveries"."status" in ('pending', 'delivered', 'failed')),
	CONSTRAINT "outbox_deliveries_attempts_non_negative" CHECK ("outbox_deliveries"."attempts" >= 0),
	CONSTRAINT "outbox_deliveries_delivered_has_time" CHECK ("outbox_deliveries"."status" <> 'delivered' or "outbox_deliveries"."delivered_at" is not null)
);
--> statement-breakpoint
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_order_id_sales_orders_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."sales_orders"("order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_sku_stock_levels_sku_fk" FOREIGN KEY ("sku") REFERENCES "public"."stock_levels"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_order_lines" ADD CONSTRAINT "sales_order_lines_order_fk" FOREIGN KEY ("order_id","currency") REFERENCES "public"."sales_orders"("order_id","currency") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_orders" ADD CONSTRAINT "sales_orders_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_invoice_fk" FOREIGN KEY ("invoice_number","currency") REFERENCES "public"."invoices"("invoice_number","currency") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_order_fk" FOREIGN KEY ("order_id","currency") REFERENCES "public"."sales_orders"("order_id","currency") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "journal_entries" ADD CONSTRAINT "journal_entries_reverses_entry_id_journal_entries_id_fk" FOREIGN KEY ("reverses_entry_id") REFERENCES "public"."journal_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "journal_lines" ADD CONSTRAINT "journal_lines_account_code_ledger_accounts_code_fk" FOREIGN KEY ("account_code") REFERENCES "public"."ledger_accounts"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "journal_lines" ADD CONSTRAINT "journal_lines_order_id_sales_orders_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."sales_orders"("order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "journal_lines" ADD CONSTRAINT "journal_lines_invoice_number_invoices_invoice_number_fk" FOREIGN KEY ("invoice_number") REFERENCES "public"."invoices"("invoice_number") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "journal_lines" ADD CONSTRAINT "journal_lines_payment_id_payments_payment_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("payment_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "journal_lines" ADD CONSTRAINT "journal_lines_entry_fk" FOREIGN KEY ("entry_id","currency") REFERENCES "public"."journal_entries"("id","currency") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "journal_lines" ADD CONSTRAINT "journal_lines_purchase_order_fk" FOREIGN KEY ("purchase_order_id") REFERENCES "public"."purchase_orders"("purchase_order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_allocations" ADD CONSTRAINT "payment_allocations_payment_fk" FOREIGN KEY ("payment_id","currency") REFERENCES "public"."payments"("payment_id","currency") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_allocations" ADD CONSTRAINT "payment_allocations_invoice_fk" FOREIGN KEY ("invoice_number","currency") REFERENCES "public"."invoices"("invoice_number","currency") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "goods_receipt_lines" ADD CONSTRAINT "goods_receipt_lines_receipt_fk" FOREIGN KEY ("receipt_id","purchase_order_id") REFERENCES "public"."goods_receipts"("receipt_id","purchase_order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "goods_receipt_lines" ADD CONSTRAINT "goods_receipt_lines_order_line_fk" FOREIGN KEY ("purchase_order_id","line_no") REFERENCES "public"."purchase_order_lines"("purchase_order_id","line_no") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "goods_receipts" ADD CONSTRAINT "goods_receipts_purchase_order_fk" FOREIGN KEY ("purchase_order_id") REFERENCES "public"."purchase_orders"("purchase_order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "purchase_order_lines" ADD CONSTRAINT "purchase_order_lines_order_fk" FOREIGN KEY ("purchase_order_id","currency") REFERENCES "public"."purchase_orders"("purchase_order_id","currency") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "purchase_orders" ADD CONSTRAINT "purchase_orders_supplier_id_suppliers_supplier_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("supplier_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_interactions" ADD CONSTRAINT "crm_interactions_ticket_id_crm_tickets_ticket_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."crm_tickets"("ticket_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_tasks" ADD CONSTRAINT "crm_tasks_ticket_id_crm_tickets_ticket_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."crm_tickets"("ticket_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_tasks" ADD CONSTRAINT "crm_tasks_order_id_sales_orders_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."sales_orders"("order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_tasks" ADD CONSTRAINT "crm_tasks_purchase_order_fk" FOREIGN KEY ("purchase_order_id") REFERENCES "public"."purchase_orders"("purchase_order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbox_deliveries" ADD CONSTRAINT "outbox_deliveries_outbox_id_outbox_id_fk" FOREIGN KEY ("outbox_id") REFERENCES "public"."outbox"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reservations_sku_idx" ON "reservations" USING btree ("sku","status");--> statement-breakpoint
CREATE INDEX "sales_order_lines_sku_idx" ON "sales_order_lines" USING btree ("sku");--> statement-breakpoint
CREATE INDEX "sales_orders_customer_idx" ON "sales_orders" USING btree ("customer_id","status");--> statement-breakpoint
CREATE INDEX "invoices_customer_status_idx" ON "invoices" USING btree ("customer_id","status","issued_on");--> statement-breakpoint
CREATE INDEX "invoices_open_due_idx" ON "invoices" USING btree ("due_date") WHERE "invoices"."status" in ('open', 'partially_paid');--> statement-breakpoint
CREATE INDEX "journal_entries_occurred_idx" ON "journal_entries" USING btree ("occurred_at");--> statement-breakpoint
CREATE INDEX "journal_lines_entry_idx" ON "journal_lines" USING btree ("entry_id");--> statement-breakpoint
CREATE INDEX "journal_lines_account_idx" ON "journal_lines" USING btree ("account_code","currency");--> statement-breakpoint
CREATE INDEX "journal_lines_invoice_idx" ON "journal_lines" USING btree ("invoice_number");--> statement-breakpoint
CREATE INDEX "journal_lines_order_idx" ON "journal_lines" USING btree ("order_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_allocations_active_unique" ON "payment_allocations" USING btree ("payment_id","invoice_number") WHERE "payment_allocations"."status" = 'active';--> statement-breakpoint
CREATE INDEX "payment_allocations_invoice_idx" ON "payment_allocations" USING btree ("invoice_number");--> statement-breakpoint
CREATE INDEX "payments_customer_received_idx" ON "payments" USING btree ("customer_id","received_at");--> statement-breakpoint
CREATE INDEX "payments_status_idx" ON "payments" USING btree ("status");--> statement-breakpoint
CREATE INDEX "goods_receipts_order_idx" ON "goods_receipts" USING btree ("purchase_order_id");--> statement-breakpoint
CREATE INDEX "purchase_order_lines_sku_idx" ON "purchase_order_lines" USING btree ("sku");--> statement-breakpoint
CREATE INDEX "purchase_orders_supplier_status_idx" ON "purchase_orders" USING btree ("supplier_id","status");--> statement-breakpoint
CREATE INDEX "purchase_orders_status_expected_idx" ON "purchase_orders" USING btree ("status","expected_date");--> statement-breakpoint
CREATE INDEX "crm_interactions_customer_idx" ON "crm_interactions" USING btree ("customer_id","occurred_at");--> statement-breakpoint
CREATE INDEX "crm_interactions_ticket_idx" ON "crm_interactions" USING btree ("ticket_id");--> statement-breakpoint
CREATE INDEX "crm_tasks_customer_idx" ON "crm_tasks" USING btree ("customer_id","status");--> statement-breakpoint
CREATE INDEX "crm_tasks_open_due_idx" ON "crm_tasks" USING btree ("due_at") WHERE "crm_tasks"."status" = 'open';--> statement-breakpoint
CREATE INDEX "crm_tickets_customer_idx" ON "crm_tickets" USING btree ("customer_id","status");--> statement-breakpoint
CREATE INDEX "customer_contacts_budget_idx" ON "customer_contacts" USING btree ("customer_id","kind","contacted_at");--> statement-breakpoint
CREATE INDEX "outbox_aggregate_idx" ON "outbox" USING btree ("aggregate_type","aggregate_id","seq");--> statement-breakpoint
CREATE INDEX "outbox_deliveries_pending_idx" ON "outbox_deliveries" USING btree ("destination","next_attempt_at") WHERE "outbox_deliveries"."status" = 'pending';