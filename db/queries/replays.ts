/** Selective replay in Postgres: the events a predicate selects, plans, runs and item outcomes. */
import { and, asc, count, eq, gt, gte, inArray, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import {
  eventRoutes,
  events,
  replayPlanItems,
  replayPlans,
  replayRunItems,
  replayRuns,
  type EventRouteRow,
  type EventRow,
  type ReplayPlanItemRow,
} from '../schema';
import {
  emptyOutcomes,
  type ReplayItem,
  type ReplayOutcome,
  type ReplayPredicate,
} from '../../domain/replays';

/**
 * The event conditions of a predicate. Business keys match the event data: `sku` its `sku` or any
 * `lines[].sku`, `customerId` its `customerId`, `orderId` its `orderId`; `subjects` the CloudEvents
 * subject; `from`/`to` when the event was received.
 */
export function eventPredicate(p: ReplayPredicate): SQL[] {
  const where: SQL[] = [];
  if (p.eventTypes) where.push(inArray(events.type, p.eventTypes));
  if (p.from) where.push(gte(events.receivedAt, new Date(p.from)));
  if (p.to) where.push(lte(events.receivedAt, new Date(p.to)));
  if (p.subjects) where.push(inArray(events.subject, p.subjects));
  if (p.sku) {
    where.push(
      sql`(${events.data}->>'sku' = ${p.sku} or ${events.data}->'lines' @> jsonb_build_array(jsonb_build_object('sku', ${p.sku}::text)))`,
    );
  }
  if (p.customerId) where.push(sql`${events.data}->>'customerId' = ${p.customerId}`);
  if (p.orderId) where.push(sql`${events.data}->>'orderId' = ${p.orderId}`);
  if (p.routing) {
    const statuses = p.routing.filter((s) => s !== 'none') as EventRouteRow['status'][];
    const any: SQL[] = [];
    if (statuses.length) any.push(inArray(eventRoutes.status, statuses));
    if (p.routing.includes('none')) any.push(isNull(eventRoutes.status));
    where.push(or(...any) as SQL);
  }
  return where;
}

const routeJoin = and(eq(eventRoutes.eventSource, events.source), eq(eventRoutes.eventId, events.id));

/** The first `limit` events the predicate selects (store order) and how many it selects in all. */
export async function selectReplayEvents(
  db: Db,
  p: ReplayPredicate,
  limit: number,
): Promise<{ rows: { event: EventRow; route: EventRouteRow | null }[]; matched: number }> {
  const where = and(...eventPredicate(p));
  const rows = await db
    .select({ event: events, route: eventRoutes })
    .from(events)
    .leftJoin(eventRoutes, routeJoin)
    .where(where)
    .orderBy(asc(events.seq))
    .limit(limit);
  const [total] = await db.select({ n: count() }).from(events).leftJoin(eventRoutes, routeJoin).where(where);
  return { rows, matched: total?.n ?? 0 };
}

/** Stores a plan with its frozen items in one transaction. */
export async function insertPlan(
  db: Db,
  plan: typeof replayPlans.$inferInsert,
  items: ReplayItem[],
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(replayPlans).values(plan);
    for (let i = 0; i < items.length; i += 500) {
      await tx.insert(replayPlanItems).values(
        items.slice(i, i + 500).map((item, j) => ({
          planId: plan.id,
          position: i + j,
          itemKey: item.key,
          kind: item.kind,
          why: item.why,
          target: item.target,
        })),
      );
    }
  });
}

/** The next page of a plan's items after position `after`. */
export async function planItemsAfter(
  db: Db,
  planId: string,
  after: number,
  limit: number,
): Promise<ReplayPlanItemRow[]> {
  return db
    .select()
    .from(replayPlanItems)
    .where(and(eq(replayPlanItems.planId, planId), gt(replayPlanItems.position, after)))
    .orderBy(asc(replayPlanItems.position))
    .limit(limit);
}

export async function planItemCount(db: Db, planId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(replayPlanItems)
    .where(eq(replayPlanItems.planId, planId));
  return row?.n ?? 0;
}

/** A run's outcomes counted from its item rows. */
export async function runOutcomeCounts(db: Db, runId: string): Promise<Record<ReplayOutcome, number>> {
  const rows = await db
    .select({ outcome: replayRunItems.outcome, n: count() })
    .from(replayRunItems)
    .where(eq(replayRunItems.runId, runId))
    .groupBy(replayRunItems.outcome);
  const counts = emptyOutcomes();
  for (const r of rows) counts[r.outcome] = r.n;
  return counts;
}

/** Writes the run's done and failed counts from its item rows (idempotent). */
export async function refreshRunProgress(db: Db, runId: string): Promise<Record<ReplayOutcome, number>> {
  const counts = await runOutcomeCounts(db, runId);
  const done = Object.values(counts).reduce((a, b) => a + b, 0);
  await db.update(replayRuns).set({ done, failed: counts.failed }).where(eq(replayRuns.id, runId));
  return counts;
}
