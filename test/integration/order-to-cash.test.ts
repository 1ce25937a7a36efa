/**
 * Order-to-cash through the whole system (API, ingestion, order workflow, activities, Postgres):
 * happy path, partial payments, overpayment, credit hold, backorder, dunning, unknown customer.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { asc, eq } from 'drizzle-orm';
import {
  crmTasks,
  customerContacts,
  invoiceLines,
  paymentAllocations,
  payments,
  reservations,
  stockMovements,
} from '../../db/schema';
import { orderWorkflowId } from '../../domain/names';
import {
  invoiceNumberFor,
  orderAmountsQuery,
  orderStatusQuery,
  orderTimelineQuery,
} from '../../domain/sales';
import { eventually, startHarness, uniqueKey, type Harness } from '../support/harness';
import {
  addStock,
  createCustomer,
  expectLedgerBalanced,
  invoiceOf,
  orderBalances,
  orderRow,
  outboxRows,
  outboxTypes,
  pay,
  placeOrder,
  stockOf,
  waitForStatus,
} from '../support/orders';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    settings: {
      sales: {
        taxRateBps: 1000,
        // generous for a busy machine: the approval and replenishment tests act well within these
        approvalTimeout: '8 seconds',
        backorderTimeout: '8 seconds',
        dunningLevels: [
          { level: 1, after: '2 seconds' },
          { level: 2, after: '7 seconds' },
          { level: 3, after: '9 seconds' },
        ],
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
});
afterEach(async () => {
  if (h) await expectLedgerBalanced(h);
});

const handle = (orderId: string) => h.temporal.client.workflow.getHandle(orderWorkflowId(orderId));

/** Three SKUs in stock and an order for them: subtotal 8500, tax 850 (10 %, half-even per line), total 9350. */
async function stockedOrder(
  opts: { creditLimit?: number; netDays?: number; customer?: Record<string, unknown> } = {},
) {
  const customerId = await createCustomer(h, opts.creditLimit ?? 0, opts.customer);
  const [a, b, c] = [uniqueKey('SKU-A'), uniqueKey('SKU-B'), uniqueKey('SKU-C')] as [string, string, string];
  await addStock(h, a, 10);
  await addStock(h, b, 5);
  await addStock(h, c, 1);
  const orderId = await placeOrder(h, {
    customerId,
    netDays: opts.netDays,
    lines: [
      { sku: a, quantity: 2, unitPrice: 1250 }, // 2500, tax 250
      { sku: b, quantity: 1, unitPrice: 4995 }, // 4995, tax 499.5 → 500 (half to even)
      { sku: c, quantity: 1, unitPrice: 1005 }, // 1005, tax 100.5 → 100 (half to even)
    ],
  });
  return { customerId, orderId, skus: [a, b, c] as const };
}

describe('high-value orders', () => {
  it('open one CRM task for sales at or above the configured amount, none below it', async () => {
    const customerId = await createCustomer(h);
    const sku = uniqueKey('SKU');
    await addStock(h, sku, 20);
    const threshold = h.settings.crm.highValueOrderAmount;
    // 10 % tax: a subtotal of 10/11 of the threshold (rounded up) reaches it; one unit less does not
    const unitPrice = Math.ceil(threshold / 1.1);
    const big = await placeOrder(h, { customerId, lines: [{ sku, quantity: 1, unitPrice }] });
    const small = await placeOrder(h, { customerId, lines: [{ sku, quantity: 1, unitPrice: 1000 }] });
    await waitForStatus(h, big, 'invoiced');
    await waitForStatus(h, small, 'invoiced');
    const tasks = await h.database.db
      .select()
      .from(crmTasks)
      .where(eq(crmTasks.customerId, customerId))
      .orderBy(asc(crmTasks.id));
    expect(tasks.map((t) => [t.type, t.orderId, t.assignee])).toEqual([
      ['high_value_order', big, h.settings.crm.salesAssignee],
    ]);
    expect((await orderRow(h, big))?.total).toBeGreaterThanOrEqual(threshold);
  });
});

