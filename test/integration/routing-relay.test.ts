/** A 202 means stored: events accepted while Temporal is unreachable are routed later, in order. */
import request from 'supertest';
import { asc, eq, sql } from 'drizzle-orm';
import { relayPendingRoutes } from '../../api/routing';
import { eventRoutes, stockLevels, stockMovements } from '../../db/schema';
import {
  eventually,
  startHarness,
  stockAdjusted,
  uniqueKey,
  type Harness,
  offlineApp,
} from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

it('accepts events while Temporal is unreachable and the relay routes them in order once it is back', async () => {
  const { app: offline, close: closeOffline } = await offlineApp(h);
  const sku = uniqueKey('SKU');
  const sent = [
    stockAdjusted({ sku, delta: 10 }),
    stockAdjusted({ sku, quantity: 4 }),
    stockAdjusted({ sku, delta: 1 }),
  ];
  for (const event of sent) {
    const res = await request(offline).post('/v1/events').send(event).expect(202);
    expect(res.body.routing).toMatchObject({ status: 'pending', workflowId: `sku-${sku}`, runId: null });
  }
  const pending = await h.database.db
    .select()
    .from(eventRoutes)
    .where(eq(eventRoutes.workflowId, `sku-${sku}`));
  expect(pending.map((r) => r.status)).toEqual(['pending', 'pending', 'pending']);
  // the first attempt failed and says why; the later two waited behind it without an attempt
  expect(pending.map((r) => r.attempts).sort()).toEqual([0, 0, 1]);
  await closeOffline();

  const result = await relayPendingRoutes(h.database.db, h.temporal, { limit: 100 });
  expect(result).toMatchObject({ delivered: 3, failed: 0 });

  await eventually(async () => {
    const rows = await h.database.db.select().from(stockMovements).where(eq(stockMovements.sku, sku));
    return rows.length === 3 ? rows : undefined;
  });
  const movements = await h.database.db
    .select()
    .from(stockMovements)
    .where(eq(stockMovements.sku, sku))
    .orderBy(asc(stockMovements.id));
  expect(movements.map((m) => m.causationId)).toEqual(sent.map((e) => e.id));
  expect(movements.map((m) => m.delta)).toEqual([10, -6, 1]);
  const [level] = await h.database.db.select().from(stockLevels).where(eq(stockLevels.sku, sku));
  expect(level?.onHand).toBe(5);

  const routes = await h.database.db
    .select()
    .from(eventRoutes)
    .where(eq(eventRoutes.workflowId, `sku-${sku}`));
  expect(routes.every((r) => r.status === 'delivered' && r.runId)).toBe(true);

  // a second relay pass finds nothing left to do
  const again = await relayPendingRoutes(h.database.db, h.temporal, { limit: 100 });
  expect(again).toMatchObject({ delivered: 0, failed: 0 });
});

it('leaves a workflow alone while a request holds the lease on its oldest pending route', async () => {
  const { app: offline, close: closeOffline } = await offlineApp(h);
  const sku = uniqueKey('SKU');
  const workflowId = `sku-${sku}`;
  const sent = [stockAdjusted({ sku, delta: 3 }), stockAdjusted({ sku, delta: 4 })];
  for (const event of sent) await request(offline).post('/v1/events').send(event).expect(202);
  await closeOffline();
  const routes = () => h.database.db.select().from(eventRoutes).where(eq(eventRoutes.workflowId, workflowId));
  // a failed delivery gives its lease back at once
  expect((await routes()).map((r) => r.leaseUntil)).toEqual([null, null]);

  // another request is delivering the oldest one: neither it nor the one behind it may be sent
  await h.database.db
    .update(eventRoutes)
    .set({ leaseUntil: sql`now() + interval '1 minute'` })
    .where(eq(eventRoutes.eventId, sent[0]!.id));
  expect(await relayPendingRoutes(h.database.db, h.temporal, { limit: 100 })).toMatchObject({ delivered: 0 });
  expect((await routes()).map((r) => r.status)).toEqual(['pending', 'pending']);

  // that request died: once its lease runs out the relay takes over, in order
  await h.database.db
    .update(eventRoutes)
    .set({ leaseUntil: sql`now() - interval '1 second'` })
    .where(eq(eventRoutes.eventId, sent[0]!.id));
  expect(await relayPendingRoutes(h.database.db, h.temporal, { limit: 100 })).toMatchObject({ delivered: 2 });
  await eventually(async () => {
    const rows = await h.database.db.select().from(stockMovements).where(eq(stockMovements.sku, sku));
    return rows.length === 2 ? rows : undefined;
  });
  const movements = await h.database.db
    .select()
    .from(stockMovements)
    .where(eq(stockMovements.sku, sku))
    .orderBy(asc(stockMovements.id));
  expect(movements.map((m) => m.causationId)).toEqual(sent.map((e) => e.id));
  expect((await routes()).every((r) => r.status === 'delivered' && r.leaseUntil === null)).toBe(true);
});

it('delivers events queued behind a concurrent request without waiting for the relay, in stored order', async () => {
  // no relay runs in this test: whatever is delivered, the requests delivered themselves
  const sku = uniqueKey('SKU');
  const workflowId = `sku-${sku}`;
  const sent = Array.from({ length: 20 }, (_, i) => stockAdjusted({ sku, delta: i + 1 }));
  const answers = await Promise.all(sent.map((e) => request(h.app).post('/v1/events').send(e).expect(202)));
  expect(answers.every((a) => a.body.routing.workflowId === workflowId)).toBe(true);

  const routes = await eventually(async () => {
    const rows = await h.database.db
      .select()
      .from(eventRoutes)
      .where(eq(eventRoutes.workflowId, workflowId))
      .orderBy(asc(eventRoutes.eventSeq));
    return rows.every((r) => r.status === 'delivered') ? rows : undefined;
  }, 10_000);
  expect(routes.every((r) => r.leaseUntil === null && r.attempts === 1)).toBe(true);

  const movements = await eventually(async () => {
    const rows = await h.database.db
      .select()
      .from(stockMovements)
      .where(eq(stockMovements.sku, sku))
      .orderBy(asc(stockMovements.id));
    return rows.length === 20 ? rows : undefined;
  });
  // applied in the order the events were stored, each once
  expect(movements.map((m) => m.causationId)).toEqual(routes.map((r) => r.eventId));
  const history = await h.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  expect((history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes)).toHaveLength(20);
});
