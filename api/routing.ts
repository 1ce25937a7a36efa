/**
 * The router: which workflow an event goes to, and delivering it there. Workflow ids are business
 * keys, so delivering an event twice lands on the same execution; the activities are idempotent.
 */
import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import { escapeLiteral, Pool, type QueryResult } from 'pg';
import type { TemporalHandle } from '../lib/temporal';
import type { EventType } from '../domain/events/catalogue';
import { routePlanners } from './planners';
import type { Db, Tx } from '../db/client';
import { eventRoutes, events, type EventRow } from '../db/schema';

export interface StoredEvent {
  source: string;
  id: string;
  type: string;
  data: unknown;
  correlationId: string;
}

/**
 * Plans the route of one stored event of a type: the workflow it goes to and how to deliver it
 * there, or null when this event goes to no workflow.
 */
export type RoutePlanner = (event: StoredEvent) => RoutePlan | null;

export interface RoutePlan {
  workflowId: string;
  /** Delivers on the task queue of the workflow's domain (given the configured prefix). */
  deliver(client: Client, taskQueuePrefix: string): Promise<{ runId: string }>;
}

export { sendStockChange } from './planners/inventory';

/** The route of an event, or null when no workflow consumes it. */
export function planRoute(event: StoredEvent): RoutePlan | null {
  const planner = routePlanners[event.type as EventType];
  return planner ? planner(event) : null;
}

/** Receives the duration of each delivery attempt (metrics). */
export type RoutingObserver = (seconds: number, outcome: 'delivered' | 'pending') => void;

export type RoutingResult =
  | { status: 'delivered'; workflowId: string; runId: string }
  | { status: 'pending'; workflowId: string; runId: null; error?: string };

/**
 * Delivers one stored event and records the outcome on its route row. The workflow ignores a
 * change it already received, so a delivery repeated after a lost acknowledgement is harmless.
 */
export async function deliverRoute(
  db: Db,
  temporal: TemporalHandle,
  event: StoredEvent,
  plan: RoutePlan,
  observe?: RoutingObserver,
): Promise<RoutingResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const { client, taskQueuePrefix } = temporal;
  const where = and(
    eq(eventRoutes.eventSource, event.source),
    eq(eventRoutes.eventId, event.id),
    eq(eventRoutes.status, 'pending'),
  );
  try {
    const { runId } = await client.withDeadline(Date.now() + temporal.rpcTimeoutMs, () =>
      plan.deliver(client, taskQueuePrefix),
    );
    await db
      .update(eventRoutes)
      .set({
        status: 'delivered',
        runId,
        routedAt: sql`now()`,
        attempts: sql`${eventRoutes.attempts} + 1`,
        leaseUntil: null,
      })
      .where(where);
    observe?.(seconds(), 'delivered');
    return { status: 'delivered', workflowId: plan.workflowId, runId };
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    await db
      .update(eventRoutes)
      .set({
        attempts: sql`${eventRoutes.attempts} + 1`,
        lastError: message.slice(0, 2000),
        leaseUntil: null,
      })
      .where(where);
    observe?.(seconds(), 'pending');
    return { status: 'pending', workflowId: plan.workflowId, runId: null, error: message };
  }
}

export interface PlannedEvent {
  event: StoredEvent;
  plan: RoutePlan;
}

/**
 * Delivers events in the order given, per workflow: after a failure the rest for that workflow
 * stay pending for the relay, so they never overtake it. Different workflows go in parallel.
 */
export async function deliverInOrder(
  db: Db,
  temporal: TemporalHandle,
  planned: PlannedEvent[],
  opts: { concurrency?: number; observe?: RoutingObserver } = {},
): Promise<Map<string, RoutingResult>> {
  const concurrency = opts.concurrency ?? 16;
  const byWorkflow = new Map<string, PlannedEvent[]>();
  for (const p of planned) {
    const list = byWorkflow.get(p.plan.workflowId) ?? [];
    list.push(p);
    byWorkflow.set(p.plan.workflowId, list);
  }
  const results = new Map<string, RoutingResult>();
  const queues = [...byWorkflow.values()];
  const lane = async () => {
    for (let queue = queues.shift(); queue; queue = queues.shift()) {
      for (const [i, { event, plan }] of queue.entries()) {
        const result = await deliverRoute(db, temporal, event, plan, opts.observe);
        results.set(eventKey(event), result);
        if (result.status !== 'delivered') {
          // the rest wait behind this one; the relay may take them all from here
          await releaseRoutes(
            db,
            queue.slice(i + 1).map((p) => p.event),
          );
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queues.length) }, lane));
  return results;
}