describe('happy path', () => {
  it('reserves, invoices with tax, takes the payment, ships, and closes on shipment confirmation', async () => {
    const { customerId, orderId, skus } = await stockedOrder();
    const [a, b, c] = skus;
    const invoiced = await waitForStatus(h, orderId, 'invoiced');
    expect(invoiced).toMatchObject({ customerId, subtotal: 8500, tax: 850, total: 9350, amountPaid: 0 });
    expect(await stockOf(h, a)).toEqual({ onHand: 10, reserved: 2 });
    expect(await stockOf(h, b)).toEqual({ onHand: 5, reserved: 1 });
    expect(await stockOf(h, c)).toEqual({ onHand: 1, reserved: 1 });

    const invoice = await invoiceOf(h, orderId);
    expect(invoice).toMatchObject({
      invoiceNumber: `INV-${orderId}`,
      subtotal: 8500,
      tax: 850,
      total: 9350,
      status: 'open',
    });
    const today = new Date().toISOString().slice(0, 10);
    expect(invoice?.issuedOn).toBe(today);
    const due = new Date(`${today}T00:00:00Z`);
    due.setUTCDate(due.getUTCDate() + 30);
    expect(invoice?.dueDate).toBe(due.toISOString().slice(0, 10));
    const lines = await h.database.db
      .select()
      .from(invoiceLines)
      .where(eq(invoiceLines.invoiceNumber, invoiceNumberFor(orderId)))
      .orderBy(asc(invoiceLines.lineNo));
    expect(lines.map((l) => [l.sku, l.quantity, l.lineTotal, l.tax])).toEqual([
      [a, 2, 2500, 250],
      [b, 1, 4995, 500],
      [c, 1, 1005, 100],
    ]);
    expect(await orderBalances(h, orderId)).toEqual({ '1100': 9350, '4000': -8500, '2100': -850 });

    // a second order.placed for the same order reaches the same execution and starts nothing
    const again = await request(h.app)
      .post('/v1/events')
      .send({
        specversion: '1.0',
        id: `evt-${randomUUID()}`,
        source: 'test/shop',
        type: 'order.placed',
        data: {
          orderId,
          customerId,
          currency: 'EUR',
          paymentTerms: { netDays: 30 },
          lines: [{ sku: a, quantity: 1, unitPrice: 1 }],
        },
      })
      .expect(202);
    const first = await handle(orderId).describe();
    expect(again.body.routing).toEqual({
      status: 'delivered',
      workflowId: `order-${orderId}`,
      runId: first.runId,
    });

    const { paymentId } = await pay(h, orderId, 9350);
    await waitForStatus(h, orderId, 'shipped');
    expect(await stockOf(h, a)).toEqual({ onHand: 8, reserved: 0 });
    expect(await stockOf(h, b)).toEqual({ onHand: 4, reserved: 0 });
    expect(await stockOf(h, c)).toEqual({ onHand: 0, reserved: 0 });
    const out = await h.database.db
      .select()
      .from(stockMovements)
      .where(eq(stockMovements.causationId, `${orderId}/ship/${a}`));
    expect(out).toMatchObject([{ delta: -2, onHandAfter: 8 }]);
    const held = await h.database.db.select().from(reservations).where(eq(reservations.orderId, orderId));
    expect(held.map((r) => r.status)).toEqual(['shipped', 'shipped', 'shipped']);
    expect(await invoiceOf(h, orderId)).toMatchObject({ amountPaid: 9350, status: 'paid' });
    const [payment] = await h.database.db.select().from(payments).where(eq(payments.paymentId, paymentId));
    expect(payment).toMatchObject({ amount: 9350, amountAllocated: 9350, status: 'allocated', customerId });
    expect(await orderBalances(h, orderId)).toEqual({ '1000': 9350, '1100': 0, '4000': -8500, '2100': -850 });

    // cancelling after shipment is refused with the reason
    const refused = await request(h.app)
      .post(`/v1/orders/${orderId}/cancel`)
      .send({ reason: 'too late' })
      .expect(409);
    expect(refused.body.detail).toMatch(/shipped/);

    const confirmed = await request(h.app)
      .post(`/v1/orders/${orderId}/shipment-confirmation`)
      .send({ shipmentId: 'SH-1', carrier: 'DHL' })
      .expect(200);
    expect(confirmed.body).toEqual({ orderId, status: 'completed', shipmentId: 'SH-1' });
    await waitForStatus(h, orderId, 'completed');
    expect(await outboxTypes(h, [orderId])).toEqual([
      'order.accepted',
      'order.invoiced',
      'order.paid',
      'order.shipped',
      'order.completed',
    ]);
    expect((await outboxRows(h, paymentId, 'payment.allocated')).length).toBe(1);

    const view = await request(h.app).get(`/v1/orders/${orderId}`).expect(200);
    expect(view.body).toMatchObject({
      orderId,
      status: 'completed',
      total: 9350,
      amountPaid: 9350,
      amountDue: 0,
      invoice: { invoiceNumber: `INV-${orderId}`, total: 9350, status: 'paid' },
      workflow: { id: `order-${orderId}`, runId: first.runId, status: 'COMPLETED' },
    });
    expect(view.body.links.temporalUi).toContain(`order-${orderId}`);
    expect(view.body.timeline.map((t: { step: string }) => t.step)).toEqual([
      'received',
      'accepted',
      'reserved',
      'invoiced',
      'payment_allocated',
      'paid',
      'shipped',
      'completed',
    ]);
    const entries = await request(h.app).get(`/v1/ledger/entries?paymentId=${paymentId}`).expect(200);
    expect(entries.body.items).toHaveLength(1);
  });

  it('ships an order of nothing to pay (total 0) without a payment and without a journal entry', async () => {
    const customerId = await createCustomer(h);
    const sku = uniqueKey('SKU-FREE');
    await addStock(h, sku, 2);
    const orderId = await placeOrder(h, { customerId, lines: [{ sku, quantity: 1, unitPrice: 0 }] });
    await waitForStatus(h, orderId, 'shipped');
    expect(await invoiceOf(h, orderId)).toMatchObject({ total: 0, status: 'paid' });
    expect(await orderBalances(h, orderId)).toEqual({});
    expect(await stockOf(h, sku)).toEqual({ onHand: 1, reserved: 0 });
  });

  it('answers 404 for an unknown order and 422 for an order of an unknown customer', async () => {
    await request(h.app)
      .get(`/v1/orders/${uniqueKey('NOPE')}`)
      .expect(404);
    await request(h.app)
      .post(`/v1/orders/${uniqueKey('NOPE')}/cancel`)
      .send({ reason: 'x' })
      .expect(404);
    const res = await request(h.app)
      .post('/v1/orders')
      .send({
        orderId: uniqueKey('O'),
        customerId: uniqueKey('NOBODY'),
        currency: 'EUR',
        paymentTerms: { netDays: 30 },
        lines: [{ sku: 'X', quantity: 1, unitPrice: 1 }],
      })
      .expect(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'customerId' })]);
  });

  it('cancels an order.placed event of an unknown customer in its first step', async () => {
    const orderId = uniqueKey('O');
    await request(h.app)
      .post('/v1/events')
      .send({
        specversion: '1.0',
        id: `evt-${randomUUID()}`,
        source: 'test/shop',
        type: 'order.placed',
        data: {
          orderId,
          customerId: uniqueKey('NOBODY'),
          currency: 'EUR',
          paymentTerms: { netDays: 30 },
          lines: [{ sku: 'X', quantity: 1, unitPrice: 100 }],
        },
      })
      .expect(202);
    const result = await handle(orderId).result();
    expect(result).toEqual({ orderId, status: 'cancelled', reason: 'unknown customer' });
    const [cancelled] = await outboxRows(h, orderId, 'order.cancelled');
    expect(cancelled?.payload).toMatchObject({ orderId, reason: 'unknown customer' });
    expect(await orderRow(h, orderId)).toBeUndefined();
  });
});

