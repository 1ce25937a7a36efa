/**
 * Selective replay: a dry run over a predicate (event types, time range, business keys, workflow
 * status, failure type) answers what would be re-driven or reset and why, and stores that as a plan;
 * executing the plan starts replayRunWorkflow, which does exactly the plan's items, rate-limited,
 * recording each item's outcome. Runs and plans are readable here.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { and, asc, eq, getTableColumns, gt } from 'drizzle-orm';
import { msToNumber } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import {
  replayPlanItems,
  replayPlans,
  replayRunItems,
  replayRuns,
  type EventRouteRow,
  type EventRow,
  type ReplayPlanRow,
  type ReplayRunRow,
} from '../db/schema';
import { insertPlan, planItemCount, runOutcomeCounts, selectReplayEvents } from '../db/queries/replays';
import { eventCatalogue, EVENT_DOMAINS, type EventType } from '../domain/events/catalogue';
import {
  customerFollowUpWorkflowId,
  DOMAINS,
  inventoryWorkflowId,
  orderWorkflowId,
  replayRunWorkflowId,
  taskQueueName,
  WORKFLOW_TYPES,
  workflowTaskQueue,
} from '../domain/names';
import {
  replayPredicateSchema,
  type ReplayEventTarget,
  type ReplayItem,
  type ReplayPredicate,
  type ReplayRunInput,
  type ReplayWorkflowTarget,
} from '../domain/replays';
import { currentRun, describeFailedExecution, listExecutions } from '../lib/replay-executions';
import { executionUiLink } from '../lib/temporal';
import type { AuthLocals } from './auth';
import { command, type CommandResponse } from './idempotency';
import { Problem, parseOr400, pathParam, requireContentType, validationProblem } from './problem';
import { newestFirst } from './paging';
import { planRoute, toStored } from './routing';
import { describeWorkflow } from './workflow-status';
import type { AppDeps } from './app';

export const MAX_PLAN_ITEMS = 10_000;
const MAX_PAGE = 500;

const WORKFLOW_TYPE_NAMES = Object.values(WORKFLOW_TYPES) as string[];

/** POST /v1/replays: a dry run (`dryRun: true` + predicate) or the execution of a plan (`planId`). */
export const replayCommandSchema = z
  .object({
    dryRun: z.boolean().optional(),
    predicate: replayPredicateSchema.optional(),
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_PLAN_ITEMS)
      .default(1000)
      .meta({ description: 'At most this many items go into the plan (events first, in store order).' }),
    sample: z.number().int().min(0).max(100).default(20).meta({ description: 'Items shown in the answer.' }),
    planId: z.string().min(1).max(100).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.planId !== undefined) {
      if (r.dryRun)
        ctx.addIssue({ code: 'custom', path: ['dryRun'], message: 'a plan id is executed, not dry-run' });
      if (r.predicate)
        ctx.addIssue({
          code: 'custom',
          path: ['predicate'],
          message: 'give a predicate or a planId, not both',
        });
      return;
    }
    if (r.dryRun !== true) {
      ctx.addIssue({
        code: 'custom',
        path: ['dryRun'],
        message: 'executing needs the planId of a dry run: send dryRun: true with a predicate first',
      });
    }
    const p = r.predicate;
    if (!p) {
      ctx.addIssue({ code: 'custom', path: ['predicate'], message: 'a dry run needs a predicate' });
      return;
    }
    p.eventTypes?.forEach((t, i) => {
      if (!Object.prototype.hasOwnProperty.call(eventCatalogue, t))
        ctx.addIssue({ code: 'custom', path: ['predicate', 'eventTypes', i], message: 'unknown event type' });
    });
    p.workflowTypes?.forEach((t, i) => {
      if (!WORKFLOW_TYPE_NAMES.includes(t))
        ctx.addIssue({
          code: 'custom',
          path: ['predicate', 'workflowTypes', i],
          message: `unknown workflow type; one of ${WORKFLOW_TYPE_NAMES.join(', ')}`,
        });
    });
    if (!p.workflowStatus && (p.failureType || p.workflowTypes || p.workflowIds)) {
      ctx.addIssue({
        code: 'custom',
        path: ['predicate', 'workflowStatus'],
        message: 'failureType, workflowTypes and workflowIds select executions: give workflowStatus too',
      });
    }
    if (p.from && p.to && Date.parse(p.from) > Date.parse(p.to))
      ctx.addIssue({ code: 'custom', path: ['predicate', 'to'], message: 'to is before from' });
    if (Object.keys(p).length === 0)
      ctx.addIssue({ code: 'custom', path: ['predicate'], message: 'give at least one criterion' });
  })
  .meta({ id: 'ReplayCommand' });
