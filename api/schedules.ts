/**
 * The batch schedules over REST: list and read them (state, next runs, recent runs with each run's
 * workflow status and result), trigger one now, pause, unpause, and backfill a past time range.
 * Only the schedules this code defines (workers/schedules.ts) are served; their Temporal ids carry
 * SCHEDULE_ID_PREFIX.
 */
import { Router, type Request } from 'express';
import {
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  type ScheduleOverlapPolicy,
  type ScheduleDescription,
  type ScheduleExecutionResult,
} from '@temporalio/client';
import { z } from 'zod';
import { timestampSchema } from '../domain/events/primitives';
import type { ScheduleId } from '../domain/names';
import { executionUiLink } from '../lib/temporal';
import { KNOWN_SCHEDULE_IDS, scheduleDefinition } from '../workers/schedules';
import type { AppDeps } from './app';
import { command } from './idempotency';
import { parseOr400, Problem, requireContentType } from './problem';

/** Overlap policies a caller may name (Temporal's, without the deprecated unspecified one). */
export const OVERLAP_POLICIES = [
  'SKIP',
  'BUFFER_ONE',
  'BUFFER_ALL',
  'CANCEL_OTHER',
  'TERMINATE_OTHER',
  'ALLOW_ALL',
] as const satisfies readonly ScheduleOverlapPolicy[];
const overlapSchema = z.enum(OVERLAP_POLICIES);

/** The longest range one backfill may cover. */
export const MAX_BACKFILL_DAYS = 92;
/** Upcoming run times shown per schedule. */
const NEXT_RUNS_SHOWN = 5;
/** Recent runs shown per schedule (Temporal keeps the last 10). */
const RECENT_RUNS_SHOWN = 10;
const TEMPORAL_DEADLINE_MS = 3000;
const RESULT_DEADLINE_MS = 2000;

export const triggerBodySchema = z
  .object({
    overlap: overlapSchema
      .optional()
      .meta({ description: "Overlap policy for this run; default the schedule's own." }),
  })
  .strict();

export const noteBodySchema = z
  .object({ note: z.string().min(1).max(500).optional().meta({ description: 'Why; shown as the note.' }) })
  .strict();

export const backfillBodySchema = z
  .object({
    from: timestampSchema.meta({ description: 'Start of the range (inclusive), in the past.' }),
    to: timestampSchema.meta({
      description: `End of the range; after from, at most ${MAX_BACKFILL_DAYS} days later, not in the future.`,
    }),
    overlap: overlapSchema.optional().meta({
      description:
        "Overlap policy of the backfilled runs; default the schedule's backfill policy (see backfillOverlap).",
    }),
  })
  .strict()
  .superRefine((b, ctx) => {
    const from = Date.parse(b.from);
    const to = Date.parse(b.to);
    if (!(from < to)) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
      return;
    }
    if (to - from > MAX_BACKFILL_DAYS * 86_400_000) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `the range may span at most ${MAX_BACKFILL_DAYS} days`,
      });
    }
    // a minute's slack for clocks; a backfill runs past times, the schedule itself runs future ones
    if (to > Date.now() + 60_000) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'may not be in the future' });
    }
  });

