/** Scheduled reports: the daily receivables-ageing report, stored once per as-of day. */
import { log } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import type { ReceivablesAgeingReport } from '../domain/reports';
import { receivablesAgeing } from '../db/queries/ageing';
import { ageingReportView } from '../db/queries/reports';
import { receivablesAgeingReports } from '../db/schema';
import type { ActivityDeps } from './index';

export function createReportActivities({ db }: ActivityDeps) {
  return {
    /**
     * Computes receivables ageing as of `asOf` (YYYY-MM-DD) and stores it. Idempotent: the day is the
     * key (primary key); when that day's report exists (a retry, a second trigger, a backfill over a
     * stored day) the stored one is answered and nothing is written.
     */
    async storeReceivablesAgeingReport(input: {
      asOf: string;
      workflowId: string;
      runId: string;
    }): Promise<ReceivablesAgeingReport> {
      return db.transaction(async (tx) => {
        const currencies = await receivablesAgeing(tx, input.asOf);
        const [inserted] = await tx
          .insert(receivablesAgeingReports)
          .values({ asOf: input.asOf, currencies, workflowId: input.workflowId, runId: input.runId })
          .onConflictDoNothing()
          .returning();
        if (inserted) {
          log.info('receivables ageing report stored', { asOf: input.asOf, currencies: currencies.length });
          return ageingReportView(inserted, true);
        }
        const [existing] = await tx
          .select()
          .from(receivablesAgeingReports)
          .where(eq(receivablesAgeingReports.asOf, input.asOf));
        if (!existing) throw new Error(`receivables ageing report ${input.asOf} vanished`);
        return ageingReportView(existing, false);
      });
    },
  };
}
