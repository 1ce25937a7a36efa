/**
 * The outbox: written in the transaction of the change it announces (gone with a rollback), once per
 * idempotency key, and fanned out to a subscription past a cursor that waits at gaps in seq.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { appendOutbox, type OutboundEvent } from '../../db/queries/outbox';
import {
  GAP_SETTLE_SECONDS,
  maxOutboxSeq,
  nextWebhookBatch,
  webhookDestination,
} from '../../db/queries/webhooks';
import { outbox, outboxDeliveries, stockLevels, webhookSubscriptions } from '../../db/schema';
import { startHarness, uniqueKey, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const reorderTriggered = (sku: string, key = `stock.reorder_triggered/${sku}`): OutboundEvent => ({
  aggregateType: 'sku',
  aggregateId: sku,
  type: 'stock.reorder_triggered',
  payload: { sku, quantity: 5 },
  idempotencyKey: key,
  cause: { source: 'test', id: `evt-${sku}`, correlationId: `corr-${sku}` },
});

/** A state change and its event, in one transaction. */
async function changeStock(sku: string, opts: { failAfterAppend?: boolean } = {}) {
  return h.database.db.transaction(async (tx) => {
    await tx.insert(stockLevels).values({ sku, onHand: 3 });
    const written = await appendOutbox(tx, reorderTriggered(sku));
    if (opts.failAfterAppend) throw new Error('business rule failed after the event was appended');
    return written;
  });
}

const outboxRowsFor = (sku: string) => h.database.db.select().from(outbox).where(eq(outbox.aggregateId, sku));

describe('outbox', () => {
  it('is written with the state change, and absent when the transaction rolls back', async () => {
    const kept = uniqueKey('SKU');
    const { id, created } = await changeStock(kept);
    expect(created).toBe(true);
    const [row] = await outboxRowsFor(kept);
    expect(row).toMatchObject({
      id,
      aggregateType: 'sku',
      type: 'stock.reorder_triggered',
      payload: { sku: kept, quantity: 5 },
      causationSource: 'test',
      correlationId: `corr-${kept}`,
    });
    expect(await h.database.db.select().from(stockLevels).where(eq(stockLevels.sku, kept))).toHaveLength(1);

    const rolledBack = uniqueKey('SKU');
    await expect(changeStock(rolledBack, { failAfterAppend: true })).rejects.toThrow(/business rule/);
    expect(await outboxRowsFor(rolledBack)).toEqual([]);
    expect(await h.database.db.select().from(stockLevels).where(eq(stockLevels.sku, rolledBack))).toEqual([]);
  });

  it('writes an event once per idempotency key, and refuses updates and deletes', async () => {
    const sku = uniqueKey('SKU');
    const first = await h.database.db.transaction((tx) => appendOutbox(tx, reorderTriggered(sku)));
    const again = await h.database.db.transaction((tx) => appendOutbox(tx, reorderTriggered(sku)));
    expect(again).toEqual({ id: first.id, created: false });
    expect(await outboxRowsFor(sku)).toHaveLength(1);
    await expect(h.database.db.delete(outbox).where(eq(outbox.id, first.id))).rejects.toThrow();
  });

  it('fans out to a subscription past its cursor; keeping gaps in seq open without waiting for them', async () => {
    const [{ max }] = (
      await h.database.db.execute<{ max: string }>(sql`select coalesce(max(seq), 0)::text as max from outbox`)
    ).rows as [{ max: string }];
    const [sub] = await h.database.db
      .insert(webhookSubscriptions)
      .values({
        url: 'http://127.0.0.1:9/hook',
        eventTypes: ['stock.reorder_triggered'],
        secret: 'whsec_AAAA',
        cursorSeq: Number(max),
      })
      .returning();
    const subscriptionId = sub!.id;

    const a = await h.database.db.transaction((tx) => appendOutbox(tx, reorderTriggered(uniqueKey('SKU'))));
    // a transaction that takes a seq and rolls back leaves a gap
    await expect(changeStock(uniqueKey('SKU'), { failAfterAppend: true })).rejects.toThrow();
    const b = await h.database.db.transaction((tx) => appendOutbox(tx, reorderTriggered(uniqueKey('SKU'))));
    // not subscribed to: advances the cursor, makes no delivery
    await h.database.db.transaction((tx) =>
      appendOutbox(tx, {
        ...reorderTriggered(uniqueKey('T')),
        type: 'ticket.escalated',
        aggregateType: 'ticket',
        idempotencyKey: randomUUID(),
      }),
    );

    const batch = await nextWebhookBatch(h.database.db, subscriptionId, 10);
    expect(batch.status).toBe('active');
    expect(batch.deliveries.map((d) => d.eventId)).toEqual([a.id, b.id]);
    const [aRow, bRow] = await Promise.all(
      [a.id, b.id].map(
        async (id) => (await h.database.db.select().from(outbox).where(eq(outbox.id, id)))[0]!,
      ),
    );
    const subscription = async () =>
      (
        await h.database.db
          .select()
          .from(webhookSubscriptions)
          .where(eq(webhookSubscriptions.id, subscriptionId))
      )[0]!;
    const after = await subscription();
    // the rolled-back seq sits between a and b: kept open, in case it commits late
    expect(after.cursorSeq).toBeGreaterThan(bRow!.seq);
    expect(after.openGaps.map((g) => g.seq)).toContain(aRow!.seq + 1);

    // a gap settles after GAP_SETTLE_SECONDS
    await nextWebhookBatch(h.database.db, subscriptionId, 10, Date.now() + (GAP_SETTLE_SECONDS + 1) * 1000);
    expect((await subscription()).openGaps).toEqual([]);

    // repeating the pass writes nothing twice
    const again = await nextWebhookBatch(h.database.db, subscriptionId, 10);
    expect(again.deliveries.map((d) => d.eventId)).toEqual([a.id, b.id]);
    const rows = await h.database.db
      .select()
      .from(outboxDeliveries)
      .where(eq(outboxDeliveries.destination, webhookDestination(subscriptionId)));
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.status === 'pending' && r.attempts === 0)).toBe(true);
  });

  it('delivers a row that commits after a higher seq was fanned out (the gap it left is looked at again)', async () => {
    const [sub] = await h.database.db
      .insert(webhookSubscriptions)
      .values({
        url: 'http://127.0.0.1:9/hook',
        secret: 'whsec_AAAA',
        cursorSeq: await maxOutboxSeq(h.database.db),
      })
      .returning();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let appended!: () => void;
    const inserted = new Promise<void>((r) => (appended = r));
    const slow = h.database.db.transaction(async (tx) => {
      const written = await appendOutbox(tx, reorderTriggered(uniqueKey('SLOW')));
      appended();
      await gate;
      return written;
    });
    await inserted;
    const fast = await h.database.db.transaction((tx) =>
      appendOutbox(tx, reorderTriggered(uniqueKey('FAST'))),
    );
    const first = await nextWebhookBatch(h.database.db, sub!.id, 10);
    expect(first.deliveries.map((d) => d.eventId)).toEqual([fast.id]);
    release();
    const late = await slow;
    const second = await nextWebhookBatch(h.database.db, sub!.id, 10);
    expect(second.deliveries.map((d) => d.eventId)).toEqual([late.id, fast.id]);
  });
});