export type ReplayCommand = z.infer<typeof replayCommandSchema>;

export const planIdSchema = z.string().min(1).max(100);
export const replayRunIdSchema = z.string().min(1).max(100);

export const replayListQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
    cursor: z.string().optional().meta({ description: 'nextCursor of the previous page.' }),
  })
  .strict();

export const replayRunQuerySchema = z
  .object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_PAGE)
      .optional()
      .meta({ description: 'Items per page (100).' }),
    cursor: z.string().optional().meta({ description: 'itemsNextCursor of the previous page.' }),
  })
  .strict();

/** Who asks: the API key id, or 'anonymous' with AUTH_MODE=off. */
const who = (req: Request): string => (req.res?.locals as AuthLocals | undefined)?.apiKey?.id ?? 'anonymous';

/** Whether a predicate selects stored events (it does unless it only names executions). */
export const selectsEvents = (p: ReplayPredicate): boolean =>
  !p.workflowStatus || Boolean(p.eventTypes || p.subjects || p.routing);

/** Why a stored event would be re-driven, from its route. */
function eventWhy(event: EventRow, route: EventRouteRow | null, workflowId: string | null): string {
  const to = workflowId ? ` to ${workflowId}` : '';
  if (!workflowId) return 'master data: applied again (a no-op where a newer upsert holds)';
  if (!route) return `never routed (stored before a workflow consumed ${event.type}); route it${to}`;
  const tries = `${route.attempts} attempt(s)`;
  switch (route.status) {
    case 'pending':
      return `routing pending after ${tries}${route.lastError ? ` (last error: ${route.lastError.slice(0, 200)})` : ''}; deliver it${to}`;
    case 'failed':
      return `routing failed after ${tries}${route.lastError ? ` (${route.lastError.slice(0, 200)})` : ''}; deliver it${to}`;
    default:
      return `delivered${to} at ${route.routedAt?.toISOString() ?? '?'}; re-driving is harmless (the workflow ignores an event it holds)`;
  }
}

interface SkippedItem {
  key: string;
  why: string;
}

interface PlanCounts {
  matched: number;
  redrive: number;
  reset: number;
  skipped: number;
  byType: Record<string, number>;
  byWorkflowType: Record<string, number>;
  byStatus: Record<string, number>;
}

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Builds the plan of a predicate: the items (frozen), the skipped ones with why, and the counts. */
async function buildPlan(
  deps: AppDeps,
  p: ReplayPredicate,
  limit: number,
): Promise<{ items: ReplayItem[]; skipped: SkippedItem[]; counts: PlanCounts; truncated: boolean }> {
  const items: ReplayItem[] = [];
  const skipped: SkippedItem[] = [];
  const counts: PlanCounts = {
    matched: 0,
    redrive: 0,
    reset: 0,
    skipped: 0,
    byType: {},
    byWorkflowType: {},
    byStatus: {},
  };
  let truncated = false;
  const skip = (key: string, why: string) => {
    counts.skipped++;
    if (skipped.length < 100) skipped.push({ key, why });
  };

  if (selectsEvents(p)) {
    const { rows, matched } = await selectReplayEvents(deps.db, p, limit);
    counts.matched += matched;
    truncated ||= matched > rows.length;
    for (const { event, route } of rows) {
      const key = `event:${event.source}/${event.id}`;
      const plan = planRoute(toStored(event));
      const masterData = EVENT_DOMAINS[event.type as EventType] === 'masterdata';
      if (!plan && !masterData) {
        skip(key, `no workflow consumes ${event.type}`);
        continue;
      }
      const workflowId = plan?.workflowId ?? null;
      const target: ReplayEventTarget = {
        source: event.source,
        eventId: event.id,
        type: event.type,
        workflowId,
        routing: route?.status ?? 'none',
      };
      items.push({ key, kind: 'redrive', why: eventWhy(event, route, workflowId), target });
      counts.redrive++;
      bump(counts.byType, event.type);
    }
  }

  if (p.workflowStatus) {
    const keyIds = [
      ...(p.sku ? [inventoryWorkflowId(p.sku)] : []),
      ...(p.orderId ? [orderWorkflowId(p.orderId)] : []),
      ...(p.customerId ? [customerFollowUpWorkflowId(p.customerId)] : []),
      ...(p.workflowIds ?? []),
    ];
    const room = Math.max(0, limit - items.length);
    const found = await listExecutions(
      deps.temporal.client,
      {
        statuses: p.workflowStatus,
        taskQueues: DOMAINS.map((d) => taskQueueName(deps.temporal.taskQueuePrefix, d)),
        workflowTypes: p.workflowTypes,
        workflowIds: keyIds.length ? keyIds : undefined,
        from: p.from,
        to: p.to,
      },
      room + 1,
    ).catch((err: unknown) => {
      throw new Problem(
        503,
        'temporal-unavailable',
        'Executions not listed',
        `Temporal's visibility did not answer the list of executions: ${(err as Error).message}`,
      );
    });
    truncated ||= found.length > room;
    for (const info of found.slice(0, room)) {
      const key = `workflow:${info.workflowId}/${info.runId}`;
      const { target } = await describeFailedExecution(deps.temporal.client, info);
      if (p.failureType && target.failureType !== p.failureType) continue;
      counts.matched++;
      const current = await currentRun(deps.temporal.client, info.workflowId);
      if (current && current.runId !== info.runId) {
        skip(key, `superseded: run ${current.runId} is the current run (${current.status})`);
        continue;
      }
      if (target.resetEventId === null) {
        skip(key, `cannot be reset: ${target.resetPoint}`);
        continue;
      }
      const failure = [target.failureType, target.failureMessage].filter(Boolean).join(': ');
      items.push({
        key,
        kind: 'reset',
        why: `${target.status}${failure ? ` (${failure})` : ''}; reset to ${target.resetPoint}`,
        target: target as ReplayWorkflowTarget,
      });
      counts.reset++;
      bump(counts.byWorkflowType, target.workflowType);
      bump(counts.byStatus, target.status);
    }
  }
  return { items, skipped, counts, truncated };
}

