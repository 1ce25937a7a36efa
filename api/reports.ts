/** Stored reports over REST: the daily receivables-ageing report of a day, or the latest one. */
import { Router } from 'express';
import { desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { dateSchema } from '../domain/events/primitives';
import { receivablesAgeingReports } from '../db/schema';
import { ageingReportView } from '../db/queries/reports';
import type { AppDeps } from './app';
import { parseOr400, Problem } from './problem';

export const ageingReportQuerySchema = z
  .object({ asOf: dateSchema.optional().meta({ description: 'The day (YYYY-MM-DD); default the latest.' }) })
  .strict();

export function reportsRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;

  /** The receivables-ageing report of one day (asOf), or the latest one; 404 when none is stored. */
  router.get('/v1/reports/receivables-ageing', async (req, res) => {
    const { asOf } = parseOr400(ageingReportQuerySchema, req.query);
    const [row] = asOf
      ? await db.select().from(receivablesAgeingReports).where(eq(receivablesAgeingReports.asOf, asOf))
      : await db
          .select()
          .from(receivablesAgeingReports)
          .orderBy(desc(receivablesAgeingReports.asOf))
          .limit(1);
    if (!row) {
      throw new Problem(
        404,
        'not-found',
        'Report not found',
        asOf ? `No receivables-ageing report as of ${asOf}.` : 'No receivables-ageing report is stored yet.',
      );
    }
    const { created: _created, ...report } = ageingReportView(row, false);
    res.json({ ...report, links: { self: `/v1/reports/receivables-ageing?asOf=${row.asOf}` } });
  });

  return router;
}
