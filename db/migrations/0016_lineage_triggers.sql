-- Lineage: one generic AFTER row trigger records every change of a business row in
-- lineage_effects, with the activity and the causing event read from the transaction-local setting
-- `erp.lineage` (JSON: causationSource, causationId, correlationId, workflowId, runId, activityType,
-- activityAttempt) that activities set at the start of their transactions. Without it (a write
-- outside an activity) or without an event in it, an insert takes the causation columns of the row
-- itself, an update or delete only the row's correlation id; the workflow stays null. The trigger
-- arguments name the key columns. `changes`: an update's changed columns ({"col": {"from": ..,
-- "to": ..}}; an update that changes nothing but updated_at is not recorded), an insert's non-null
-- columns and a delete's old ones ({"col": value}, cheaper than diffing). The outbox is recorded on
-- insert, without its payload, so lineage knows which activity and transaction wrote each outbound
-- event. (Statement-level triggers with transition tables were measured too: no faster for bulk
-- inserts, slower for bulk updates.)
CREATE FUNCTION record_lineage_effect() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ctx jsonb := nullif(current_setting('erp.lineage', true), '')::jsonb;
  row_data jsonb;
  diff jsonb;
  rkey jsonb := '{}'::jsonb;
  col text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    row_data := to_jsonb(NEW);
    diff := CASE WHEN TG_TABLE_NAME = 'outbox' THEN '{}'::jsonb
                 ELSE jsonb_strip_nulls(row_data) - 'created_at' - 'updated_at' END;
  ELSIF TG_OP = 'UPDATE' THEN
    row_data := to_jsonb(NEW);
    SELECT jsonb_object_agg(n.k, jsonb_build_object('from', o.v, 'to', n.v))
      INTO diff
      FROM jsonb_each(row_data) AS n(k, v)
      JOIN jsonb_each(to_jsonb(OLD)) AS o(k, v) ON o.k = n.k
      WHERE n.v IS DISTINCT FROM o.v AND n.k <> 'updated_at';
    IF diff IS NULL THEN
      RETURN NULL;
    END IF;
  ELSE
    row_data := to_jsonb(OLD);
    diff := jsonb_strip_nulls(row_data);
  END IF;
  FOREACH col IN ARRAY TG_ARGV LOOP
    rkey := rkey || jsonb_build_object(col, row_data -> col);
  END LOOP;
  INSERT INTO lineage_effects (
    tx_id, table_name, row_key, operation, changes, causation_source, causation_id, correlation_id,
    workflow_id, run_id, activity_type, activity_attempt
  ) VALUES (
    pg_current_xact_id()::text::bigint,
    TG_TABLE_NAME,
    rkey,
    lower(TG_OP),
    diff,
    CASE WHEN ctx ->> 'causationId' IS NOT NULL THEN ctx ->> 'causationSource'
         WHEN TG_OP = 'INSERT' THEN row_data ->> 'causation_source' END,
    CASE WHEN ctx ->> 'causationId' IS NOT NULL THEN ctx ->> 'causationId'
         WHEN TG_OP = 'INSERT' THEN row_data ->> 'causation_id' END,
    coalesce(ctx ->> 'correlationId', row_data ->> 'correlation_id'),
    ctx ->> 'workflowId',
    ctx ->> 'runId',
    ctx ->> 'activityType',
    (ctx ->> 'activityAttempt')::integer
  );
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER sales_orders_lineage AFTER INSERT OR UPDATE OR DELETE ON "sales_orders"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('order_id');
--> statement-breakpoint
CREATE TRIGGER sales_order_lines_lineage AFTER INSERT OR UPDATE OR DELETE ON "sales_order_lines"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('order_id', 'line_no');
--> statement-breakpoint
CREATE TRIGGER reservations_lineage AFTER INSERT OR UPDATE OR DELETE ON "reservations"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('id');
--> statement-breakpoint
CREATE TRIGGER stock_levels_lineage AFTER INSERT OR UPDATE OR DELETE ON "stock_levels"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('sku');
--> statement-breakpoint
CREATE TRIGGER stock_movements_lineage AFTER INSERT OR UPDATE OR DELETE ON "stock_movements"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('id');
--> statement-breakpoint
CREATE TRIGGER invoices_lineage AFTER INSERT OR UPDATE OR DELETE ON "invoices"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('invoice_number');
--> statement-breakpoint
CREATE TRIGGER invoice_lines_lineage AFTER INSERT OR UPDATE OR DELETE ON "invoice_lines"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('invoice_number', 'line_no');
--> statement-breakpoint
CREATE TRIGGER payments_lineage AFTER INSERT OR UPDATE OR DELETE ON "payments"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('payment_id');
--> statement-breakpoint
CREATE TRIGGER payment_allocations_lineage AFTER INSERT OR UPDATE OR DELETE ON "payment_allocations"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('id');
--> statement-breakpoint
CREATE TRIGGER journal_entries_lineage AFTER INSERT OR UPDATE OR DELETE ON "journal_entries"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('id');
--> statement-breakpoint
CREATE TRIGGER journal_lines_lineage AFTER INSERT OR UPDATE OR DELETE ON "journal_lines"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('id');
--> statement-breakpoint
CREATE TRIGGER credit_notes_lineage AFTER INSERT OR UPDATE OR DELETE ON "credit_notes"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('credit_note_number');
--> statement-breakpoint
CREATE TRIGGER refunds_lineage AFTER INSERT OR UPDATE OR DELETE ON "refunds"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('refund_id');
--> statement-breakpoint
CREATE TRIGGER purchase_orders_lineage AFTER INSERT OR UPDATE OR DELETE ON "purchase_orders"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('purchase_order_id');
--> statement-breakpoint
CREATE TRIGGER purchase_order_lines_lineage AFTER INSERT OR UPDATE OR DELETE ON "purchase_order_lines"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('purchase_order_id', 'line_no');
--> statement-breakpoint
CREATE TRIGGER goods_receipts_lineage AFTER INSERT OR UPDATE OR DELETE ON "goods_receipts"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('receipt_id');
--> statement-breakpoint
CREATE TRIGGER goods_receipt_lines_lineage AFTER INSERT OR UPDATE OR DELETE ON "goods_receipt_lines"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('receipt_id', 'line_no');
--> statement-breakpoint
CREATE TRIGGER crm_tickets_lineage AFTER INSERT OR UPDATE OR DELETE ON "crm_tickets"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('ticket_id');
--> statement-breakpoint
CREATE TRIGGER crm_tasks_lineage AFTER INSERT OR UPDATE OR DELETE ON "crm_tasks"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('id');
--> statement-breakpoint
CREATE TRIGGER crm_interactions_lineage AFTER INSERT OR UPDATE OR DELETE ON "crm_interactions"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('id');
--> statement-breakpoint
CREATE TRIGGER customer_contacts_lineage AFTER INSERT OR UPDATE OR DELETE ON "customer_contacts"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('id');
--> statement-breakpoint
CREATE TRIGGER customers_lineage AFTER INSERT OR UPDATE OR DELETE ON "customers"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('customer_id');
--> statement-breakpoint
CREATE TRIGGER suppliers_lineage AFTER INSERT OR UPDATE OR DELETE ON "suppliers"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('supplier_id');
--> statement-breakpoint
CREATE TRIGGER products_lineage AFTER INSERT OR UPDATE OR DELETE ON "products"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('sku');
--> statement-breakpoint
CREATE TRIGGER reorder_settings_lineage AFTER INSERT OR UPDATE OR DELETE ON "reorder_settings"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('sku');
--> statement-breakpoint
CREATE TRIGGER outbox_lineage AFTER INSERT ON "outbox"
  FOR EACH ROW EXECUTE FUNCTION record_lineage_effect('id');