export function replaysRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;

  const planLinks = (planId: string) => ({ self: `/v1/replays/plans/${encodeURIComponent(planId)}` });

  const runView = (r: ReplayRunRow) => ({
    runId: r.id,
    planId: r.planId,
    status: r.status,
    startedBy: r.startedBy,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
    total: r.total,
    done: r.done,
    failed: r.failed,
    error: r.error,
    links: {
      self: `/v1/replays/${encodeURIComponent(r.id)}`,
      plan: planLinks(r.planId).self,
      temporalUi: executionUiLink(deps.temporal.uiUrl, deps.temporal.namespace, r.workflowId),
    },
  });

  const planView = async (plan: ReplayPlanRow, sample: number) => {
    const items = await db
      .select()
      .from(replayPlanItems)
      .where(eq(replayPlanItems.planId, plan.id))
      .orderBy(asc(replayPlanItems.position))
      .limit(sample);
    const [run] = await db.select().from(replayRuns).where(eq(replayRuns.planId, plan.id));
    return {
      planId: plan.id,
      createdAt: plan.createdAt.toISOString(),
      createdBy: plan.createdBy,
      expiresAt: plan.expiresAt.toISOString(),
      predicate: plan.predicate,
      counts: plan.counts,
      truncated: plan.truncated,
      sample: items.map((i) => ({
        position: i.position,
        key: i.itemKey,
        kind: i.kind,
        why: i.why,
        target: i.target,
      })),
      skipped: plan.skipped,
      run: run
        ? { runId: run.id, status: run.status, links: { self: `/v1/replays/${encodeURIComponent(run.id)}` } }
        : null,
      links: planLinks(plan.id),
    };
  };

  async function dryRun(req: Request, body: ReplayCommand): Promise<CommandResponse> {
    const predicate = body.predicate as ReplayPredicate;
    const { items, skipped, counts, truncated } = await buildPlan(deps, predicate, body.limit);
    const planId = `plan-${randomUUID()}`;
    const ttl = msToNumber(deps.settings.ops.replays.planTtl);
    await insertPlan(
      db,
      {
        id: planId,
        createdBy: who(req),
        predicate,
        counts,
        skipped,
        truncated,
        expiresAt: new Date(Date.now() + ttl),
      },
      items,
    );
    const [plan] = await db.select().from(replayPlans).where(eq(replayPlans.id, planId));
    deps.logger.info({ planId, counts, predicate }, 'replay planned');
    return {
      status: 201,
      body: await planView(plan as ReplayPlanRow, body.sample),
      headers: { Location: planLinks(planId).self },
    };
  }

  /** Starts the run's workflow unless it ran; a repeat finds the same execution. */
  async function ensureStarted(run: ReplayRunRow): Promise<void> {
    if (run.status !== 'running') return;
    const input: ReplayRunInput = { runId: run.id, planId: run.planId, total: run.total };
    try {
      await deps.temporal.client.workflow.start(WORKFLOW_TYPES.replayRun, {
        workflowId: run.workflowId,
        taskQueue: workflowTaskQueue(deps.temporal.taskQueuePrefix, WORKFLOW_TYPES.replayRun),
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw new Problem(
        503,
        'temporal-unavailable',
        'Replay run not started',
        `The run ${run.id} is recorded but its workflow did not start (${(err as Error).message}); ` +
          'send the same request again to start it.',
      );
    }
  }

  async function execute(req: Request, planId: string): Promise<CommandResponse> {
    const [plan] = await db.select().from(replayPlans).where(eq(replayPlans.id, planId));
    if (!plan) throw new Problem(404, 'not-found', 'Replay plan not found', `No replay plan ${planId}.`);
    const existing = async () => (await db.select().from(replayRuns).where(eq(replayRuns.planId, planId)))[0];
    const answer = async (run: ReplayRunRow, status: 200 | 202): Promise<CommandResponse> => {
      await ensureStarted(run);
      const view = runView(run);
      return { status, body: view, headers: { Location: view.links.self } };
    };
    // a plan executes at most once: executing it again answers its run
    const before = await existing();
    if (before) return answer(before, 200);
    if (plan.expiresAt.getTime() < Date.now()) {
      throw new Problem(
        409,
        'plan-expired',
        'Replay plan expired',
        `Plan ${planId} expired at ${plan.expiresAt.toISOString()}; make a new dry run.`,
      );
    }
    const runId = `run-${planId.replace(/^plan-/, '')}`;
    const [created] = await db
      .insert(replayRuns)
      .values({
        id: runId,
        planId,
        startedBy: who(req),
        total: await planItemCount(db, planId),
        workflowId: replayRunWorkflowId(runId),
      })
      .onConflictDoNothing()
      .returning();
    if (!created) return answer((await existing()) as ReplayRunRow, 200);
    deps.logger.info({ runId, planId, startedBy: created.startedBy }, 'replay run started');
    return answer(created, 202);
  }

  /** A dry run (answers and stores a plan) or the execution of a plan (admin). */
  router.post(
    '/v1/replays',
    command(deps, 'POST /v1/replays', async (req): Promise<CommandResponse> => {
      requireContentType(req, ['application/json']);
      const body = parseOr400(replayCommandSchema, req.body);
      return body.planId !== undefined ? execute(req, body.planId) : dryRun(req, body);
    }),
  );

  /** A plan: its predicate, counts, the first items with why, and its run if executed. */
  router.get('/v1/replays/plans/:planId', async (req, res) => {
    const planId = pathParam(req, 'planId', planIdSchema);
    const [plan] = await db.select().from(replayPlans).where(eq(replayPlans.id, planId));
    if (!plan) throw new Problem(404, 'not-found', 'Replay plan not found', `No replay plan ${planId}.`);
    res.json(await planView(plan, 20));
  });

  /** One run: progress, outcome counts, and its items' outcomes (paged by position). */
  router.get('/v1/replays/:runId', async (req, res) => {
    const runId = pathParam(req, 'runId', replayRunIdSchema);
    const q = parseOr400(replayRunQuerySchema, req.query);
    const [run] = await db.select().from(replayRuns).where(eq(replayRuns.id, runId));
    if (!run) throw new Problem(404, 'not-found', 'Replay run not found', `No replay run ${runId}.`);
    const limit = q.limit ?? 100;
    const after = q.cursor === undefined ? -1 : Number(q.cursor);
    if (!Number.isSafeInteger(after) || after < -1)
      throw validationProblem([{ path: 'cursor', message: 'not a cursor this API returned' }]);
    const rows = await db
      .select()
      .from(replayRunItems)
      .where(and(eq(replayRunItems.runId, runId), gt(replayRunItems.position, after)))
      .orderBy(asc(replayRunItems.position))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const workflow = await describeWorkflow(deps, run.workflowId);
    res.json({
      ...runView(run),
      byOutcome: await runOutcomeCounts(db, runId),
      workflow,
      items: page.map((i) => ({
        position: i.position,
        key: i.itemKey,
        kind: i.kind,
        outcome: i.outcome,
        detail: i.detail,
        at: i.at.toISOString(),
      })),
      itemsNextCursor: rows.length > limit && last ? String(last.position) : null,
    });
  });

  /** The runs, newest first. */
  router.get('/v1/replays', async (req, res) => {
    const q = parseOr400(replayListQuerySchema, req.query);
    const paging = newestFirst(replayRuns.startedAt, replayRuns.id, {
      cursor: q.cursor,
      limit: q.limit ?? 50,
    });
    const rows = await db
      .select({ ...getTableColumns(replayRuns), startedAtText: paging.atText })
      .from(replayRuns)
      .where(paging.after)
      .orderBy(...paging.orderBy)
      .limit(paging.fetch);
    const { items, nextCursor } = paging.page(rows, (r) => [r.startedAtText, r.id]);
    res.json({ items: items.map((r) => runView(r)), nextCursor });
  });

  return router;
}
