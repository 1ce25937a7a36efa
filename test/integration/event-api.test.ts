/** The event API beyond one event: batches, Idempotency-Key, the audit log and replay. */
import request from 'supertest';
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { requestHash } from '../../api/idempotency';
import { eventRoutes, events, httpIdempotencyKeys, stockLevels, stockMovements } from '../../db/schema';
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

const onHand = async (sku: string) =>
  (await h.database.db.select().from(stockLevels).where(eq(stockLevels.sku, sku)))[0]?.onHand;
const movementsOf = async (sku: string) =>
  h.database.db.select().from(stockMovements).where(eq(stockMovements.sku, sku)).orderBy(stockMovements.id);
const countEvents = async (ids: string[]) =>
  (
    (await h.database.db.select({ n: count() }).from(events).where(inArray(events.id, ids))) as [
      { n: number },
    ]
  )[0].n;

/** A type no workflow consumes (master data is stored and applied, not routed). */
function unroutedEvent(key: string) {
  return {
    specversion: '1.0',
    id: uniqueKey('evt'),
    source: 'test/purchasing',
    type: 'supplier.upserted',
    subject: key,
    data: { supplierId: key, name: 'Glaswerk Nord', currency: 'EUR', leadTimeDays: 5, minOrderQuantity: 24 },
  };
}

describe('POST /v1/events/batch', () => {
  it('answers one result per event, in order, storing the valid ones and nothing else', async () => {
    const sku = uniqueKey('SKU');
    const earlier = stockAdjusted({ sku, delta: 5 });
    await request(h.app).post('/v1/events').send(earlier).expect(202);
    await eventually(async () => ((await onHand(sku)) === 5 ? true : undefined));

    const fresh = stockAdjusted({ sku, delta: 2 });
    const invalid = stockAdjusted({ sku, delta: 1.5 });
    const unknown = stockAdjusted({ sku, delta: 1 }, { type: 'order.exploded' });
    const unrouted = unroutedEvent(uniqueKey('SUP'));
    const later = stockAdjusted({ sku, delta: -3 });
    const batch = [fresh, invalid, earlier, unknown, fresh, unrouted, later];

    const res = await request(h.app).post('/v1/events/batch').send(batch).expect(200);
    expect(res.body).toMatchObject({ accepted: 3, duplicate: 2, rejected: 2 });
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([
      202, 400, 200, 422, 200, 202, 202,
    ]);
    expect(res.body.results[0].result).toMatchObject({
      eventId: fresh.id,
      status: 'accepted',
      routing: { status: 'delivered', workflowId: `sku-${sku}` },
    });
    expect(res.body.results[1].problem.errors).toEqual([
      { path: '[1].data.delta', message: expect.any(String) },
    ]);
    expect(res.body.results[2].result).toMatchObject({ eventId: earlier.id, status: 'duplicate' });
    expect(res.body.results[3].problem).toMatchObject({ status: 422, errors: [{ path: '[3].type' }] });
    expect(res.body.results[4].result).toMatchObject({ eventId: fresh.id, status: 'duplicate' });
    // no workflow consumes supplier.upserted: stored, not routed
    expect(res.body.results[5].result).toMatchObject({
      status: 'accepted',
      routing: { status: 'none', workflowId: null, runId: null },
      links: { temporalUi: null },
    });

    await eventually(async () => ((await onHand(sku)) === 4 ? true : undefined));
    expect((await movementsOf(sku)).map((m) => m.causationId)).toEqual([earlier.id, fresh.id, later.id]);
    expect(await countEvents([fresh.id, invalid.id, earlier.id, unknown.id, unrouted.id, later.id])).toBe(4);
    const routes = await h.database.db
      .select()
      .from(eventRoutes)
      .where(inArray(eventRoutes.eventId, [unrouted.id, invalid.id, unknown.id]));
    expect(routes).toEqual([]);
  });

  it('rejects a body that is not a list of 1 to 500 events, and non-JSON', async () => {
    const one = stockAdjusted({ sku: uniqueKey('SKU'), delta: 1 });
    for (const body of [[], one, Array.from({ length: 501 }, () => ({}))]) {
      const res = await request(h.app).post('/v1/events/batch').send(body).expect(400);
      expect(res.body.errors[0].path).toBe('(body)');
    }
    await request(h.app).post('/v1/events/batch').set('Content-Type', 'text/plain').send('[]').expect(415);
    const tooLarge = await request(h.app)
      .post('/v1/events/batch')
      .send([stockAdjusted({ sku: uniqueKey('SKU'), delta: 1, reason: 'x'.repeat(70_000) })])
      .expect(413);
    expect(tooLarge.body.type).toBe('/problems/body-too-large');
    expect(await countEvents([one.id as string])).toBe(0);
  });
});