describe('payments', () => {
  it('accumulates partial payments, counts a payment id once, and ships when paid in full', async () => {
    const { orderId } = await stockedOrder();
    await waitForStatus(h, orderId, 'invoiced');
    const { paymentId } = await pay(h, orderId, 5000);
    await waitForStatus(h, orderId, 'partially_paid');
    // the same payment again (a different event carrying the same payment id) counts once
    const again = await pay(h, orderId, 5000, paymentId);
    // a new run finds the payment settled; if the first run is still closing, the repeat joins it
    expect(['settled', 'matched']).toContain(again.state.status);
    const allocations = await h.database.db
      .select()
      .from(paymentAllocations)
      .where(eq(paymentAllocations.paymentId, paymentId));
    expect(allocations).toMatchObject([{ amount: 5000, status: 'active' }]);
    await eventually(async () => {
      expect(
        await h.temporal.client.workflow.getHandle(orderWorkflowId(orderId)).query(orderAmountsQuery),
      ).toEqual({ currency: 'EUR', total: 9350, paid: 5000, due: 4350, credit: 0 });
      return true;
    });
    expect(await invoiceOf(h, orderId)).toMatchObject({ amountPaid: 5000, status: 'partially_paid' });
    await pay(h, orderId, 4350);
    await waitForStatus(h, orderId, 'shipped');
    expect(await orderRow(h, orderId)).toMatchObject({ amountPaid: 9350 });
    expect(await orderBalances(h, orderId)).toEqual({ '1000': 9350, '1100': 0, '4000': -8500, '2100': -850 });
  });

  it('keeps an overpayment as customer credit', async () => {
    const { orderId, customerId } = await stockedOrder();
    await waitForStatus(h, orderId, 'invoiced');
    const { paymentId } = await pay(h, orderId, 10_000);
    await waitForStatus(h, orderId, 'shipped');
    expect(await orderBalances(h, orderId)).toEqual({
      '1000': 10_000,
      '1100': 0,
      '2200': -650,
      '4000': -8500,
      '2100': -850,
    });
    const [credit] = await outboxRows(h, customerId, 'customer.credit_added');
    expect(credit?.payload).toMatchObject({ paymentId, amount: 650, orderId });
    const [payment] = await h.database.db.select().from(payments).where(eq(payments.paymentId, paymentId));
    expect(payment).toMatchObject({ amount: 10_000, amountAllocated: 9350, status: 'allocated' });
    await eventually(async () => {
      expect(await handle(orderId).query(orderAmountsQuery)).toMatchObject({
        paid: 9350,
        due: 0,
        credit: 650,
      });
      return true;
    });
  });

  it('routes a payment from an unknown payer to reconciliation, which holds it for review', async () => {
    const paymentId = uniqueKey('PAY');
    const res = await request(h.app)
      .post('/v1/events')
      .send({
        specversion: '1.0',
        id: `evt-${randomUUID()}`,
        source: 'test/bank',
        type: 'payment.received',
        data: {
          paymentId,
          amount: 100,
          currency: 'EUR',
          reference: 'thanks',
          receivedAt: new Date().toISOString(),
          method: 'card',
        },
      })
      .expect(202);
    expect(res.body.routing).toMatchObject({ status: 'delivered', workflowId: `payment-${paymentId}` });
    const payment = await eventually(async () => {
      const [row] = await h.database.db.select().from(payments).where(eq(payments.paymentId, paymentId));
      if (row?.status !== 'exception') throw new Error(`payment is ${row?.status}`);
      return row;
    });
    expect(payment).toMatchObject({ amountAllocated: 0, exceptionReason: 'the payer is not named' });
  });
});

