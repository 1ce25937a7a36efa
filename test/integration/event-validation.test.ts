/** Bad input gets a 4xx problem+json naming the failing fields, and nothing is written. */
import request from 'supertest';
import { count } from 'drizzle-orm';
import { eventRoutes, events, idempotencyRecords, stockLevels, stockMovements } from '../../db/schema';
import { startHarness, stockAdjusted, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function rowCounts() {
  const db = h.database.db;
  const n = async (
    t:
      | typeof events
      | typeof eventRoutes
      | typeof stockLevels
      | typeof stockMovements
      | typeof idempotencyRecords,
  ) => ((await db.select({ n: count() }).from(t)) as [{ n: number }])[0].n;
  return {
    events: await n(events),
    routes: await n(eventRoutes),
    stock: await n(stockLevels),
    movements: await n(stockMovements),
    idempotency: await n(idempotencyRecords),
  };
}

const nothing = { events: 0, routes: 0, stock: 0, movements: 0, idempotency: 0 };

function expectProblem(res: request.Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    status,
    type: expect.stringMatching(/^\/problems\//),
    title: expect.any(String),
  });
}

/** A body sent exactly as given, with the given Content-Type. */
const postRaw = (contentType: string, body: string) =>
  request(h.app).post('/v1/events').set('Content-Type', contentType).send(body);

const paths = (res: request.Response) => (res.body.errors as { path: string }[]).map((e) => e.path).sort();

describe('POST /v1/events rejects bad input and writes nothing', () => {
  afterEach(async () => {
    expect(await rowCounts()).toEqual(nothing);
  });

  it('unknown event type: 422 naming type', async () => {
    const res = await request(h.app)
      .post('/v1/events')
      .send(stockAdjusted({ sku: 'A', delta: 1 }, { type: 'inventory.nope' }));
    expectProblem(res, 422);
    expect(paths(res)).toEqual(['type']);
  });

  it('unknown version: 422 naming dataschema', async () => {
    const res = await request(h.app)
      .post('/v1/events')
      .send(
        stockAdjusted(
          { sku: 'A', delta: 1 },
          { dataschema: 'https://schemas.example/inventory.stock_adjusted/v9' },
        ),
      );
    expectProblem(res, 422);
    expect(paths(res)).toEqual(['dataschema']);
  });

  it('missing envelope fields: 400 naming each', async () => {
    const res = await request(h.app)
      .post('/v1/events')
      .send({ specversion: '0.3', type: 'inventory.stock_adjusted', data: {} });
    expectProblem(res, 400);
    expect(paths(res)).toEqual(['id', 'source', 'specversion']);
  });

  it('missing data fields: 400 naming data.sku and data.reason', async () => {
    const event = stockAdjusted({ delta: 1 });
    delete (event.data as Record<string, unknown>).reason;
    const res = await request(h.app).post('/v1/events').send(event);
    expectProblem(res, 400);
    expect(paths(res)).toEqual(['data.reason', 'data.sku']);
  });

  it('negative absolute quantity: 400 naming data.quantity', async () => {
    const res = await request(h.app)
      .post('/v1/events')
      .send(stockAdjusted({ sku: 'A', quantity: -1 }));
    expectProblem(res, 400);
    expect(paths(res)).toEqual(['data.quantity']);
  });

  it('non-integer quantity and delta: 400 naming both', async () => {
    const one = await request(h.app)
      .post('/v1/events')
      .send(stockAdjusted({ sku: 'A', delta: 1.5 }));
    expectProblem(one, 400);
    expect(paths(one)).toEqual(['data.delta']);
    const two = await request(h.app)
      .post('/v1/events')
      .send(stockAdjusted({ sku: 'A', quantity: '3' }));
    expectProblem(two, 400);
    expect(paths(two)).toEqual(['data.quantity']);
  });

  it('both or neither of delta and quantity: 400', async () => {
    const both = await request(h.app)
      .post('/v1/events')
      .send(stockAdjusted({ sku: 'A', delta: 1, quantity: 2 }));
    expectProblem(both, 400);
    expect(paths(both)).toEqual(['data.delta', 'data.quantity']);
    const neither = await request(h.app)
      .post('/v1/events')
      .send(stockAdjusted({ sku: 'A' }));
    expectProblem(neither, 400);
    expect(paths(neither)).toEqual(['data.delta', 'data.quantity']);
  });

  it('unknown data field: 400', async () => {
    const res = await request(h.app)
      .post('/v1/events')
      .send(stockAdjusted({ sku: 'A', delta: 1, colour: 'red' }));
    expectProblem(res, 400);
    expect(res.body.errors[0].message).toMatch(/colour/);
  });

  it('a time without offset: 400 naming time', async () => {
    const res = await request(h.app)
      .post('/v1/events')
      .send(stockAdjusted({ sku: 'A', delta: 1 }, { time: 'yesterday' }));
    expectProblem(res, 400);
    expect(paths(res)).toEqual(['time']);
  });

  it('not JSON: 400', async () => {
    const res = await postRaw('application/json', '{"specversion":');
    expectProblem(res, 400);
    expect(paths(res)).toEqual(['(body)']);
  });

  it('a JSON array or string instead of an object: 400', async () => {
    const res = await postRaw('application/json', '"hello"');
    expectProblem(res, 400);
    expect(paths(res)).toEqual(['(root)']);
  });

  it('wrong content type: 415', async () => {
    const res = await postRaw('text/plain', JSON.stringify(stockAdjusted({ sku: 'A', delta: 1 })));
    expectProblem(res, 415);
  });

  it('body over the limit: 413', async () => {
    const res = await request(h.app)
      .post('/v1/events')
      .send(stockAdjusted({ sku: 'A', delta: 1, reason: 'x'.repeat(100 * 1024) }));
    expectProblem(res, 413);
  });

  it('an unknown route: 404 problem+json', async () => {
    const res = await request(h.app).get('/v1/nothing-here');
    expectProblem(res, 404);
  });
});

describe('API documents', () => {
  it('serves an OpenAPI 3.1 document generated from the schemas, and the docs page', async () => {
    const doc = await request(h.app).get('/openapi.json').expect(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/events', '/v1/inventory/{sku}']),
    );
    const stock = doc.body.components.schemas['Event.inventory.stock_adjusted.v1'];
    expect(stock.properties.type).toMatchObject({ enum: ['inventory.stock_adjusted'] });
    expect(stock.properties.data.$ref).toBe('#/components/schemas/InventoryStockAdjustedV1');
    const data = doc.body.components.schemas.InventoryStockAdjustedV1;
    expect(data.properties.quantity).toMatchObject({ type: 'integer', minimum: 0 });
    expect(data.required).toEqual(expect.arrayContaining(['sku', 'reason']));
    const page = await request(h.app).get('/docs/').expect(200);
    expect(page.text).toMatch(/swagger-ui/i);
  });
});
