/**
 * Failed workflow executions for selective replay: finding them in Temporal's visibility, reading
 * why they failed and their last good point from the history, and resetting them to it (what
 * `temporal workflow reset` does, with the reset point chosen from the failure).
 */
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { ReplayWorkflowStatus, ReplayWorkflowTarget } from '../domain/replays';
import { VISIBILITY_STATUS } from '../domain/replays';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Failure = temporal.api.failure.v1.IFailure;
const EventType = temporal.api.enums.v1.EventType;

const STATUS_OF: Record<string, ReplayWorkflowStatus> = {
  FAILED: 'failed',
  TIMED_OUT: 'timed_out',
  TERMINATED: 'terminated',
  CANCELLED: 'canceled',
};

/** A list-query string literal. */
const lit = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const inList = (field: string, values: readonly string[]): string =>
  `${field} IN (${values.map(lit).join(', ')})`;

export interface ExecutionFilter {
  statuses: ReplayWorkflowStatus[];
  /** Only executions on these task queues (this deployment's). */
  taskQueues: string[];
  workflowTypes?: string[];
  workflowIds?: string[];
  /** Closed at or after / before (ISO). */
  from?: string;
  to?: string;
}

/** The visibility query of a filter. */
export function executionQuery(f: ExecutionFilter): string {
  const parts = [
    inList(
      'ExecutionStatus',
      f.statuses.map((s) => VISIBILITY_STATUS[s]),
    ),
    inList('TaskQueue', f.taskQueues),
  ];
  if (f.workflowTypes?.length) parts.push(inList('WorkflowType', f.workflowTypes));
  if (f.workflowIds?.length) parts.push(inList('WorkflowId', f.workflowIds));
  if (f.from) parts.push(`CloseTime >= ${lit(new Date(f.from).toISOString())}`);
  if (f.to) parts.push(`CloseTime <= ${lit(new Date(f.to).toISOString())}`);
  return parts.join(' AND ');
}

/** Up to `limit` closed executions matching the filter, newest first (as visibility answers). */
export async function listExecutions(
  client: Client,
  filter: ExecutionFilter,
  limit: number,
): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query: executionQuery(filter), pageSize: 100 })) {
    found.push(info);
    if (found.length >= limit) break;
  }
  return found;
}

type Long = NonNullable<temporal.api.history.v1.IHistoryEvent['eventId']>;