describe('Idempotency-Key', () => {
  it('answers the first response again for the same request, and writes nothing new', async () => {
    const key = uniqueKey('idem');
    const batch = [stockAdjusted({ sku: uniqueKey('SKU'), delta: 1 })];
    const first = await request(h.app)
      .post('/v1/events/batch')
      .set('Idempotency-Key', key)
      .send(batch)
      .expect(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await request(h.app)
      .post('/v1/events/batch')
      .set('Idempotency-Key', key)
      .send(batch)
      .expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.body.accepted).toBe(1);
  });

  it('refuses the same key with a different request (422) and while the first runs (409)', async () => {
    const key = uniqueKey('idem');
    const a = stockAdjusted({ sku: uniqueKey('SKU'), delta: 1 });
    const b = stockAdjusted({ sku: uniqueKey('SKU'), delta: 2 });
    await request(h.app).post('/v1/events').set('Idempotency-Key', key).send(a).expect(202);
    const reused = await request(h.app).post('/v1/events').set('Idempotency-Key', key).send(b).expect(422);
    expect(reused.body.type).toBe('/problems/idempotency-key-reused');
    expect(await countEvents([b.id as string])).toBe(0);

    // a request with this key is still running (its lease has not run out)
    const busyKey = uniqueKey('idem');
    const c = stockAdjusted({ sku: uniqueKey('SKU'), delta: 3 });
    await h.database.db.insert(httpIdempotencyKeys).values({
      scope: 'POST /v1/events',
      key: busyKey,
      requestHash: requestHash('POST', '/v1/events', c),
      lockedUntil: sql`now() + interval '1 minute'`,
      expiresAt: sql`now() + interval '1 day'`,
    });
    const busy = await request(h.app).post('/v1/events').set('Idempotency-Key', busyKey).send(c).expect(409);
    expect(busy.body.type).toBe('/problems/idempotency-key-in-progress');
    expect(busy.headers['retry-after']).toBe('1');
    expect(await countEvents([c.id as string])).toBe(0);

    // its process died: once the lease is over the same request may run
    await h.database.db
      .update(httpIdempotencyKeys)
      .set({ lockedUntil: sql`now() - interval '1 second'` })
      .where(eq(httpIdempotencyKeys.key, busyKey));
    await request(h.app).post('/v1/events').set('Idempotency-Key', busyKey).send(c).expect(202);
    expect(await countEvents([c.id as string])).toBe(1);
  });

  it('keeps a 4xx answer, forgets an expired key, and rejects a malformed key', async () => {
    const key = uniqueKey('idem');
    const bad = stockAdjusted({ sku: uniqueKey('SKU'), delta: 0 });
    const first = await request(h.app).post('/v1/events').set('Idempotency-Key', key).send(bad).expect(400);
    const again = await request(h.app).post('/v1/events').set('Idempotency-Key', key).send(bad).expect(400);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(again.body).toEqual(first.body);

    await h.database.db
      .update(httpIdempotencyKeys)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(httpIdempotencyKeys.key, key));
    const fixed = { ...bad, data: { ...(bad.data as object), delta: 4 } };
    await request(h.app).post('/v1/events').set('Idempotency-Key', key).send(fixed).expect(202);

    const malformed = await request(h.app)
      .post('/v1/events')
      .set('Idempotency-Key', 'has spaces in it')
      .send(stockAdjusted({ sku: uniqueKey('SKU'), delta: 1 }))
      .expect(400);
    expect(malformed.body.errors).toEqual([{ path: 'header:Idempotency-Key', message: expect.any(String) }]);
  });
});

