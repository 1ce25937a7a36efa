-- Double entry, enforced by the database: at commit, every journal entry written in the transaction
-- has at least two lines and its debits equal its credits. Deferred, so the entry and its lines can
-- be inserted one statement at a time.
CREATE FUNCTION check_journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  entry bigint;
  line_count bigint;
  total_debit numeric;
  total_credit numeric;
BEGIN
  IF TG_TABLE_NAME = 'journal_entries' THEN
    entry := NEW.id;
  ELSE
    entry := NEW.entry_id;
  END IF;
  SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0)
    INTO line_count, total_debit, total_credit
    FROM journal_lines WHERE entry_id = entry;
  IF line_count < 2 THEN
    RAISE EXCEPTION 'journal entry % has % line(s), at least two are required (debits %, credits %)',
      entry, line_count, total_debit, total_credit
      USING ERRCODE = 'check_violation';
  END IF;
  IF total_debit <> total_credit THEN
    RAISE EXCEPTION 'journal entry % is unbalanced: debits % <> credits %', entry, total_debit, total_credit
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER journal_lines_balanced AFTER INSERT ON "journal_lines"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION check_journal_entry_balanced();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER journal_entries_have_lines AFTER INSERT ON "journal_entries"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION check_journal_entry_balanced();
--> statement-breakpoint
-- The journal is append-only: a correction is a reversing entry (reject_append_only_change is from 0001).
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON "journal_entries"
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
--> statement-breakpoint
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON "journal_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
--> statement-breakpoint
CREATE TRIGGER journal_lines_append_only BEFORE UPDATE OR DELETE ON "journal_lines"
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
--> statement-breakpoint
CREATE TRIGGER journal_lines_no_truncate BEFORE TRUNCATE ON "journal_lines"
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
--> statement-breakpoint
-- Outgoing events are append-only too; their delivery status lives in outbox_deliveries.
CREATE TRIGGER outbox_append_only BEFORE UPDATE OR DELETE ON "outbox"
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
--> statement-breakpoint
CREATE TRIGGER outbox_no_truncate BEFORE TRUNCATE ON "outbox"
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
--> statement-breakpoint
-- An upsert applied from an older event never rolls back a newer one: version_event_seq only grows.
-- Upserts skip stale rows themselves (ON CONFLICT ... WHERE stored seq < new seq); this catches one that does not.
CREATE FUNCTION reject_stale_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.version_event_seq < OLD.version_event_seq THEN
    RAISE EXCEPTION 'stale write to %: version_event_seq % is older than the stored %',
      TG_TABLE_NAME, NEW.version_event_seq, OLD.version_event_seq
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER customers_version_monotonic BEFORE UPDATE ON "customers"
  FOR EACH ROW EXECUTE FUNCTION reject_stale_version();
--> statement-breakpoint
CREATE TRIGGER suppliers_version_monotonic BEFORE UPDATE ON "suppliers"
  FOR EACH ROW EXECUTE FUNCTION reject_stale_version();
--> statement-breakpoint
CREATE TRIGGER products_version_monotonic BEFORE UPDATE ON "products"
  FOR EACH ROW EXECUTE FUNCTION reject_stale_version();
--> statement-breakpoint
CREATE TRIGGER reorder_settings_version_monotonic BEFORE UPDATE ON "reorder_settings"
  FOR EACH ROW EXECUTE FUNCTION reject_stale_version();
