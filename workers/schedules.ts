/**
 * The Temporal Schedules that run batch work (hybrid batch), defined once here and registered at
 * worker start: each is created, or updated to match this code when it exists and differs. An
 * operator's pause (and its note) survives a restart and an update. Times are UTC.
 *
 * Production uses the ids in SCHEDULE_IDS; SCHEDULE_ID_PREFIX (default empty) puts a prefix in front
 * of every schedule id and workflow id, so several deployments or test files can share one Temporal
 * namespace without sharing schedules (each test harness uses its own prefix).
 */
import { createHash } from 'node:crypto';
import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleOverlapPolicy,
  type ScheduleSpec,
} from '@temporalio/client';
import {
  SCHEDULE_IDS,
  WORKFLOW_TYPES,
  workflowTaskQueue,
  type ScheduleId,
  type WorkflowType,
} from '../domain/names';
import type { Logger } from '../lib/logger';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** One schedule as the code wants it. */
export interface ScheduleDefinition {
  scheduleId: ScheduleId;
  /** What it is for and when it runs, for people (GET /v1/schedules, the README). */
  description: string;
  spec: ScheduleSpec;
  workflowType: WorkflowType;
  /** The workflow id before the prefix; Temporal appends the scheduled time to it per run. */
  workflowId: string;
  args: unknown[];
  overlap: ScheduleOverlapPolicy;
  /** How late a missed run (Temporal down at its time) may still start, in milliseconds. */
  catchupWindowMs: number;
  pauseOnFailure: boolean;
  /** The overlap policy of a backfill when the caller names none (Temporal's own default is SKIP). */
  backfillOverlap: ScheduleOverlapPolicy;
}

/**
 * The three schedules. The choices, and why:
 *
 * - reconciliation-nightly, 02:00 UTC: SKIP overlaps (a batch still running owns the unallocated
 *   payments; a second one would only contend for the same rows), catch-up 4 hours (a night missed
 *   by an outage still runs before the working day; later than that an operator backfills, so a
 *   heavy batch does not start in business hours unasked), backfills one night after another
 *   (BUFFER_ALL). No pause on failure: each night matches everything still unallocated, so the next
 *   run covers a failed one; a schedule that paused itself would stop reconciling silently.
 * - inventory-sweep, every hour at :15: SKIP overlaps and a 10-minute catch-up, because the next run
 *   does the same work (a sweep checks every SKU as it is now; missed sweeps need no replaying);
 *   backfills SKIP too (one sweep over a whole range is all that is useful). Never pauses itself: a
 *   safety net that switches itself off is none.
 * - receivables-ageing-report, 05:00 UTC daily (after the nightly reconciliation): ALLOW_ALL, since
 *   each day's report is its own (keyed by the day, stored once) and cheap, so a backfill over several
 *   days writes them all at once; catch-up 1 day, because each day's report is wanted even after a
 *   long outage. Does not pause itself: tomorrow's report should not depend on today's.
 */
export const SCHEDULE_DEFINITIONS: readonly ScheduleDefinition[] = [
  {
    scheduleId: SCHEDULE_IDS.reconciliationNightly,
    description:
      'Nightly payment reconciliation batch at 02:00 UTC: matches unallocated payments to open invoices.',
    spec: { calendars: [{ hour: 2, minute: 0, comment: 'nightly at 02:00 UTC' }] },
    workflowType: WORKFLOW_TYPES.reconciliationBatch,
    workflowId: SCHEDULE_IDS.reconciliationNightly,
    args: [{}],
    overlap: 'SKIP',
    catchupWindowMs: 4 * HOUR,
    pauseOnFailure: false,
    backfillOverlap: 'BUFFER_ALL',
  },
  {
    scheduleId: SCHEDULE_IDS.inventorySweep,
    description:
      'Hourly safety-net stock sweep at :15: SKUs at or below their reorder point with no open ' +
      'purchase order are re-checked by their workflow (and reordered).',
    spec: { calendars: [{ hour: '*', minute: 15, comment: 'hourly at :15' }] },
    workflowType: WORKFLOW_TYPES.inventorySweep,
    workflowId: SCHEDULE_IDS.inventorySweep,
    args: [{}],
    overlap: 'SKIP',
    catchupWindowMs: 10 * MINUTE,
    pauseOnFailure: false,
    backfillOverlap: 'SKIP',
  },
  {
    scheduleId: SCHEDULE_IDS.receivablesAgeingReport,
    description: 'Daily receivables-ageing report at 05:00 UTC, stored once per day.',
    spec: { calendars: [{ hour: 5, minute: 0, comment: 'daily at 05:00 UTC' }] },
    workflowType: WORKFLOW_TYPES.receivablesAgeingReport,
    workflowId: SCHEDULE_IDS.receivablesAgeingReport,
    args: [{}],
    overlap: 'ALLOW_ALL',
    catchupWindowMs: DAY,
    pauseOnFailure: false,
    backfillOverlap: 'ALLOW_ALL',
  },
];