describe('GET /v1/events', () => {
  it('filters the audit log and pages through it with a cursor', async () => {
    const subject = uniqueKey('S');
    const correlationid = uniqueKey('flow');
    const sent = Array.from({ length: 5 }, (_, i) =>
      stockAdjusted(
        { sku: uniqueKey('SKU'), delta: i + 1 },
        { subject, source: 'test/audit', correlationid },
      ),
    );
    await request(h.app).post('/v1/events/batch').send(sent).expect(200);
    await request(h.app).post('/v1/events').send(unroutedEvent(subject)).expect(202);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await request(h.app)
        .get('/v1/events')
        .query({ subject, type: 'inventory.stock_adjusted', limit: 2, ...(cursor ? { cursor } : {}) })
        .expect(200);
      seen.push(...res.body.items.map((i: { eventId: string }) => i.eventId));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(sent.map((e) => e.id));
    expect(pages).toBe(3);

    const byFlow = await request(h.app).get('/v1/events').query({ correlationId: correlationid }).expect(200);
    expect(byFlow.body.items).toHaveLength(5);
    expect(byFlow.body.items[0]).toMatchObject({
      eventId: sent[0]!.id,
      source: 'test/audit',
      type: 'inventory.stock_adjusted',
      subject,
      correlationId: correlationid,
      data: { delta: 1 },
      routing: { status: 'delivered' },
    });
    const unrouted = await request(h.app).get('/v1/events').query({ subject, routing: 'none' }).expect(200);
    expect(unrouted.body.items.map((i: { type: string }) => i.type)).toEqual(['supplier.upserted']);
    const future = await request(h.app)
      .get('/v1/events')
      .query({ subject, from: new Date(Date.now() + 60_000).toISOString() })
      .expect(200);
    expect(future.body).toEqual({ items: [], nextCursor: null });
  });

  it('rejects bad filters with the failing parameter', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ limit: '501' }, 'limit'],
      [{ from: 'yesterday' }, 'from'],
      [{ cursor: 'nonsense' }, 'cursor'],
      [{ type: 'order.exploded' }, 'type'],
      [{ colour: 'blue' }, 'colour'],
    ];
    for (const [query, path] of cases) {
      const res = await request(h.app).get('/v1/events').query(query).expect(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
  });
});

describe('POST /v1/events/replay', () => {
  it('re-drives stored events: completes what did not happen and repeats nothing that did', async () => {
    const sku = uniqueKey('SKU');
    const source = uniqueKey('test/replay');
    const applied = stockAdjusted({ sku, delta: 10 }, { source });
    await request(h.app).post('/v1/events').send(applied).expect(202);
    await eventually(async () => ((await onHand(sku)) === 10 ? true : undefined));

    // two more are stored while Temporal is unreachable, and the relay is not running
    const { app: offline, close: closeOffline } = await offlineApp(h);
    const missed = [
      stockAdjusted({ sku, delta: -4 }, { source }),
      stockAdjusted({ sku, delta: 1 }, { source }),
    ];
    await request(offline).post('/v1/events/batch').send(missed).expect(200);
    await closeOffline();
    expect(await onHand(sku)).toBe(10);

    const from = new Date(Date.now() - 60_000).toISOString();
    const dry = await request(h.app)
      .post('/v1/events/replay')
      .send({ from, source, dryRun: true })
      .expect(200);
    expect(dry.body).toMatchObject({ matched: 3, redriven: 0, dryRun: true });
    expect(await onHand(sku)).toBe(10);

    const res = await request(h.app).post('/v1/events/replay').send({ from, source }).expect(200);
    expect(res.body).toMatchObject({ matched: 3, redriven: 3, failed: 0, notRouted: 0, nextCursor: null });

    await eventually(async () => ((await onHand(sku)) === 7 ? true : undefined));
    const movements = await movementsOf(sku);
    expect(movements.map((m) => [m.causationId, m.delta])).toEqual([
      [applied.id, 10],
      [missed[0]!.id, -4],
      [missed[1]!.id, 1],
    ]);
    const routes = await h.database.db
      .select()
      .from(eventRoutes)
      .where(and(eq(eventRoutes.eventSource, source)));
    expect(routes.map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered']);

    // and again: nothing left to complete, nothing repeated
    await request(h.app).post('/v1/events/replay').send({ from, source }).expect(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(await movementsOf(sku)).toHaveLength(3);
    expect(await onHand(sku)).toBe(7);
  });

  it('pages with a cursor and refuses a request without a range or types', async () => {
    const source = uniqueKey('test/replay');
    const sent = Array.from({ length: 3 }, () =>
      stockAdjusted({ sku: uniqueKey('SKU'), delta: 1 }, { source }),
    );
    await request(h.app).post('/v1/events/batch').send(sent).expect(200);
    const types = ['inventory.stock_adjusted'];
    const first = await request(h.app)
      .post('/v1/events/replay')
      .send({ types, source, limit: 2 })
      .expect(200);
    expect(first.body).toMatchObject({ matched: 2, redriven: 2 });
    const rest = await request(h.app)
      .post('/v1/events/replay')
      .send({ types, source, limit: 2, cursor: first.body.nextCursor })
      .expect(200);
    expect(rest.body).toMatchObject({ matched: 1, redriven: 1, nextCursor: null });

    const none = await request(h.app).post('/v1/events/replay').send({ source }).expect(400);
    expect(none.body.errors[0].path).toBe('from');
    const unknown = await request(h.app)
      .post('/v1/events/replay')
      .send({ types: ['nope'] })
      .expect(400);
    expect(unknown.body.errors[0].path).toBe('types[0]');
  });
});
