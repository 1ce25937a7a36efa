/** Reports written by scheduled batch workflows. */
import { date, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { ReceivablesAgeingCurrency } from '../../domain/reports';

/** The daily receivables-ageing report: one row per as-of day (the first one of a day stands). */
export const receivablesAgeingReports = pgTable('receivables_ageing_reports', {
  asOf: date('as_of', { mode: 'string' }).primaryKey(),
  /** Per currency: outstanding amount and invoice count per ageing bucket (db/queries/ageing.ts). */
  currencies: jsonb('currencies').$type<ReceivablesAgeingCurrency[]>().notNull(),
  workflowId: text('workflow_id'),
  runId: text('run_id'),
  generatedAt: timestamp('generated_at', { withTimezone: true }).notNull().defaultNow(),
});
export type ReceivablesAgeingReportRow = typeof receivablesAgeingReports.$inferSelect;