export const KNOWN_SCHEDULE_IDS: readonly ScheduleId[] = Object.values(SCHEDULE_IDS);

export const scheduleDefinition = (id: ScheduleId): ScheduleDefinition => {
  const found = SCHEDULE_DEFINITIONS.find((d) => d.scheduleId === id);
  if (!found) throw new Error(`no schedule definition for ${id}`);
  return found;
};

export interface ScheduleTarget {
  /** TEMPORAL_TASK_QUEUE: the workflows run on `<prefix>-<domain>`. */
  taskQueuePrefix: string;
  /** SCHEDULE_ID_PREFIX: in front of every schedule id and workflow id ('' in production). */
  idPrefix: string;
}

/** The memo key on each schedule's action holding the fingerprint of its definition. */
const FINGERPRINT_MEMO = 'scheduleDefinition';

/** A fingerprint of everything the code defines, so a changed definition is noticed and applied. */
export function definitionFingerprint(def: ScheduleDefinition, target: ScheduleTarget): string {
  const { description: _description, ...defined } = def;
  return createHash('sha256')
    .update(JSON.stringify({ ...defined, ...target }))
    .digest('hex')
    .slice(0, 16);
}

/** What ScheduleClient.create takes for a definition. */
export function scheduleOptions(def: ScheduleDefinition, target: ScheduleTarget): ScheduleOptions {
  return {
    scheduleId: `${target.idPrefix}${def.scheduleId}`,
    spec: def.spec,
    action: {
      type: 'startWorkflow',
      workflowType: def.workflowType,
      workflowId: `${target.idPrefix}${def.workflowId}`,
      taskQueue: workflowTaskQueue(target.taskQueuePrefix, def.workflowType),
      args: def.args,
      memo: { [FINGERPRINT_MEMO]: definitionFingerprint(def, target) },
    },
    policies: {
      overlap: def.overlap,
      catchupWindow: def.catchupWindowMs,
      pauseOnFailure: def.pauseOnFailure,
    },
    state: { note: 'registered at worker start' },
  };
}

/** Whether the schedule Temporal holds is the one the code defines. */
function matches(description: ScheduleDescription, options: ScheduleOptions): boolean {
  const action = description.action;
  const wanted = options.action;
  return (
    action.workflowType === wanted.workflowType &&
    action.taskQueue === wanted.taskQueue &&
    action.workflowId === wanted.workflowId &&
    action.memo?.[FINGERPRINT_MEMO] === wanted.memo?.[FINGERPRINT_MEMO] &&
    description.policies.overlap === options.policies?.overlap &&
    description.policies.catchupWindow === options.policies?.catchupWindow &&
    description.policies.pauseOnFailure === options.policies?.pauseOnFailure
  );
}

export type RegistrationOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Creates each schedule, or updates it to match its definition when it exists and differs (the
 * spec, action or policies; a change made by hand in the UI to any of those except the spec is
 * noticed and undone too). Paused state and note are kept. Safe to run from several workers at once.
 */
export async function registerSchedules(
  client: Client,
  target: ScheduleTarget,
  opts: { definitions?: readonly ScheduleDefinition[]; logger?: Logger } = {},
): Promise<{ scheduleId: string; outcome: RegistrationOutcome }[]> {
  const results: { scheduleId: string; outcome: RegistrationOutcome }[] = [];
  for (const def of opts.definitions ?? SCHEDULE_DEFINITIONS) {
    const options = scheduleOptions(def, target);
    const outcome = await registerOne(client, options);
    opts.logger?.info({ scheduleId: options.scheduleId, outcome }, 'schedule registered');
    results.push({ scheduleId: options.scheduleId, outcome });
  }
  return results;
}

async function registerOne(client: Client, options: ScheduleOptions): Promise<RegistrationOutcome> {
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    // another worker created it first, or it exists from an earlier start
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(options.scheduleId);
  if (matches(await handle.describe(), options)) return 'unchanged';
  const { scheduleId: _id, state: _state, ...rest } = options;
  await handle.update((previous) => ({
    ...rest,
    state: {
      paused: previous.state.paused,
      note: previous.state.note,
      remainingActions: previous.state.remainingActions,
    },
  }));
  return 'updated';
}

/** Deletes this target's schedules (tests, or retiring a deployment); missing ones are ignored. */
export async function deleteSchedules(
  client: Client,
  target: Pick<ScheduleTarget, 'idPrefix'>,
): Promise<void> {
  for (const id of KNOWN_SCHEDULE_IDS) {
    try {
      await client.schedule.getHandle(`${target.idPrefix}${id}`).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
}
