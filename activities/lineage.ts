/**
 * Lineage context of the activities: every transaction an activity opens first sets the
 * transaction-local `erp.lineage` setting (the activity, its workflow run and the event that caused
 * it), which the row trigger of the business tables copies into lineage_effects (custom migration
 * 0016). One place for all activities: createActivities hands them a database whose `transaction`
 * does this, and wraps each activity so the causing event it gets as input is known.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Context } from '@temporalio/activity';
import type { Db } from '../db/client';
import { setLineage, type LineageContext } from '../db/queries/lineage-context';
import type { EventRef } from '../domain/inventory';

const causes = new AsyncLocalStorage<EventRef | undefined>();

const isEventRef = (v: unknown): v is EventRef =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as EventRef).source === 'string' &&
  typeof (v as EventRef).id === 'string' &&
  typeof (v as EventRef).correlationId === 'string';

/**
 * The causing event among an activity's arguments: an argument's `cause`, or the `cause` of one of
 * its object fields (an order workflow's `input.cause`, a payment's `payment.cause`).
 */
export function causeInArgs(args: unknown[]): EventRef | undefined {
  for (const arg of args) {
    if (typeof arg !== 'object' || arg === null) continue;
    const own = (arg as { cause?: unknown }).cause;
    if (isEventRef(own)) return own;
  }
  for (const arg of args) {
    if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) continue;
    for (const field of Object.values(arg)) {
      const nested =
        typeof field === 'object' && field !== null ? (field as { cause?: unknown }).cause : null;
      if (isEventRef(nested)) return nested;
    }
  }
  return undefined;
}

/** The lineage of a write made now: the running activity and its cause, or null outside activities. */
export function currentLineage(): LineageContext | null {
  let info;
  try {
    info = Context.current().info;
  } catch {
    return null;
  }
  const cause = causes.getStore();
  return {
    ...(cause
      ? { causationSource: cause.source, causationId: cause.id, correlationId: cause.correlationId }
      : {}),
    workflowId: info.workflowExecution?.workflowId,
    runId: info.workflowExecution?.runId,
    activityType: info.activityType,
    activityAttempt: info.attempt,
  };
}

/**
 * `db` whose transactions, when opened by an activity, start by setting its lineage. Everything else
 * is `db` itself. (Writes outside a transaction carry no lineage context; activities write in
 * transactions.)
 */
export function withLineage(db: Db): Db {
  const transaction: Db['transaction'] = (fn, config) =>
    db.transaction(async (tx) => {
      const lineage = currentLineage();
      if (lineage) await setLineage(tx, lineage);
      return fn(tx);
    }, config);
  return new Proxy(db, {
    get: (target, prop, receiver) =>
      prop === 'transaction' ? transaction : Reflect.get(target, prop, receiver),
  });
}

/** Each activity runs with the causing event found in its arguments, for {@link currentLineage}. */
export function withCauses<T extends Record<string, unknown>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] =
      typeof fn === 'function'
        ? (...args: unknown[]) =>
            causes.run(causeInArgs(args), () => (fn as (...a: unknown[]) => unknown)(...args))
        : fn;
  }
  return wrapped as T;
}
