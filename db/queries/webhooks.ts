/**
 * Webhook fan-out and delivery records. Each subscription has a cursor over outbox.seq: rows past it
 * that match its event types get an outbox_deliveries row (destination `webhook:<id>`), and the
 * cursor moves to the last row seen. A seq is taken when a transaction inserts, so a lower seq can
 * commit after a higher one (or never: a rollback, or an idempotent re-append that hit its key).
 * The seqs the cursor skipped are kept as open gaps and looked up again on every pass until they
 * appear or GAP_SETTLE_SECONDS pass; nothing waits for them.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import {
  outbox,
  outboxDeliveries,
  webhookSubscriptions,
  type OpenGap,
  type WebhookSubscriptionRow,
} from '../schema';
import type { PendingWebhookDelivery, WebhookBatch } from '../../domain/webhooks';

/** A skipped seq is taken to be rolled back after this long. */
export const GAP_SETTLE_SECONDS = 300;
/** Outbox rows examined per fan-out pass. */
const SCAN_LIMIT = 1000;
/** Open gaps kept per subscription (the oldest are dropped beyond it). */
const MAX_OPEN_GAPS = 5000;

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
 * Fans out outbox rows past the subscription's cursor (and any that filled a gap) into its
 * deliveries, then returns its pending deliveries in outbox order (at most `limit`). Safe to repeat.
 */
export async function nextWebhookBatch(
  db: Db,
  subscriptionId: string,
  limit: number,
  now = Date.now(),
): Promise<WebhookBatch> {
  return db.transaction(async (tx) => {
    const [sub] = await tx
      .select()
      .from(webhookSubscriptions)
      .where(eq(webhookSubscriptions.id, subscriptionId))
      .for('update');
    if (!sub) return { status: 'gone', deliveries: [], more: false };
    if (sub.status !== 'active') return { status: 'disabled', deliveries: [], more: false };

    const columns = { id: outbox.id, seq: outbox.seq, type: outbox.type };
    const fresh = await tx
      .select(columns)
      .from(outbox)
      .where(sql`${outbox.seq} > ${sub.cursorSeq}`)
      .orderBy(asc(outbox.seq))
      .limit(SCAN_LIMIT);
    const settleMs = GAP_SETTLE_SECONDS * 1000;
    let gaps: OpenGap[] = sub.openGaps.filter((g) => now - g.since < settleMs);
    const filled = gaps.length
      ? await tx
          .select(columns)
          .from(outbox)
          .where(
            inArray(
              outbox.seq,
              gaps.map((g) => g.seq),
            ),
          )
      : [];
    const filledSeqs = new Set(filled.map((r) => r.seq));
    gaps = gaps.filter((g) => !filledSeqs.has(g.seq));
    let cursor = sub.cursorSeq;
    for (const row of fresh) {
      for (let seq = cursor + 1; seq < row.seq && row.seq - seq <= MAX_OPEN_GAPS; seq++) {
        gaps.push({ seq, since: now });
      }
      cursor = row.seq;
    }
    if (gaps.length > MAX_OPEN_GAPS) gaps = gaps.slice(gaps.length - MAX_OPEN_GAPS);

    const destination = webhookDestination(subscriptionId);
    const wanted = [...filled, ...fresh].filter(
      (r) => sub.eventTypes.length === 0 || sub.eventTypes.includes(r.type),
    );
    if (wanted.length) {
      await tx
        .insert(outboxDeliveries)
        .values(wanted.map((r) => ({ outboxId: r.id, destination, nextAttemptAt: sql`now()` })))
        .onConflictDoNothing();
    }
    await tx
      .update(webhookSubscriptions)
      .set({ cursorSeq: cursor, openGaps: gaps })
      .where(eq(webhookSubscriptions.id, subscriptionId));
    const deliveries: PendingWebhookDelivery[] = await tx
      .select({ eventId: outboxDeliveries.outboxId, seq: outbox.seq, attempts: outboxDeliveries.attempts })
      .from(outboxDeliveries)
      .innerJoin(outbox, eq(outbox.id, outboxDeliveries.outboxId))
      .where(and(eq(outboxDeliveries.destination, destination), eq(outboxDeliveries.status, 'pending')))
      .orderBy(asc(outbox.seq))
      .limit(limit);
    return { status: 'active', deliveries, more: fresh.length === SCAN_LIMIT };
  });
}