describe('credit check', () => {
  it('holds an order over the credit limit until an operator approves it', async () => {
    const { orderId } = await stockedOrder({ creditLimit: 5000 });
    await waitForStatus(h, orderId, 'on_credit_hold');
    expect(await handle(orderId).query(orderStatusQuery)).toBe('on_credit_hold');
    const approved = await request(h.app)
      .post(`/v1/orders/${orderId}/approve`)
      .send({ approvedBy: 'user:finance', note: 'known customer' })
      .expect(200);
    expect(approved.body).toMatchObject({ orderId, approvedBy: 'user:finance' });
    await waitForStatus(h, orderId, 'invoiced');
    const again = await request(h.app).post(`/v1/orders/${orderId}/approve`).send({}).expect(409);
    expect(again.body.detail).toMatch(/not on credit hold/);
    expect(await outboxTypes(h, [orderId])).toEqual([
      'order.accepted',
      'order.on_hold',
      'order.approved',
      'order.invoiced',
    ]);
  });

  it('takes the approval and the shipment confirmation as events too', async () => {
    const { orderId } = await stockedOrder({ creditLimit: 5000 });
    await waitForStatus(h, orderId, 'on_credit_hold');
    const event = (type: string, data: Record<string, unknown>) =>
      request(h.app)
        .post('/v1/events')
        .send({ specversion: '1.0', id: `evt-${randomUUID()}`, source: 'test/ops', type, data })
        .expect(202);
    const approved = await event('order.approved', { orderId, approvedBy: 'user:lead' });
    expect(approved.body.routing).toMatchObject({ status: 'delivered', workflowId: `order-${orderId}` });
    await waitForStatus(h, orderId, 'invoiced');
    const [row] = await outboxRows(h, orderId, 'order.approved');
    expect(row?.payload).toMatchObject({ approvedBy: 'user:lead' });
    await pay(h, orderId, 9350);
    await waitForStatus(h, orderId, 'shipped');
    await event('shipment.confirmed', { orderId, shipmentId: 'SH-9', shippedAt: new Date().toISOString() });
    await waitForStatus(h, orderId, 'completed');
    expect((await outboxRows(h, orderId, 'order.completed'))[0]?.payload).toMatchObject({
      shipmentId: 'SH-9',
    });
  });

  it('cancels an order on hold when nobody approves it in time', async () => {
    const { orderId, skus } = await stockedOrder({ creditLimit: 5000 });
    const row = await waitForStatus(h, orderId, 'cancelled');
    expect(row.statusReason).toBe('approval timeout');
    expect(await stockOf(h, skus[0])).toEqual({ onHand: 10, reserved: 0 });
    expect(await invoiceOf(h, orderId)).toBeUndefined();
    expect(await outboxTypes(h, [orderId])).toEqual(['order.accepted', 'order.on_hold', 'order.cancelled']);
  });
});

