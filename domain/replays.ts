/**
 * Selective replay: the predicate of a dry run, the items of its plan, the outcome of each item in a
 * run, and the run's progress query. Sandbox-safe (no I/O): imported by the API, the activities and
 * replayRunWorkflow.
 */
import { defineQuery } from '@temporalio/workflow';
import { z } from 'zod';

/** Workflow statuses a predicate may select (closed executions that did not complete). */
export const REPLAY_WORKFLOW_STATUSES = ['failed', 'timed_out', 'terminated', 'canceled'] as const;
export type ReplayWorkflowStatus = (typeof REPLAY_WORKFLOW_STATUSES)[number];

/** Temporal's visibility name of each status (ExecutionStatus in a list query). */
export const VISIBILITY_STATUS: Record<ReplayWorkflowStatus, string> = {
  failed: 'Failed',
  timed_out: 'TimedOut',
  terminated: 'Terminated',
  canceled: 'Canceled',
};

/** Routing statuses of stored events a predicate may select ('none': stored, no route yet). */
export const REPLAY_ROUTING_STATUSES = ['pending', 'delivered', 'failed', 'none'] as const;

export type ReplayItemKind = 'redrive' | 'reset';

/** One thing a plan will do, frozen at the dry run. */
export interface ReplayItem {
  /** `event:<source>/<eventId>` or `workflow:<workflowId>/<runId>` (the lineage node ids). */
  key: string;
  kind: ReplayItemKind;
  /** One line for people: why this item is in the plan. */
  why: string;
  /** What the run needs: the event ({ source, eventId, type, workflowId }) or the execution and its reset point. */
  target: ReplayEventTarget | ReplayWorkflowTarget;
}

export interface ReplayEventTarget {
  source: string;
  eventId: string;
  type: string;
  /** The workflow the event routes to (null: a master data event applied again, no workflow). */
  workflowId: string | null;
  routing: string;
}

export interface ReplayWorkflowTarget {
  workflowId: string;
  runId: string;
  workflowType: string;
  status: ReplayWorkflowStatus;
  failureType: string | null;
  failureMessage: string | null;
  closedAt: string | null;
  /** The WorkflowTaskCompleted event the execution is reset to (its last good point). */
  resetEventId: number;
  /** What the reset point is, e.g. `before ActivityTaskScheduled createPurchaseOrder (event 5)`. */
  resetPoint: string;
}

export const REPLAY_OUTCOMES = ['redriven', 'reset', 'skipped_already_done', 'failed'] as const;
export type ReplayOutcome = (typeof REPLAY_OUTCOMES)[number];

export const REPLAY_RUN_STATUSES = ['running', 'completed', 'failed'] as const;
export type ReplayRunStatus = (typeof REPLAY_RUN_STATUSES)[number];

/** The input of replayRunWorkflow. */
export interface ReplayRunInput {
  runId: string;
  planId: string;
  /** The plan's item count. */
  total: number;
}

/** The counts a run has reached; also its result. */
export interface ReplayProgress {
  runId: string;
  total: number;
  done: number;
  failed: number;
  byOutcome: Record<ReplayOutcome, number>;
  pages: number;
  status: ReplayRunStatus;
}

/** One page's result, written by the page activity. */
export interface ReplayPageResult {
  processed: number;
  byOutcome: Record<ReplayOutcome, number>;
  /** The plan position to continue after; null when the plan is done. */
  nextAfter: number | null;
}

export const emptyOutcomes = (): Record<ReplayOutcome, number> => ({
  redriven: 0,
  reset: 0,
  skipped_already_done: 0,
  failed: 0,
});

export const replayProgressQuery = defineQuery<ReplayProgress>('replayProgress');

const timestamp = z.iso.datetime({ offset: true });
const key = z.string().min(1).max(200);

/** Which events to re-drive and which failed executions to reset; see README "Selective replay". */
export const replayPredicateSchema = z
  .object({
    eventTypes: z.array(z.string().min(1)).min(1).max(50).optional(),
    from: timestamp.optional(),
    to: timestamp.optional(),
    customerId: key.optional(),
    sku: key.optional(),
    orderId: key.optional(),
    subjects: z.array(key).min(1).max(100).optional(),
    routing: z.array(z.enum(REPLAY_ROUTING_STATUSES)).min(1).optional(),
    workflowStatus: z.array(z.enum(REPLAY_WORKFLOW_STATUSES)).min(1).optional(),
    failureType: z.string().min(1).max(200).optional(),
    workflowTypes: z.array(z.string().min(1).max(200)).min(1).max(20).optional(),
    workflowIds: z.array(key).min(1).max(100).optional(),
  })
  .strict();
export type ReplayPredicate = z.infer<typeof replayPredicateSchema>;
