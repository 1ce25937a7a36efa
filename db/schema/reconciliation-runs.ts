/**
 * Nightly reconciliation runs: one row per batch run with its report, and one row per matched page
 * (its counts, exceptions and orders to notify), so a page retried after its commit changes nothing.
 */
import { sql } from 'drizzle-orm';
import { check, date, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { createdAt, runColumns, sqlList } from './columns';

export const RECONCILIATION_RUN_STATUSES = ['running', 'completed', 'failed'] as const;
export type ReconciliationRunStatus = (typeof RECONCILIATION_RUN_STATUSES)[number];

export const reconciliationRuns = pgTable(
  'reconciliation_runs',
  {
    id: text('id').primaryKey(),
    asOf: date('as_of', { mode: 'string' }).notNull(),
    ...runColumns(RECONCILIATION_RUN_STATUSES),
    workflowRunId: text('workflow_run_id'),
    /** The run report (see domain/reconciliation-batch.ts ReconciliationRunReport); null while running. */
    report: jsonb('report'),
    createdAt: createdAt(),
  },
  (t) => [
    check('reconciliation_runs_status_check', sql`${t.status} in (${sqlList(RECONCILIATION_RUN_STATUSES)})`),
    index('reconciliation_runs_started_idx').on(t.startedAt, t.id),
  ],
);
export type ReconciliationRunRow = typeof reconciliationRuns.$inferSelect;

/** One committed page of a run: written in the page's transaction, so a retry finds it and returns it. */
export const reconciliationRunPages = pgTable(
  'reconciliation_run_pages',
  {
    runId: text('run_id')
      .notNull()
      .references(() => reconciliationRuns.id),
    pageNo: integer('page_no').notNull(),
    /** The payment id the page started after (null: the first page). */
    afterPaymentId: text('after_payment_id'),
    /** Counts and amounts (ReconciliationPageResult without the lists). */
    result: jsonb('result').notNull(),
    /** Exceptions raised by the page: [{ paymentId, review }]. */
    exceptions: jsonb('exceptions')
      .notNull()
      .default(sql`'[]'::jsonb`),
    /** Orders whose invoice the page allocated while they wait for payment: [{ orderId, invoiceNumber, paymentId }]. */
    notify: jsonb('notify')
      .notNull()
      .default(sql`'[]'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.pageNo] })],
);
export type ReconciliationRunPageRow = typeof reconciliationRunPages.$inferSelect;