describe('backorder', () => {
  it('waits for replenishment and then reserves the rest', async () => {
    const customerId = await createCustomer(h);
    const sku = uniqueKey('SKU');
    await addStock(h, sku, 1);
    const orderId = await placeOrder(h, {
      customerId,
      lines: [{ sku, quantity: 3, unitPrice: 1000 }],
      backorderPolicy: 'cancel',
    });
    await waitForStatus(h, orderId, 'backordered');
    expect(await stockOf(h, sku)).toEqual({ onHand: 1, reserved: 1 });
    // the SKU's workflow sees more available and tells the backordered order
    await addStock(h, sku, 5);
    await waitForStatus(h, orderId, 'invoiced');
    expect(await stockOf(h, sku)).toEqual({ onHand: 6, reserved: 3 });
    expect(await invoiceOf(h, orderId)).toMatchObject({ subtotal: 3000, tax: 300, total: 3300 });
  });

  it('ships what is available when replenishment does not come in time (ship_available)', async () => {
    const customerId = await createCustomer(h);
    const sku = uniqueKey('SKU');
    await addStock(h, sku, 1);
    const orderId = await placeOrder(h, { customerId, lines: [{ sku, quantity: 3, unitPrice: 1000 }] });
    await waitForStatus(h, orderId, 'invoiced');
    expect(await invoiceOf(h, orderId)).toMatchObject({ subtotal: 1000, tax: 100, total: 1100 });
    expect(await orderRow(h, orderId)).toMatchObject({ total: 1100 });
    const steps = (await handle(orderId).query(orderTimelineQuery)).map((t) => t.step);
    expect(steps).toEqual(['received', 'accepted', 'backordered', 'ship_available', 'reserved', 'invoiced']);
  });

  it('cancels when replenishment does not come in time (cancel policy), giving the stock back', async () => {
    const customerId = await createCustomer(h);
    const sku = uniqueKey('SKU');
    await addStock(h, sku, 1);
    const orderId = await placeOrder(h, {
      customerId,
      lines: [{ sku, quantity: 3, unitPrice: 1000 }],
      backorderPolicy: 'cancel',
    });
    const row = await waitForStatus(h, orderId, 'cancelled');
    expect(row.statusReason).toBe('backorder timeout');
    expect(await stockOf(h, sku)).toEqual({ onHand: 1, reserved: 0 });
  });
});

