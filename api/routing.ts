/**
 * The router: which workflow an event goes to, and delivering it there. Workflow ids are business
 * keys, so delivering an event twice lands on the same execution; the activities are idempotent.
 */
import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import type { TemporalHandle } from '../lib/temporal';
import { inventoryWorkflowId, taskQueueName, WORKFLOW_DOMAINS, WORKFLOW_TYPES } from '../domain/names';
import { stockChangedSignal, type InventoryItemInput, type StockChange } from '../domain/inventory';
import type { StockAdjustedV1 } from '../domain/events/inventory';
import type { EventType } from '../domain/events/catalogue';
import type { Db } from '../db/client';
import { eventRoutes, events, type EventRow } from '../db/schema';

export interface StoredEvent {
  source: string;
  id: string;
  type: string;
  data: unknown;
  correlationId: string;
}

export interface RoutePlan {
  workflowId: string;
  /** Delivers on the task queue of the workflow's domain (given the configured prefix). */
  deliver(client: Client, taskQueuePrefix: string): Promise<{ runId: string }>;
}

/**
 * The workflow each event type goes to. A type without a planner is stored (and projected, for
 * master data) but not routed yet; a replay routes it once a workflow consumes it.
 */
const routePlanners: Partial<Record<EventType, (event: StoredEvent) => RoutePlan>> = {
  'inventory.stock_adjusted': (event) => {
    const data = event.data as StockAdjustedV1;
    const workflowId = inventoryWorkflowId(data.sku);
    const change: StockChange = {
      sku: data.sku,
      ...(data.delta !== undefined ? { delta: data.delta } : { quantity: data.quantity }),
      reason: data.reason,
      cause: { source: event.source, id: event.id, correlationId: event.correlationId },
    };
    return {
      workflowId,
      async deliver(client, prefix) {
        const taskQueue = taskQueueName(prefix, WORKFLOW_DOMAINS[WORKFLOW_TYPES.inventoryItem]);
        return { runId: await sendStockChange(client, taskQueue, { sku: data.sku }, change) };
      },
    };
  },
};

/** Signal-with-start of the SKU's workflow: starts it when needed and hands it the change. */
export async function sendStockChange(
  client: Client,
  taskQueue: string,
  input: InventoryItemInput,
  change: StockChange,
): Promise<string> {
  const handle = await client.workflow.signalWithStart(WORKFLOW_TYPES.inventoryItem, {
    workflowId: inventoryWorkflowId(input.sku),
    // a running execution for the SKU takes the signal; a closed one is followed by a new run
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    taskQueue,
    args: [input],
    signal: stockChangedSignal,
    signalArgs: [change],
  });
  return handle.signaledRunId;
}

/** The route of an event, or null when no workflow consumes its type. */
export function planRoute(event: StoredEvent): RoutePlan | null {
  const planner = routePlanners[event.type as EventType];
  return planner ? planner(event) : null;
}

/** Event types a workflow consumes. */
export const routedEventTypes = (): string[] => Object.keys(routePlanners);

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
 * failed, or whose process died while delivering), oldest first. A workflow whose oldest pending
 * route is leased (a request is delivering it) is left alone, so nothing overtakes it and nothing
 * is sent twice; per workflow the relay stops at the first failure so order is kept.
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
  // the head of each workflow's pending queue decides: leased means someone is on it
  const heads = db
    .selectDistinctOn([eventRoutes.workflowId], {
      workflowId: eventRoutes.workflowId,
      leaseUntil: eventRoutes.leaseUntil,
    })
    .from(eventRoutes)
    .where(eq(eventRoutes.status, 'pending'))
    .orderBy(eventRoutes.workflowId, asc(eventRoutes.eventSeq))
    .as('heads');
  const rows = await db
    .select({ event: events, workflowId: eventRoutes.workflowId })
    .from(eventRoutes)
    .innerJoin(heads, eq(heads.workflowId, eventRoutes.workflowId))
    .innerJoin(events, and(eq(events.source, eventRoutes.eventSource), eq(events.id, eventRoutes.eventId)))
    .where(
      and(eq(eventRoutes.status, 'pending'), or(isNull(heads.leaseUntil), lt(heads.leaseUntil, sql`now()`))),
    )
    .orderBy(asc(eventRoutes.eventSeq))
    .limit(opts.limit);
  const blocked = new Set<string>();
  let delivered = 0;
  let failed = 0;
  for (const { event, workflowId } of rows) {
    if (blocked.has(workflowId)) continue;
    const stored = toStored(event);
    const plan = planRoute(stored);
    if (!plan) continue;
    const result = await deliverRoute(db, temporal, stored, plan, opts.observe);
    if (result.status === 'delivered') delivered++;
    else {
      failed++;
      blocked.add(workflowId);
    }
  }
  return { delivered, failed };
}

export function toStored(row: EventRow): StoredEvent {
  return { source: row.source, id: row.id, type: row.type, data: row.data, correlationId: row.correlationId };
}