const num = (v: Long | number | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber();

/** The type of a failure: the ApplicationFailure type, else the kind (`TimeoutFailure`, ...). */
function failureKind(f: Failure): string {
  if (f.applicationFailureInfo) return f.applicationFailureInfo.type || 'ApplicationFailure';
  if (f.timeoutFailureInfo) return 'TimeoutFailure';
  if (f.canceledFailureInfo) return 'CanceledFailure';
  if (f.terminatedFailureInfo) return 'TerminatedFailure';
  if (f.activityFailureInfo) return 'ActivityFailure';
  if (f.childWorkflowExecutionFailureInfo) return 'ChildWorkflowFailure';
  if (f.serverFailureInfo) return 'ServerFailure';
  return 'Failure';
}

/** The failure chain, outermost first. */
function chain(f: Failure | null | undefined): Failure[] {
  const out: Failure[] = [];
  for (let c = f; c && out.length < 10; c = c.cause) out.push(c);
  return out;
}

export interface ExecutionAnalysis {
  failureType: string | null;
  failureMessage: string | null;
  /** The WorkflowTaskCompleted to reset to, or null when the history has none before the failure. */
  resetEventId: number | null;
  resetPoint: string;
}

/**
 * Why a closed execution did not complete, and its last good point: the last WorkflowTaskCompleted
 * before the step that failed (the activity or child whose failure failed the workflow), else before
 * the close event (what `temporal workflow reset --type LastWorkflowTask` picks). Resetting there
 * runs the failed step again, so a data fix made since takes effect.
 */
export function analyseHistory(events: HistoryEvent[]): ExecutionAnalysis {
  const close = [...events].reverse().find((e) => isClose(e.eventType));
  let failureType: string | null = null;
  let failureMessage: string | null = null;
  let anchor = close ? num(close.eventId) : Number.MAX_SAFE_INTEGER;
  let anchorWhat = close ? `${eventName(close.eventType)} (event ${anchor})` : 'the end of the history';
  const failed = close?.workflowExecutionFailedEventAttributes?.failure;
  if (failed) {
    const links = chain(failed);
    const root = links[links.length - 1] as Failure;
    failureType = failureKind(root);
    failureMessage =
      links
        .map((l) => l.message)
        .filter(Boolean)
        .join(': ') || null;
    for (const l of links) {
      const scheduled = num(l.activityFailureInfo?.scheduledEventId);
      const initiated = num(l.childWorkflowExecutionFailureInfo?.initiatedEventId);
      if (scheduled > 0) {
        anchor = scheduled;
        anchorWhat = `ActivityTaskScheduled ${l.activityFailureInfo?.activityType?.name ?? ''} (event ${scheduled})`;
        break;
      }
      if (initiated > 0) {
        anchor = initiated;
        anchorWhat = `StartChildWorkflowExecutionInitiated ${
          l.childWorkflowExecutionFailureInfo?.workflowType?.name ?? ''
        } (event ${initiated})`;
        break;
      }
    }
  } else if (close?.workflowExecutionTimedOutEventAttributes) {
    failureType = 'TimeoutFailure';
    failureMessage = 'workflow execution timed out';
  } else if (close?.workflowExecutionTerminatedEventAttributes) {
    failureType = 'TerminatedFailure';
    failureMessage = close.workflowExecutionTerminatedEventAttributes.reason || 'terminated';
  } else if (close?.workflowExecutionCanceledEventAttributes) {
    failureType = 'CanceledFailure';
    failureMessage = 'canceled';
  }
  const completed = events.filter(
    (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && num(e.eventId) < anchor,
  );
  const last = completed[completed.length - 1];
  const resetEventId = last ? num(last.eventId) : null;
  return {
    failureType,
    failureMessage,
    resetEventId,
    resetPoint:
      resetEventId === null
        ? `no completed workflow task before ${anchorWhat}`
        : `WorkflowTaskCompleted (event ${resetEventId}) before ${anchorWhat}`,
  };
}

function isClose(t: temporal.api.enums.v1.EventType | null | undefined): boolean {
  return (
    t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED ||
    t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT ||
    t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED ||
    t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED ||
    t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED ||
    t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
  );
}

function eventName(t: temporal.api.enums.v1.EventType | null | undefined): string {
  const name = t === null || t === undefined ? 'event' : (EventType[t] ?? 'event');
  return name
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase());
}

/** A closed execution as a reset target (null reset point: it cannot be reset). */
export async function describeFailedExecution(
  client: Client,
  info: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'type' | 'status' | 'closeTime'>,
): Promise<{ target: Omit<ReplayWorkflowTarget, 'resetEventId'> & { resetEventId: number | null } }> {
  const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
  const a = analyseHistory(history.events ?? []);
  return {
    target: {
      workflowId: info.workflowId,
      runId: info.runId,
      workflowType: info.type,
      status: STATUS_OF[info.status.name] ?? 'failed',
      failureType: a.failureType,
      failureMessage: a.failureMessage,
      closedAt: info.closeTime?.toISOString() ?? null,
      resetEventId: a.resetEventId,
      resetPoint: a.resetPoint,
    },
  };
}

/** The current run of a workflow id and its status name, or null when there is none. */
export async function currentRun(
  client: Client,
  workflowId: string,
): Promise<{ runId: string; status: string } | null> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    return { runId: d.runId, status: d.status.name };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/** A request id derived from what is reset by whom, so a repeated reset request is deduplicated. */
export function resetRequestId(replayRunId: string, itemKey: string): string {
  const h = createHash('sha256').update(`${replayRunId}\u0000${itemKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Resets the execution to its last good point: a new run replays up to it and goes on from there. */
export async function resetExecution(
  client: Client,
  target: ReplayWorkflowTarget,
  opts: { requestId: string; reason: string },
): Promise<{ runId: string }> {
  const response = await client.workflowService.resetWorkflowExecution({
    namespace: client.options.namespace,
    workflowExecution: { workflowId: target.workflowId, runId: target.runId },
    reason: opts.reason,
    // an int64 field: protobufjs encodes a plain number (no direct dependency on `long`)
    workflowTaskFinishEventId: target.resetEventId as unknown as Long,
    requestId: opts.requestId,
    resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_SIGNAL,
  });
  return { runId: response.runId ?? '' };
}