/** Milliseconds as an ISO 8601 duration: 14400000 → PT4H, 86400000 → P1D. */
export function isoDuration(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  const seconds = (rest - minutes * 60_000) / 1000;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (!days && !time) return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

export function schedulesRouter(deps: AppDeps): Router {
  const router = Router();
  const { client, uiUrl, namespace } = deps.temporal;
  const prefix = deps.scheduleIdPrefix ?? '';
  const temporalId = (id: ScheduleId) => `${prefix}${id}`;
  const deadline = <T>(ms: number, fn: () => Promise<T>) => client.withDeadline(Date.now() + ms, fn);

  /** The schedule id in the path; 404 unless it is one of ours. */
  function scheduleIdOf(req: Request): ScheduleId {
    const id = String(req.params.id);
    if (!(KNOWN_SCHEDULE_IDS as readonly string[]).includes(id)) {
      throw new Problem(
        404,
        'not-found',
        'Schedule not found',
        `No schedule ${id}; known: ${KNOWN_SCHEDULE_IDS.join(', ')}.`,
      );
    }
    return id as ScheduleId;
  }

  async function describe(id: ScheduleId): Promise<ScheduleDescription> {
    try {
      return await deadline(TEMPORAL_DEADLINE_MS, () => client.schedule.getHandle(temporalId(id)).describe());
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) {
        throw new Problem(
          404,
          'not-found',
          'Schedule not registered',
          `Schedule ${id} is not registered in Temporal yet; a worker registers it when it starts.`,
        );
      }
      throw err;
    }
  }

  /** One run the schedule started: its workflow's status, and its result once completed. */
  async function run(action: ScheduleExecutionResult) {
    const { workflowId, firstExecutionRunId: runId } = action.action.workflow;
    let status = 'UNKNOWN';
    let result: unknown = null;
    try {
      const handle = client.workflow.getHandle(workflowId, runId);
      status = (await deadline(TEMPORAL_DEADLINE_MS, () => handle.describe())).status.name;
      if (status === 'COMPLETED') result = await deadline(RESULT_DEADLINE_MS, () => handle.result());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) status = 'NOT_FOUND';
      else deps.logger.warn({ workflowId, err: (err as Error).message }, 'schedule run describe failed');
    }
    return {
      scheduledAt: action.scheduledAt.toISOString(),
      takenAt: action.takenAt.toISOString(),
      workflow: { id: workflowId, runId, status },
      result,
      links: { temporalUi: executionUiLink(uiUrl, namespace, workflowId, runId) },
    };
  }

  async function view(id: ScheduleId) {
    const d = await describe(id);
    const def = scheduleDefinition(id);
    const recent = d.info.recentActions.slice(-RECENT_RUNS_SHOWN).reverse();
    return {
      scheduleId: id,
      temporalScheduleId: temporalId(id),
      description: def.description,
      paused: d.state.paused,
      note: d.state.note ?? null,
      workflowType: d.action.workflowType,
      taskQueue: d.action.taskQueue,
      overlap: d.policies.overlap,
      catchupWindow: isoDuration(d.policies.catchupWindow),
      pauseOnFailure: d.policies.pauseOnFailure,
      backfillOverlap: def.backfillOverlap,
      nextRuns: d.info.nextActionTimes.slice(0, NEXT_RUNS_SHOWN).map((t) => t.toISOString()),
      recentRuns: await Promise.all(recent.map(run)),
      runningWorkflows: d.info.runningActions.map((a) => a.workflow.workflowId),
      actionsTaken: d.info.numActionsTaken,
      actionsSkippedOverlap: d.info.numActionsSkippedOverlap,
      actionsMissedCatchupWindow: d.info.numActionsMissedCatchupWindow,
      links: {
        self: `/v1/schedules/${id}`,
        temporalUi: `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/schedules/${encodeURIComponent(temporalId(id))}`,
      },
    };
  }

  function body<T>(req: Request, schema: z.ZodType<T>): T {
    const empty =
      req.body === undefined || (typeof req.body === 'object' && Object.keys(req.body ?? {}).length === 0);
    if (!empty || req.get('content-type')) requireContentType(req, ['application/json']);
    return parseOr400(schema, req.body ?? {});
  }

  /** Every registered batch schedule. */
  router.get('/v1/schedules', async (_req, res) => {
    const items = [];
    for (const id of KNOWN_SCHEDULE_IDS) {
      try {
        items.push(await view(id));
      } catch (err) {
        // not registered yet: left out
        if (!(err instanceof Problem && err.status === 404)) throw err;
      }
    }
    res.json({ items, nextCursor: null });
  });

  /** One schedule. */
  router.get('/v1/schedules/:id', async (req, res) => {
    res.json(await view(scheduleIdOf(req)));
  });

  /** Runs the schedule's workflow once, now (202). */
  router.post(
    '/v1/schedules/:id/trigger',
    command(deps, 'POST /v1/schedules/:id/trigger', async (req) => {
      const id = scheduleIdOf(req);
      const input = body(req, triggerBodySchema);
      await describe(id);
      await deadline(TEMPORAL_DEADLINE_MS, () =>
        client.schedule.getHandle(temporalId(id)).trigger(input.overlap),
      );
      return { status: 202, body: await view(id), headers: { Location: `/v1/schedules/${id}` } };
    }),
  );

  /** Pauses the schedule (no scheduled runs; trigger and backfill still work), with an optional note. */
  router.post(
    '/v1/schedules/:id/pause',
    command(deps, 'POST /v1/schedules/:id/pause', async (req) => {
      const id = scheduleIdOf(req);
      const input = body(req, noteBodySchema);
      await describe(id);
      await deadline(TEMPORAL_DEADLINE_MS, () =>
        client.schedule.getHandle(temporalId(id)).pause(input.note ?? 'paused via the API'),
      );
      return { status: 200, body: await view(id) };
    }),
  );

  /** Resumes a paused schedule, with an optional note. */
  router.post(
    '/v1/schedules/:id/unpause',
    command(deps, 'POST /v1/schedules/:id/unpause', async (req) => {
      const id = scheduleIdOf(req);
      const input = body(req, noteBodySchema);
      await describe(id);
      await deadline(TEMPORAL_DEADLINE_MS, () =>
        client.schedule.getHandle(temporalId(id)).unpause(input.note ?? 'unpaused via the API'),
      );
      return { status: 200, body: await view(id) };
    }),
  );

  /**
   * Runs the schedule for every time it would have fired in [from, to], now (202), with the
   * schedule's backfill overlap policy unless the body names one.
   */
  router.post(
    '/v1/schedules/:id/backfill',
    command(deps, 'POST /v1/schedules/:id/backfill', async (req) => {
      const id = scheduleIdOf(req);
      const input = body(req, backfillBodySchema);
      const overlap = input.overlap ?? scheduleDefinition(id).backfillOverlap;
      await describe(id);
      const from = new Date(input.from);
      const to = new Date(input.to);
      await deadline(TEMPORAL_DEADLINE_MS, () =>
        client.schedule.getHandle(temporalId(id)).backfill({ start: from, end: to, overlap }),
      );
      return {
        status: 202,
        body: {
          scheduleId: id,
          backfill: { from: from.toISOString(), to: to.toISOString(), overlap },
          schedule: await view(id),
        },
        headers: { Location: `/v1/schedules/${id}` },
      };
    }),
  );

  return router;
}
