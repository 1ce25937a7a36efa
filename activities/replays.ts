/**
 * Selective replay activities: one page of a plan's items per call (re-drive an event through its
 * route, or reset a failed execution to its last good point), each outcome written once per run and
 * item, and the run's status. Re-driving what already succeeded changes nothing: workflows ignore a
 * change they hold (dedupe by the causing event) and their activities are idempotent.
 */
import { Context } from '@temporalio/activity';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { and, eq, sql } from 'drizzle-orm';
import { deliverRoute, planRoute, toStored } from '../api/routing';
import { projectEvent } from '../db/queries/masterdata';
import { planItemsAfter, refreshRunProgress } from '../db/queries/replays';
import { eventRoutes, events, replayRunItems, replayRuns, type ReplayPlanItemRow } from '../db/schema';
import { EVENT_DOMAINS, type EventType } from '../domain/events/catalogue';
import {
  emptyOutcomes,
  type ReplayEventTarget,
  type ReplayOutcome,
  type ReplayPageResult,
  type ReplayWorkflowTarget,
} from '../domain/replays';
import { currentRun, resetExecution, resetRequestId } from '../lib/replay-executions';
import type { TemporalHandle } from '../lib/temporal';
import type { ActivityDeps } from './index';

/** Statuses of a closed execution that a reset may still help. */
const RESETTABLE = new Set(['FAILED', 'TIMED_OUT', 'TERMINATED', 'CANCELLED']);

/** Temporal's answers that will not change on retry: the item fails, the run goes on. */
const FINAL_GRPC = new Set<number>([
  3, // INVALID_ARGUMENT
  5, // NOT_FOUND
  6, // ALREADY_EXISTS
  9, // FAILED_PRECONDITION
]);

interface ItemResult {
  outcome: ReplayOutcome;
  detail: string;
}

export function createReplayActivities({ db, taskQueuePrefix }: ActivityDeps) {
  /** The routing code's handle, on the worker's client. */
  const handleOf = (client: Client): TemporalHandle => ({
    client,
    connection: client.connection as TemporalHandle['connection'],
    namespace: client.options.namespace,
    taskQueuePrefix,
    uiUrl: '',
    rpcTimeoutMs: 10_000,
  });

  async function redrive(client: Client, target: ReplayEventTarget): Promise<ItemResult> {
    const [found] = await db
      .select({ event: events, route: eventRoutes })
      .from(events)
      .leftJoin(
        eventRoutes,
        and(eq(eventRoutes.eventSource, events.source), eq(eventRoutes.eventId, events.id)),
      )
      .where(and(eq(events.source, target.source), eq(events.id, target.eventId)));
    if (!found)
      return { outcome: 'failed', detail: `event ${target.source}/${target.eventId} is not stored` };
    const { event, route } = found;
    const masterData = EVENT_DOMAINS[event.type as EventType] === 'masterdata';
    // master data applies only when newer than what is held, so applying it again is a no-op or a repair
    if (masterData) await db.transaction((tx) => projectEvent(tx, event));
    const stored = toStored(event);
    const plan = planRoute(stored);
    if (!plan) {
      return masterData
        ? { outcome: 'redriven', detail: 'master data applied again (no workflow consumes it)' }
        : { outcome: 'failed', detail: `no workflow consumes ${event.type}` };
    }
    if (!route) {
      await db
        .insert(eventRoutes)
        .values({
          eventSource: event.source,
          eventId: event.id,
          eventSeq: event.seq,
          workflowId: plan.workflowId,
        })
        .onConflictDoNothing();
    }
    const before = route?.status ?? 'none';
    const result = await deliverRoute(db, handleOf(client), stored, plan);
    if (result.status === 'delivered') {
      return {
        outcome: 'redriven',
        detail:
          `delivered to ${result.workflowId} (run ${result.runId})` +
          (before === 'delivered' ? '; it had been delivered before, the workflow ignores a repeat' : ''),
      };
    }
    return {
      outcome: 'failed',
      detail: `not delivered to ${result.workflowId}: ${result.error ?? 'unknown error'} (left pending for the relay)`,
    };
  }

  async function reset(client: Client, runId: string, item: ReplayPlanItemRow): Promise<ItemResult> {
    const target = item.target as ReplayWorkflowTarget;
    const current = await currentRun(client, target.workflowId);
    if (!current) return { outcome: 'failed', detail: `workflow ${target.workflowId} no longer exists` };
    if (current.runId !== target.runId) {
      return {
        outcome: 'skipped_already_done',
        detail: `run ${target.runId} is no longer current: run ${current.runId} is ${current.status}`,
      };
    }
    if (!RESETTABLE.has(current.status)) {
      return {
        outcome: 'skipped_already_done',
        detail: `run ${target.runId} is ${current.status}, not failed`,
      };
    }
    try {
      const { runId: newRunId } = await resetExecution(client, target, {
        requestId: resetRequestId(runId, item.itemKey),
        reason: `replay run ${runId}: reset to its last good point`,
      });
      return { outcome: 'reset', detail: `reset to ${target.resetPoint}; new run ${newRunId}` };
    } catch (err) {
      if (isGrpcServiceError(err) && FINAL_GRPC.has(err.code)) {
        return { outcome: 'failed', detail: `reset refused: ${err.details || err.message}` };
      }
      throw err;
    }
  }

  return {
    /**
     * Handles the next page of a plan's items after position `after`: each item not yet recorded for
     * this run is re-driven or reset and its outcome written once (primary key run + position), so a
     * retried page repeats nothing it recorded. Answers the page's outcomes and where to go on.
     */
    async replayPage(input: {
      runId: string;
      planId: string;
      after: number;
      pageSize: number;
    }): Promise<ReplayPageResult> {
      const ctx = Context.current();
      const client = ctx.client;
      const items = await planItemsAfter(db, input.planId, input.after, input.pageSize + 1);
      const page = items.slice(0, input.pageSize);
      const byOutcome = emptyOutcomes();
      for (const item of page) {
        const [recorded] = await db
          .select()
          .from(replayRunItems)
          .where(and(eq(replayRunItems.runId, input.runId), eq(replayRunItems.position, item.position)));
        let outcome = recorded?.outcome;
        if (!outcome) {
          const result =
            item.kind === 'redrive'
              ? await redrive(client, item.target as ReplayEventTarget)
              : await reset(client, input.runId, item);
          const [written] = await db
            .insert(replayRunItems)
            .values({
              runId: input.runId,
              position: item.position,
              itemKey: item.itemKey,
              kind: item.kind,
              outcome: result.outcome,
              detail: result.detail.slice(0, 2000),
            })
            .onConflictDoNothing()
            .returning();
          outcome = written?.outcome ?? result.outcome;
        }
        byOutcome[outcome]++;
        ctx.heartbeat(item.position);
      }
      await refreshRunProgress(db, input.runId);
      const last = page[page.length - 1];
      return {
        processed: page.length,
        byOutcome,
        nextAfter: items.length > input.pageSize && last ? last.position : null,
      };
    },

    /** Closes a run: completed with its counts, or failed with the error (once; a retry changes nothing). */
    async finishReplayRun(input: { runId: string; error?: string }): Promise<Record<ReplayOutcome, number>> {
      const counts = await refreshRunProgress(db, input.runId);
      await db
        .update(replayRuns)
        .set({
          status: input.error === undefined ? 'completed' : 'failed',
          error: input.error?.slice(0, 2000) ?? null,
          finishedAt: sql`now()`,
        })
        .where(and(eq(replayRuns.id, input.runId), eq(replayRuns.status, 'running')));
      return counts;
    },
  };
}