/** How long a process may hold routes it is delivering before the relay takes them over. */
export const ROUTE_LEASE_MS = 60_000;

/** Gives up the lease on routes this process will not deliver after all. */
export async function releaseRoutes(db: Db, routes: { source: string; id: string }[]): Promise<void> {
  if (routes.length === 0) return;
  await db
    .update(eventRoutes)
    .set({ leaseUntil: null })
    .where(
      and(
        eq(eventRoutes.status, 'pending'),
        or(...routes.map((r) => and(eq(eventRoutes.eventSource, r.source), eq(eventRoutes.eventId, r.id)))),
      ),
    );
}

export const eventKey = (e: { source: string; id: string }): string => `${e.source}\u0000${e.id}`;

/**
 * Routes events still pending (accepted while Temporal was unreachable, whose first delivery
 * failed, or whose process died while delivering), for up to `limit` workflows, oldest first. A
 * workflow whose oldest pending route is leased (a request is delivering it) is left alone, so
 * nothing overtakes it and nothing is sent twice; per workflow the relay stops at the first
 * failure so order is kept.
 */
export async function relayPendingRoutes(
  db: Db,
  temporal: TemporalHandle,
  opts: { limit: number; observe?: RoutingObserver },
): Promise<{ delivered: number; failed: number; skipped?: boolean }> {
  // one relay at a time across all API processes: a transaction-scoped advisory lock
  return db.transaction(async (tx) => {
    const lock = await tx.execute<{ got: boolean }>(
      sql`select pg_try_advisory_xact_lock(${RELAY_LOCK_ID}) as got`,
    );
    if (!lock.rows[0]?.got) return { delivered: 0, failed: 0, skipped: true };
    return relayBatch(db, temporal, opts);
  });
}

const RELAY_LOCK_ID = 7_233_001;

async function relayBatch(
  db: Db,
  temporal: TemporalHandle,
  opts: { limit: number; observe?: RoutingObserver },
): Promise<{ delivered: number; failed: number }> {
  // workflows with pending routes, the longest waiting first; the claim skips those someone holds
  const workflows = await db
    .select({ workflowId: eventRoutes.workflowId })
    .from(eventRoutes)
    .where(eq(eventRoutes.status, 'pending'))
    .groupBy(eventRoutes.workflowId)
    .orderBy(sql`min(${eventRoutes.eventSeq})`)
    .limit(opts.limit);
  let delivered = 0;
  let failed = 0;
  for (const { workflowId } of workflows) {
    const results = await drainWorkflow(db, temporal, workflowId, { observe: opts.observe, rounds: 1 });
    for (const r of results.values()) {
      if (r.status === 'delivered') delivered++;
      else failed++;
    }
  }
  return { delivered, failed };
}

/**
 * Takes the lease on a workflow's pending routes, oldest first, unless its oldest pending route is
 * held by someone else (then they deliver it and what follows). One claim per workflow at a time.
 */
export async function claimPendingRoutes(db: Db, workflowId: string, limit = 500): Promise<EventRow[]> {
  return db.transaction(async (tx) => {
    await lockWorkflowRoutes(tx, workflowId);
    const rows = await tx
      .select({ event: events, held: sql<boolean>`coalesce(${eventRoutes.leaseUntil} > now(), false)` })
      .from(eventRoutes)
      .innerJoin(events, and(eq(events.source, eventRoutes.eventSource), eq(events.id, eventRoutes.eventId)))
      .where(and(eq(eventRoutes.workflowId, workflowId), eq(eventRoutes.status, 'pending')))
      .orderBy(asc(eventRoutes.eventSeq))
      .limit(limit);
    if (rows.length === 0 || rows[0]?.held) return [];
    await tx
      .update(eventRoutes)
      .set({ leaseUntil: sql`now() + make_interval(secs => ${ROUTE_LEASE_MS / 1000})` })
      .where(
        and(
          eq(eventRoutes.workflowId, workflowId),
          eq(eventRoutes.status, 'pending'),
          inArray(
            eventRoutes.eventSeq,
            rows.map((r) => r.event.seq),
          ),
        ),
      );
    return rows.map((r) => r.event);
  });
}

