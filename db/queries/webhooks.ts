/**
 * Webhook fan-out and delivery records. Each subscription has a cursor over outbox.seq: rows past it
 * that match its event types get an outbox_deliveries row (destination `webhook:<id>`), and the
 * cursor moves on. A seq is taken when a transaction inserts, so a lower seq can still commit after a
 * higher one (or never, after a rollback): the cursor only moves over an unbroken run of seqs, and
 * a gap counts as rolled back once the row after it is GAP_SETTLE_SECONDS old. Rows past a gap are
 * fanned out at once (a delivery row is written once, by its primary key), so a gap delays nothing.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { outbox, outboxDeliveries, webhookSubscriptions, type WebhookSubscriptionRow } from '../schema';
import type { PendingWebhookDelivery, WebhookBatch } from '../../domain/webhooks';

/** A transaction that wrote a seq is taken to have rolled back once a later row is this old. */
export const GAP_SETTLE_SECONDS = 300;
/** Outbox rows examined per fan-out pass. */
const SCAN_LIMIT = 1000;

export const webhookDestination = (subscriptionId: string): string => `webhook:${subscriptionId}`;

/** The highest outbox seq written so far (0 when none). */
export async function maxOutboxSeq(db: Db | Tx): Promise<number> {
  const r = await db.execute<{ max: string | null }>(sql`select max(seq)::text as max from outbox`);
  return Number(r.rows[0]?.max ?? 0);
}

export async function findSubscription(db: Db | Tx, id: string): Promise<WebhookSubscriptionRow | undefined> {
  const [row] = await db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
  return row;
}

/**
 * Fans out outbox rows past the subscription's cursor into its deliveries, then returns its pending
 * deliveries in outbox order (at most `limit`). Safe to repeat.
 */
export async function nextWebhookBatch(db: Db, subscriptionId: string, limit: number): Promise<WebhookBatch> {
  return db.transaction(async (tx) => {
    const [sub] = await tx
      .select()
      .from(webhookSubscriptions)
      .where(eq(webhookSubscriptions.id, subscriptionId))
      .for('update');
    if (!sub) return { status: 'gone', deliveries: [], more: false };
    if (sub.status !== 'active') return { status: 'disabled', deliveries: [], more: false };

    const rows = await tx
      .select({
        id: outbox.id,
        seq: outbox.seq,
        type: outbox.type,
        settled: sql<boolean>`${outbox.createdAt} < now() - make_interval(secs => ${GAP_SETTLE_SECONDS})`,
      })
      .from(outbox)
      .where(sql`${outbox.seq} > ${sub.cursorSeq}`)
      .orderBy(asc(outbox.seq))
      .limit(SCAN_LIMIT);
    let cursor = sub.cursorSeq;
    let unbroken = true;
    for (const row of rows) {
      if (row.seq !== cursor + 1 && !row.settled) unbroken = false;
      if (unbroken) cursor = row.seq;
    }
    const destination = webhookDestination(subscriptionId);
    const wanted = rows.filter((r) => sub.eventTypes.length === 0 || sub.eventTypes.includes(r.type));
    if (wanted.length) {
      await tx
        .insert(outboxDeliveries)
        .values(wanted.map((r) => ({ outboxId: r.id, destination, nextAttemptAt: sql`now()` })))
        .onConflictDoNothing();
    }
    if (cursor !== sub.cursorSeq) {
      await tx
        .update(webhookSubscriptions)
        .set({ cursorSeq: cursor })
        .where(eq(webhookSubscriptions.id, subscriptionId));
    }
    const deliveries: PendingWebhookDelivery[] = await tx
      .select({ eventId: outboxDeliveries.outboxId, seq: outbox.seq, attempts: outboxDeliveries.attempts })
      .from(outboxDeliveries)
      .innerJoin(outbox, eq(outbox.id, outboxDeliveries.outboxId))
      .where(and(eq(outboxDeliveries.destination, destination), eq(outboxDeliveries.status, 'pending')))
      .orderBy(asc(outbox.seq))
      .limit(limit);
    return { status: 'active', deliveries, more: rows.length === SCAN_LIMIT };
  });
}
