/**
 * The lists behind the operator console, against real workflows and Postgres: orders by status,
 * purchase orders awaiting confirmation or late, tickets in or near SLA breach, SKUs at or below
 * their reorder point, event statistics, the events list newest first and an order's payments.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { eq } from 'drizzle-orm';
import { crmTickets } from '../../db/schema';
import { eventually, startHarness, stockAdjusted, uniqueKey, type Harness } from '../support/harness';
import { addStock, createCustomer, pay, placeOrder, waitForStatus } from '../support/orders';
import { reorderHelpers } from '../support/reorder';

let h: Harness;
const r = reorderHelpers(() => h);

beforeAll(async () => {
  h = await startHarness({
    settings: {
      sales: { taxRateBps: 0, approvalTimeout: '10 minutes' },
      // urgent tickets breach their first response at once; low ones have days
      crm: { sla: { urgent: { firstResponse: '1 second', resolution: '1 minute' } } },
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const get = (path: string, query: Record<string, string | number> = {}) =>
  request(h.app).get(path).query(query);

describe('GET /v1/orders', () => {
  it('lists orders by status, newest first, with the count and cursor pages', async () => {
    const customerId = await createCustomer(h, 1000);
    const sku = uniqueKey('SKU');
    await addStock(h, sku, 50);
    const held: string[] = [];
    for (let i = 0; i < 3; i++) {
      const orderId = await placeOrder(h, { customerId, lines: [{ sku, quantity: 1, unitPrice: 5000 }] });
      await waitForStatus(h, orderId, 'on_credit_hold');
      held.push(orderId);
    }
    const small = await placeOrder(h, { customerId, lines: [{ sku, quantity: 1, unitPrice: 500 }] });
    await waitForStatus(h, small, 'invoiced');

    const all = await get('/v1/orders', { status: 'on_credit_hold', customerId }).expect(200);
    expect(all.body.total).toBe(3);
    expect(all.body.items.map((o: { orderId: string }) => o.orderId)).toEqual([...held].reverse());
    expect(all.body.items[0]).toMatchObject({
      customerId,
      status: 'on_credit_hold',
      currency: 'EUR',
      total: 5000,
      amountPaid: 0,
      links: { self: `/v1/orders/${held[2]}` },
    });
    expect(all.body.nextCursor).toBeNull();

    const first = await get('/v1/orders', { customerId, limit: 2 }).expect(200);
    expect(first.body.total).toBe(4);
    expect(first.body.items.map((o: { orderId: string }) => o.orderId)).toEqual([small, held[2]]);
    const second = await get('/v1/orders', { customerId, limit: 2, cursor: first.body.nextCursor }).expect(
      200,
    );
    expect(second.body.items.map((o: { orderId: string }) => o.orderId)).toEqual([held[1], held[0]]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('refuses a bad query with the field paths', async () => {
    const res = await get('/v1/orders', { status: 'sleeping', limit: 0 }).expect(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['limit', 'status']);
    const cursor = await get('/v1/orders', { cursor: 'nope' }).expect(400);
    expect(cursor.body.errors).toEqual([{ path: 'cursor', message: 'not a cursor this API returned' }]);
    await get('/v1/orders', { colour: 'red' }).expect(400);
  });

  it('shows an order’s payments on the order', async () => {
    const customerId = await createCustomer(h);
    const sku = uniqueKey('SKU');
    await addStock(h, sku, 5);
    const orderId = await placeOrder(h, { customerId, lines: [{ sku, quantity: 1, unitPrice: 1200 }] });
    await waitForStatus(h, orderId, 'invoiced');
    const { paymentId } = await pay(h, orderId, 1200);
    const res = await eventually(async () => {
      const o = await get(`/v1/orders/${orderId}`).expect(200);
      return o.body.payments.length ? o : undefined;
    });
    expect(res.body.payments).toEqual([
      {
        paymentId,
        invoiceNumber: `INV-${orderId}`,
        amount: 1200,
        matchRule: 'reference',
        status: 'active',
        allocatedAt: expect.any(String),
        links: { self: `/v1/reconciliation/payments/${paymentId}` },
      },
    ]);
  });
});

describe('GET /v1/purchase-orders and GET /v1/inventory', () => {
  it('lists purchase orders awaiting confirmation and late ones, and SKUs at or below their reorder point', async () => {
    const low = uniqueKey('SKU-LOW');
    const high = uniqueKey('SKU-HIGH');
    await addStock(h, high, 50);
    const supplierId = await r.skuWithRule(low, { reorderPoint: 5, orderUpTo: 20 });
    await r.skuWithRule(high, { reorderPoint: 5, orderUpTo: 20 });
    const { po } = await r.onePurchaseOrder(low, 'sent');

    const waiting = await get('/v1/purchase-orders', { awaitingConfirmation: 'true', sku: low }).expect(200);
    expect(waiting.body).toMatchObject({
      total: 1,
      nextCursor: null,
      items: [
        {
          purchaseOrderId: po.purchaseOrderId,
          supplierId,
          sku: low,
          quantity: 20,
          received: 0,
          status: 'sent',
          late: false,
          links: { self: `/v1/purchase-orders/${po.purchaseOrderId}`, sku: `/v1/inventory/${low}` },
        },
      ],
    });
    expect((await get('/v1/purchase-orders', { late: 'true', sku: low }).expect(200)).body.total).toBe(0);

    // the supplier confirms a date long past: the order is late, no longer awaiting confirmation
    await request(h.app)
      .post(`/v1/purchase-orders/${po.purchaseOrderId}/confirm`)
      .send({ expectedDate: '2026-01-05' })
      .expect(202);
    await eventually(async () => {
      const res = await get('/v1/purchase-orders', { late: 'true', sku: low }).expect(200);
      return res.body.total === 1 ? res : undefined;
    });
    const late = await get('/v1/purchase-orders', { late: 'true', supplierId }).expect(200);
    expect(late.body.items).toEqual([
      expect.objectContaining({ purchaseOrderId: po.purchaseOrderId, status: 'confirmed', late: true }),
    ]);
    expect(
      (await get('/v1/purchase-orders', { awaitingConfirmation: 'true', sku: low }).expect(200)).body.total,
    ).toBe(0);
    expect((await get('/v1/purchase-orders', { status: 'confirmed', sku: low }).expect(200)).body.total).toBe(
      1,
    );

    const atOrBelow = await get('/v1/inventory', { atOrBelowReorderPoint: 'true', limit: 500 }).expect(200);
    const skus = atOrBelow.body.items.map((i: { sku: string }) => i.sku);
    expect(skus).toContain(low);
    expect(skus).not.toContain(high);
    expect(atOrBelow.body.items.find((i: { sku: string }) => i.sku === low)).toEqual({
      sku: low,
      onHand: 0,
      reserved: 0,
      available: 0,
      onOrder: 20,
      atOrBelowReorderPoint: true,
      reorderSettings: {
        reorderPoint: 5,
        orderUpTo: 20,
        packMultiple: 1,
        minOrderQuantity: 1,
        leadTimeDays: 0,
        supplierId,
      },
      openPurchaseOrders: [
        {
          purchaseOrderId: po.purchaseOrderId,
          quantity: 20,
          received: 0,
          status: 'confirmed',
          expectedDate: '2026-01-05',
          links: { self: `/v1/purchase-orders/${po.purchaseOrderId}` },
        },
      ],
      links: { self: `/v1/inventory/${low}` },
    });
    const above = await get('/v1/inventory', { atOrBelowReorderPoint: 'false', limit: 500 }).expect(200);
    expect(above.body.items.find((i: { sku: string }) => i.sku === high)).toMatchObject({
      onHand: 50,
      available: 50,
      atOrBelowReorderPoint: false,
    });

    // pages by SKU
    const page1 = await get('/v1/inventory', { limit: 1 }).expect(200);
    expect(page1.body.items).toHaveLength(1);
    const page2 = await get('/v1/inventory', { limit: 1, cursor: page1.body.nextCursor }).expect(200);
    expect(page2.body.items[0].sku > page1.body.items[0].sku).toBe(true);
  });

  it('refuses bad filters with the field paths', async () => {
    const po = await get('/v1/purchase-orders', { late: 'yes', status: 'lost' }).expect(400);
    expect(po.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['late', 'status']);
    const inv = await get('/v1/inventory', { atOrBelowReorderPoint: '1', limit: 501 }).expect(400);
    expect(inv.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'atOrBelowReorderPoint',
      'limit',
    ]);
  });
});

describe('GET /v1/tickets', () => {
  it('lists tickets in or near SLA breach', async () => {
    const customerId = await createCustomer(h);
    const ids = { urgent: uniqueKey('T'), high: uniqueKey('T'), low: uniqueKey('T') };
    for (const [priority, ticketId] of Object.entries(ids)) {
      await request(h.app)
        .post('/v1/events')
        .send({
          specversion: '1.0',
          id: uniqueKey('evt'),
          source: 'test/helpdesk',
          type: 'support.requested',
          data: { ticketId, customerId, channel: 'email', subject: `Help (${priority})`, priority },
        })
        .expect(202);
    }
    await eventually(async () => {
      const rows = await h.database.db.select().from(crmTickets).where(eq(crmTickets.customerId, customerId));
      return rows.length === 3 ? rows : undefined;
    });
    // the urgent ticket's first response was due after 1 second
    const breached = await eventually(async () => {
      const res = await get('/v1/tickets', { slaState: 'breached', customerId }).expect(200);
      return res.body.total === 1 ? res : undefined;
    });
    expect(breached.body.items).toEqual([
      expect.objectContaining({
        ticketId: ids.urgent,
        priority: 'urgent',
        slaState: 'breached',
        slaClock: 'first_response',
        links: { self: `/v1/tickets/${ids.urgent}` },
      }),
    ]);
    // high: first response due in 4 hours, near within 5 hours
    const near = await get('/v1/tickets', { slaState: 'near', nearWithinMinutes: 300, customerId }).expect(
      200,
    );
    expect(near.body.items.map((t: { ticketId: string }) => t.ticketId)).toEqual([ids.high]);
    const either = await get('/v1/tickets', {
      slaState: 'breachedOrNear',
      nearWithinMinutes: 300,
      customerId,
    }).expect(200);
    expect(either.body.items.map((t: { ticketId: string }) => t.ticketId).sort()).toEqual(
      [ids.urgent, ids.high].sort(),
    );
    const ok = await get('/v1/tickets', { slaState: 'ok', customerId }).expect(200);
    expect(ok.body.items.map((t: { ticketId: string }) => t.ticketId).sort()).toEqual(
      [ids.high, ids.low].sort(),
    );
    expect((await get('/v1/tickets', { priority: 'low', customerId }).expect(200)).body.total).toBe(1);
    const bad = await get('/v1/tickets', { slaState: 'late', nearWithinMinutes: 0 }).expect(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'nearWithinMinutes',
      'slaState',
    ]);
  });
});

describe('events: newest first and statistics', () => {
  it('lists events newest first with cursor pages, and counts them per minute with the routing latency', async () => {
    const sku = uniqueKey('SKU');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const event = stockAdjusted({ sku, delta: 1 }, { id: `evt-${randomUUID()}`, subject: sku });
      ids.push(event.id);
      await request(h.app).post('/v1/events').send(event).expect(202);
    }
    const first = await get('/v1/events', { subject: sku, order: 'desc', limit: 2 }).expect(200);
    expect(first.body.items.map((e: { eventId: string }) => e.eventId)).toEqual([ids[2], ids[1]]);
    const second = await get('/v1/events', {
      subject: sku,
      order: 'desc',
      limit: 2,
      cursor: first.body.nextCursor,
    }).expect(200);
    expect(second.body.items.map((e: { eventId: string }) => e.eventId)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    const asc = await get('/v1/events', { subject: sku }).expect(200);
    expect(asc.body.items.map((e: { eventId: string }) => e.eventId)).toEqual(ids);
    await get('/v1/events', { order: 'sideways' }).expect(400);

    const stats = await eventually(async () => {
      const res = await get('/v1/stats/events', { minutes: 30 }).expect(200);
      return res.body.routingLatency.count >= 3 ? res : undefined;
    });
    const adjusted = stats.body.perMinute.filter(
      (p: { type: string }) => p.type === 'inventory.stock_adjusted',
    );
    expect(adjusted.reduce((s: number, p: { count: number }) => s + p.count, 0)).toBeGreaterThanOrEqual(3);
    expect(adjusted[0].minute).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/);
    const lat = stats.body.routingLatency;
    expect(lat.p50Ms).toBeLessThanOrEqual(lat.p90Ms);
    expect(lat.p90Ms).toBeLessThanOrEqual(lat.maxMs);
    expect(lat.buckets).toHaveLength(11);
    expect(lat.buckets.reduce((s: number, b: { count: number }) => s + b.count, 0)).toBe(lat.count);
    expect(lat.buckets[10].belowMs).toBeNull();
    expect(stats.body.pendingRoutes).toEqual(expect.any(Number));
    const bad = await get('/v1/stats/events', { minutes: 0 }).expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: 'minutes' })]);
  });
});