/**
 * Delivers whatever is pending for a workflow and not held by another process, in order, until
 * nothing is left or a delivery fails (then the rest is released for the relay). Called by the
 * request that just delivered to the workflow, so events queued behind it do not wait for the relay.
 */
export async function drainWorkflow(
  db: Db,
  temporal: TemporalHandle,
  workflowId: string,
  opts: { observe?: RoutingObserver; rounds?: number } = {},
): Promise<Map<string, RoutingResult>> {
  const results = new Map<string, RoutingResult>();
  for (let round = 0; round < (opts.rounds ?? 3); round++) {
    const claimed = await claimPendingRoutes(db, workflowId);
    if (claimed.length === 0) break;
    const planned: PlannedEvent[] = [];
    for (const row of claimed) {
      const event = toStored(row);
      const plan = planRoute(event);
      // a route whose type lost its workflow cannot be delivered; leave it, and what follows, pending
      if (!plan) break;
      planned.push({ event, plan });
    }
    await releaseRoutes(db, claimed.slice(planned.length));
    const outcome = await deliverInOrder(db, temporal, planned, { observe: opts.observe });
    for (const [key, r] of outcome) results.set(key, r);
    if (planned.length < claimed.length || [...outcome.values()].some((r) => r.status !== 'delivered')) break;
  }
  return results;
}

/**
 * Serialises, per workflow, storing new routes and claiming pending ones (until the transaction
 * ends), so an event's seq is the order its workflow receives it in.
 */
export async function lockWorkflowRoutes(tx: Tx, workflowId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${ROUTE_LOCK_SPACE}, hashtext(${workflowId}))`);
}

/**
 * lockWorkflowRoutes for several workflows in one statement, in the order given (callers sort the
 * ids, so two requests never wait on each other's locks in opposite order).
 */
export async function lockWorkflowsRoutes(tx: Tx, workflowIds: string[]): Promise<void> {
  if (workflowIds.length === 0) return;
  if (workflowIds.length === 1) return lockWorkflowRoutes(tx, workflowIds[0] as string);
  const ids = sql.join(
    workflowIds.map((w) => sql`${w}`),
    sql`, `,
  );
  await tx.execute(
    sql`select pg_advisory_xact_lock(${ROUTE_LOCK_SPACE}, hashtext(t.w)) from unnest(array[${ids}]::text[]) with ordinality as t(w, n) order by t.n`,
  );
}

/**
 * Those of these workflows (sorted) with a route still pending, seen after taking and releasing
 * their route locks: a request that stored a route for one of them while holding its lock has
 * committed by then, so its route is seen. One round trip: a multi-statement query runs as one
 * transaction (the locks are held until it ends) in which each statement sees what was committed
 * before it began, so the SELECT sees what committed while the first statement waited.
 */
export async function workflowsWithPendingRoutes(db: Db, workflowIds: string[]): Promise<Set<string>> {
  if (workflowIds.length === 0) return new Set();
  const pool = (db as Db & { $client?: Pool }).$client;
  if (!(pool instanceof Pool)) {
    // not over a pg pool: the same, as a transaction of its own
    return db.transaction(async (tx) => {
      await lockWorkflowsRoutes(tx, workflowIds);
      const rows = await tx
        .selectDistinct({ workflowId: eventRoutes.workflowId })
        .from(eventRoutes)
        .where(and(eq(eventRoutes.status, 'pending'), inArray(eventRoutes.workflowId, workflowIds)));
      return new Set(rows.map((r) => r.workflowId));
    });
  }
  const array = `array[${workflowIds.map((w) => escapeLiteral(w)).join(', ')}]::text[]`;
  const results = (await pool.query(
    `select pg_advisory_xact_lock(${ROUTE_LOCK_SPACE}, hashtext(t.w)) from unnest(${array}) with ordinality as t(w, n) order by t.n;
     select distinct workflow_id from event_routes where status = 'pending' and workflow_id = any(${array})`,
  )) as unknown as QueryResult<{ workflow_id: string }>[];
  return new Set((results[1]?.rows ?? []).map((r) => r.workflow_id));
}

const ROUTE_LOCK_SPACE = 7_233_002;

export function toStored(row: EventRow): StoredEvent {
  return { source: row.source, id: row.id, type: row.type, data: row.data, correlationId: row.correlationId };
}
