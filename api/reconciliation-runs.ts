/**
 * Nightly reconciliation runs for people: one run with its report, and the runs latest first.
 * Read-only; the runs are written by reconciliationBatchWorkflow.
 */
import { Router } from 'express';
import { eq, getTableColumns } from 'drizzle-orm';
import { z } from 'zod';
import { reconciliationRuns, type ReconciliationRunRow } from '../db/schema';
import { executionUiLink } from '../lib/temporal';
import { Problem, parseOr400, pathParam } from './problem';
import { newestFirst } from './paging';
import type { AppDeps } from './app';
import { describeWorkflow } from './workflow-status';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

export const runIdSchema = z.string().min(1).max(200);

export const runsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
    cursor: z.string().optional().meta({ description: 'nextCursor of the previous page.' }),
  })
  .strict();

export function reconciliationRunsRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;

  const view = (r: ReconciliationRunRow, withReport: boolean) => ({
    runId: r.id,
    asOf: r.asOf,
    status: r.status,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
    ...(withReport ? { report: r.report ?? null } : {}),
    workflow: { id: r.workflowId, runId: r.workflowRunId },
    links: {
      self: `/v1/reconciliation/runs/${encodeURIComponent(r.id)}`,
      temporalUi: executionUiLink(
        deps.temporal.uiUrl,
        deps.temporal.namespace,
        r.workflowId,
        r.workflowRunId ?? undefined,
      ),
    },
  });

  /** One run with its report (null while it runs). */
  router.get('/v1/reconciliation/runs/:id', async (req, res) => {
    const id = pathParam(req, 'id', runIdSchema);
    const [row] = await db.select().from(reconciliationRuns).where(eq(reconciliationRuns.id, id));
    if (!row)
      throw new Problem(404, 'not-found', 'Reconciliation run not found', `No reconciliation run ${id}.`);
    const workflow = await describeWorkflow(deps, row.workflowId);
    res.json({
      ...view(row, true),
      workflow: { ...workflow, runId: workflow.runId ?? row.workflowRunId },
    });
  });

  /** The runs, latest first (without their reports). */
  router.get('/v1/reconciliation/runs', async (req, res) => {
    const q = parseOr400(runsQuerySchema, req.query);
    const paging = newestFirst(reconciliationRuns.startedAt, reconciliationRuns.id, {
      cursor: q.cursor,
      limit: q.limit ?? DEFAULT_LIMIT,
    });
    const rows = await db
      .select({ ...getTableColumns(reconciliationRuns), startedAtText: paging.atText })
      .from(reconciliationRuns)
      .where(paging.after)
      .orderBy(...paging.orderBy)
      .limit(paging.fetch);
    const { items, nextCursor } = paging.page(rows, (r) => [r.startedAtText, r.id]);
    res.json({ items: items.map((r) => view(r, false)), nextCursor });
  });

  return router;
}
