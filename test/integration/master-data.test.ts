/** Master data as events and as REST: both paths store an upsert event and apply it with it. */
import request from 'supertest';
import { and, count, eq } from 'drizzle-orm';
import { customers, events, reorderSettings } from '../../db/schema';
import { REST_EVENT_SOURCE } from '../../api/ingest';
import { startHarness, uniqueKey, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const customerBody = (over: Record<string, unknown> = {}) => ({
  name: 'Acme GmbH',
  email: 'buyer@acme.example',
  creditLimit: 500_000,
  currency: 'EUR',
  paymentTerms: { netDays: 30 },
  consent: true,
  quietHours: { start: '20:00', end: '08:00', timeZone: 'Europe/Berlin' },
  ...over,
});

const upsertEvent = (type: string, data: Record<string, unknown>, id = uniqueKey('evt')) => ({
  specversion: '1.0',
  id,
  source: 'test/crm',
  type,
  data,
});

const eventsOf = async (subject: string) =>
  h.database.db.select().from(events).where(eq(events.subject, subject)).orderBy(events.seq);

describe('customers', () => {
  it('creates with PUT (201), replaces with PUT (200), and records each change as an event', async () => {
    const id = uniqueKey('C');
    const created = await request(h.app)
      .put(`/v1/customers/${id}`)
      .set('X-Correlation-Id', 'onboarding-7')
      .send(customerBody())
      .expect(201);
    expect(created.headers.location).toBe(`/v1/customers/${id}`);
    expect(created.body).toMatchObject({
      customerId: id,
      creditLimit: 500_000,
      currency: 'EUR',
      paymentTerms: { netDays: 30 },
      consent: true,
      quietHours: { start: '20:00', end: '08:00', timeZone: 'Europe/Berlin' },
      version: { source: REST_EVENT_SOURCE },
    });

    const replaced = await request(h.app)
      .put(`/v1/customers/${id}`)
      .send(customerBody({ creditLimit: 0, consent: false, quietHours: undefined }))
      .expect(200);
    expect(replaced.body).toMatchObject({ creditLimit: 0, consent: false, quietHours: null });
    expect(replaced.body.version.seq).toBeGreaterThan(created.body.version.seq);

    const got = await request(h.app).get(`/v1/customers/${id}`).expect(200);
    expect(got.body).toEqual(replaced.body);

    const stored = await eventsOf(id);
    expect(stored.map((e) => [e.type, e.source, e.correlationId === 'onboarding-7'])).toEqual([
      ['customer.upserted', REST_EVENT_SOURCE, true],
      ['customer.upserted', REST_EVENT_SOURCE, false],
    ]);
    expect(stored[0]!.data).toMatchObject({ customerId: id, creditLimit: 500_000 });
    const [row] = await h.database.db.select().from(customers).where(eq(customers.customerId, id));
    expect(row).toMatchObject({ causationId: stored[1]!.id, versionEventSeq: stored[1]!.seq });
  });

  it('applies a customer.upserted event at once, and an older upsert replayed never rolls back a newer one', async () => {
    const id = uniqueKey('C');
    const older = upsertEvent('customer.upserted', { customerId: id, ...customerBody({ creditLimit: 100 }) });
    const newer = upsertEvent('customer.upserted', { customerId: id, ...customerBody({ creditLimit: 200 }) });
    const res = await request(h.app).post('/v1/events').send(older).expect(202);
    expect(res.body.routing).toEqual({ status: 'none', workflowId: null, runId: null });
    expect((await request(h.app).get(`/v1/customers/${id}`).expect(200)).body.creditLimit).toBe(100);
    await request(h.app).post('/v1/events').send(newer).expect(202);

    const replay = await request(h.app)
      .post('/v1/events/replay')
      .send({
        types: ['customer.upserted'],
        source: 'test/crm',
        from: new Date(Date.now() - 60_000).toISOString(),
      })
      .expect(200);
    expect(replay.body.projected).toBeGreaterThanOrEqual(2);
    const got = await request(h.app).get(`/v1/customers/${id}`).expect(200);
    expect(got.body).toMatchObject({ creditLimit: 200, version: { eventId: newer.id } });
  });

  it('rejects bad input with the failing fields and changes nothing', async () => {
    const id = uniqueKey('C');
    const bad = await request(h.app)
      .put(`/v1/customers/${id}`)
      .send(customerBody({ currency: 'eur', creditLimit: 10.5, paymentTerms: { netDays: 400 } }))
      .expect(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'creditLimit',
      'currency',
      'paymentTerms.netDays',
    ]);
    const mismatch = await request(h.app)
      .put(`/v1/customers/${id}`)
      .send(customerBody({ customerId: 'someone-else' }))
      .expect(400);
    expect(mismatch.body.errors).toEqual([{ path: 'customerId', message: expect.any(String) }]);
    await request(h.app).put(`/v1/customers/${id}`).set('Content-Type', 'text/plain').send('x').expect(415);
    await request(h.app).get(`/v1/customers/${id}`).expect(404);
    expect(await eventsOf(id)).toEqual([]);
  });

  it('answers a repeated PUT with the same Idempotency-Key from the first answer, storing one event', async () => {
    const id = uniqueKey('C');
    const key = uniqueKey('idem');
    const first = await request(h.app)
      .put(`/v1/customers/${id}`)
      .set('Idempotency-Key', key)
      .send(customerBody())
      .expect(201);
    const again = await request(h.app)
      .put(`/v1/customers/${id}`)
      .set('Idempotency-Key', key)
      .send(customerBody())
      .expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await eventsOf(id)).toHaveLength(1);
  });
});

