/** Stored reports as the API and the workflows answer them. */
import type { ReceivablesAgeingReport } from '../../domain/reports';
import type { ReceivablesAgeingReportRow } from '../schema';

/** A stored receivables-ageing report; `created` says whether this call wrote it. */
export const ageingReportView = (
  row: ReceivablesAgeingReportRow,
  created: boolean,
): ReceivablesAgeingReport => ({
  asOf: row.asOf,
  generatedAt: row.generatedAt.toISOString(),
  currencies: row.currencies,
  workflowId: row.workflowId,
  runId: row.runId,
  created,
});