/** Waits until `levels` dunning reminders were announced for the order's invoice. */
async function dunnedTo(orderId: string, levels: number) {
  await eventually(
    async () =>
      (await outboxRows(h, invoiceNumberFor(orderId), 'dunning.level_reached')).length === levels
        ? true
        : undefined,
    30_000,
  );
}

const contactsOf = (customerId: string) =>
  h.database.db.select().from(customerContacts).where(eq(customerContacts.customerId, customerId));

describe('dunning', () => {
  it('fires the levels in order while unpaid, with a CRM task from level 2', async () => {
    const { orderId, customerId } = await stockedOrder({ netDays: 0 });
    await dunnedTo(orderId, 3);
    const levels = await outboxRows(h, invoiceNumberFor(orderId), 'dunning.level_reached');
    expect(levels.map((r) => (r.payload as { level: number }).level)).toEqual([1, 2, 3]);
    expect(levels[2]?.payload).toMatchObject({ outstanding: 9350, collections: true, customerId });
    const tasks = await h.database.db
      .select()
      .from(crmTasks)
      .where(eq(crmTasks.orderId, orderId))
      .orderBy(asc(crmTasks.id));
    expect(tasks.map((t) => [t.taskKey, t.type, t.customerId])).toEqual([
      [`dunning-2/INV-${orderId}`, 'dunning_call', customerId],
      [`dunning-3/INV-${orderId}`, 'dunning_final_notice', customerId],
    ]);
    expect(await invoiceOf(h, orderId)).toMatchObject({ dunningLevel: 3 });
    await pay(h, orderId, 9350);
    await waitForStatus(h, orderId, 'shipped');
  });

  it('sends reminders without marketing consent, each counted as a dunning contact', async () => {
    const { orderId, customerId } = await stockedOrder({ netDays: 0, customer: { consent: false } });
    await dunnedTo(orderId, 1);
    await pay(h, orderId, 9350);
    await waitForStatus(h, orderId, 'shipped');
    const contacts = await contactsOf(customerId);
    expect(contacts.map((c) => [c.kind, c.contactKey])).toEqual([['dunning', `dunning/INV-${orderId}/1`]]);
  });

  it("defers a reminder to the end of the customer's quiet hours, and a payment meanwhile ends it", async () => {
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    const now = Date.now();
    const quietHours = {
      start: hhmm(new Date(now - 2 * 3_600_000)),
      end: hhmm(new Date(now + 2 * 3_600_000)),
      timeZone: 'UTC',
    };
    const { orderId, customerId } = await stockedOrder({ netDays: 0, customer: { quietHours } });
    const deferred = await eventually(async () => {
      const timeline = await handle(orderId).query(orderTimelineQuery);
      return timeline.find((t) => t.step === 'dunning_deferred');
    }, 30_000);
    // deferred to the minute the quiet hours end (today or tomorrow, UTC)
    expect(deferred.detail).toMatch(new RegExp(`^level 1 until \\S+T${quietHours.end}:00\\.000Z$`));
    expect(await outboxRows(h, invoiceNumberFor(orderId), 'dunning.level_reached')).toEqual([]);
    await pay(h, orderId, 9350);
    await waitForStatus(h, orderId, 'shipped');
    expect(await outboxRows(h, invoiceNumberFor(orderId), 'dunning.level_reached')).toEqual([]);
    const contacts = await contactsOf(customerId);
    expect(contacts).toEqual([]);
  });

  it('stops dunning when the invoice is paid', async () => {
    const { orderId } = await stockedOrder({ netDays: 0 });
    await dunnedTo(orderId, 1);
    await pay(h, orderId, 9350);
    await waitForStatus(h, orderId, 'shipped');
    const invoice = await invoiceOf(h, orderId);
    // past the time level 2 would have fired (due + 7 s)
    const level2At = new Date(`${invoice?.createdAt.toISOString()}`).getTime() + 7000;
    await new Promise((r) => setTimeout(r, Math.max(0, level2At - Date.now()) + 1500));
    const levels = await outboxRows(h, invoiceNumberFor(orderId), 'dunning.level_reached');
    expect(levels.map((r) => (r.payload as { level: number }).level)).toEqual([1]);
    const tasks = await h.database.db.select().from(crmTasks).where(eq(crmTasks.orderId, orderId));
    expect(tasks).toEqual([]);
  });
});