describe('products, reorder rules and suppliers', () => {
  it('stores a product with its reorder rule, then a changed rule on its own', async () => {
    const sku = uniqueKey('SKU');
    const supplierId = uniqueKey('SUP');
    await request(h.app)
      .put(`/v1/suppliers/${supplierId}`)
      .send({ name: 'Glaswerk Nord', currency: 'EUR', leadTimeDays: 5, minOrderQuantity: 24 })
      .expect(201);
    expect((await request(h.app).get(`/v1/suppliers/${supplierId}`).expect(200)).body).toMatchObject({
      supplierId,
      leadTimeDays: 5,
      minOrderQuantity: 24,
    });

    const rule = {
      reorderPoint: 20,
      orderUpTo: 100,
      packMultiple: 12,
      minOrderQuantity: 24,
      leadTimeDays: 5,
      supplierId,
    };
    const product = await request(h.app)
      .put(`/v1/products/${sku}`)
      .send({ name: 'Wine glass', unitPrice: 1250, currency: 'EUR', supplierId, reorderSettings: rule })
      .expect(201);
    expect(product.body).toMatchObject({ sku, unitPrice: 1250, active: true, reorderSettings: rule });

    const changed = await request(h.app)
      .put(`/v1/products/${sku}/reorder-settings`)
      .send({ ...rule, reorderPoint: 30 })
      .expect(200);
    expect(changed.body).toMatchObject({ sku, reorderPoint: 30, orderUpTo: 100 });
    const got = await request(h.app).get(`/v1/products/${sku}`).expect(200);
    expect(got.body.reorderSettings).toEqual({ ...rule, reorderPoint: 30 });
    expect((await eventsOf(sku)).map((e) => e.type)).toEqual([
      'product.upserted',
      'inventory.reorder_settings_changed',
    ]);

    const bad = await request(h.app)
      .put(`/v1/products/${sku}/reorder-settings`)
      .send({ ...rule, orderUpTo: 30, reorderPoint: 30 })
      .expect(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['orderUpTo']);
    const [kept] = await h.database.db
      .select({ n: count() })
      .from(reorderSettings)
      .where(and(eq(reorderSettings.sku, sku), eq(reorderSettings.reorderPoint, 30)));
    expect(kept?.n).toBe(1);
  });

  it('answers 404 for unknown records and 400 for a malformed key', async () => {
    await request(h.app)
      .get(`/v1/products/${uniqueKey('SKU')}`)
      .expect(404);
    await request(h.app)
      .get(`/v1/suppliers/${uniqueKey('SUP')}`)
      .expect(404);
    await request(h.app)
      .get(`/v1/products/${uniqueKey('SKU')}/reorder-settings`)
      .expect(404);
    const bad = await request(h.app).get('/v1/products/%20bad%20sku').expect(400);
    expect(bad.body.errors[0].path).toBe('sku');
  });
});
