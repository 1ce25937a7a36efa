/**
 * Cancelling an order at each stage: the compensations run in reverse order of the steps that
 * happened, and stock, invoice, credit note, reversing entries and refunds are exactly right.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { eq } from 'drizzle-orm';
import { creditNotes, paymentAllocations, payments, refunds, reservations } from '../../db/schema';
import { orderWorkflowId } from '../../domain/names';
import { orderTimelineQuery } from '../../domain/sales';
import { startHarness, uniqueKey, type Harness } from '../support/harness';
import {
  addStock,
  createCustomer,
  entriesOf,
  expectLedgerBalanced,
  invoiceOf,
  orderBalances,
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
    settings: { sales: { taxRateBps: 1000, approvalTimeout: '1 hour', backorderTimeout: '1 hour' } },
  });
});
afterAll(async () => {
  await h?.close();
});
afterEach(async () => {
  if (h) await expectLedgerBalanced(h);
});

const cancel = (orderId: string, reason = 'customer changed their mind') =>
  request(h.app).post(`/v1/orders/${orderId}/cancel`).send({ reason });

const steps = async (orderId: string) =>
  (await h.temporal.client.workflow.getHandle(orderWorkflowId(orderId)).query(orderTimelineQuery)).map(
    (t) => t.step,
  );

/** One SKU with `stock` on hand and an order for 3 at 1000 (total 3300 with 10 % tax). */
async function order(opts: { stock: number; creditLimit?: number }) {
  const customerId = await createCustomer(h, opts.creditLimit ?? 0);
  const sku = uniqueKey('SKU');
  await addStock(h, sku, opts.stock);
  const orderId = await placeOrder(h, { customerId, lines: [{ sku, quantity: 3, unitPrice: 1000 }] });
  return { customerId, sku, orderId };
}

describe('cancel', () => {
  it('on credit hold: nothing to compensate', async () => {
    const { orderId, sku } = await order({ stock: 10, creditLimit: 100 });
    await waitForStatus(h, orderId, 'on_credit_hold');
    const res = await cancel(orderId).expect(200);
    expect(res.body).toEqual({
      orderId,
      status: 'cancelled',
      reason: 'customer changed their mind',
      refunds: [],
      creditNote: null,
      released: [],
      failures: [],
    });
    expect(await waitForStatus(h, orderId, 'cancelled')).toMatchObject({
      statusReason: 'customer changed their mind',
    });
    expect(await stockOf(h, sku)).toEqual({ onHand: 10, reserved: 0 });
    expect(await outboxTypes(h, [orderId])).toEqual(['order.accepted', 'order.on_hold', 'order.cancelled']);
    // the workflow has closed: a second cancel is a state conflict naming the state
    const again = await cancel(orderId).expect(409);
    expect(again.body.detail).toMatch(/cancelled/);
  });

  it('backordered: gives back the part reserved', async () => {
    const { orderId, sku } = await order({ stock: 1 });
    await waitForStatus(h, orderId, 'backordered');
    expect(await stockOf(h, sku)).toEqual({ onHand: 1, reserved: 1 });
    const res = await cancel(orderId).expect(200);
    expect(res.body).toMatchObject({ refunds: [], creditNote: null, released: [{ sku, quantity: 1 }] });
    expect(await stockOf(h, sku)).toEqual({ onHand: 1, reserved: 0 });
    const [held] = await h.database.db.select().from(reservations).where(eq(reservations.orderId, orderId));
    expect(held).toMatchObject({ status: 'released', quantity: 1 });
    expect(await invoiceOf(h, orderId)).toBeUndefined();
  });

  it('backordered with a payment received before the invoice: refunds it in full', async () => {
    const { orderId, sku } = await order({ stock: 1 });
    await waitForStatus(h, orderId, 'backordered');
    const { paymentId } = await pay(h, orderId, 3300);
    const res = await cancel(orderId).expect(200);
    const refundId = `REF-${orderId}-${paymentId}`;
    expect(res.body).toMatchObject({
      refunds: [{ refundId, paymentId, amount: 3300 }],
      creditNote: null,
      released: [{ sku, quantity: 1 }],
      failures: [],
    });
    const [payment] = await h.database.db.select().from(payments).where(eq(payments.paymentId, paymentId));
    expect(payment).toMatchObject({ amount: 3300, status: 'refunded', amountAllocated: 0 });
    expect(await orderBalances(h, orderId)).toEqual({ '1000': 0, '2200': 0 });
    expect(await outboxRows(h, paymentId, 'payment.refunded')).toHaveLength(1);
    expect(await stockOf(h, sku)).toEqual({ onHand: 1, reserved: 0 });
  });

  it('invoiced: voids the invoice with a credit note and a reversing entry, then releases the stock', async () => {
    const { orderId, sku, customerId } = await order({ stock: 5 });
    await waitForStatus(h, orderId, 'invoiced');
    expect(await stockOf(h, sku)).toEqual({ onHand: 5, reserved: 3 });
    const res = await cancel(orderId).expect(200);
    expect(res.body).toMatchObject({
      refunds: [],
      creditNote: { creditNoteNumber: `CN-${orderId}`, invoiceNumber: `INV-${orderId}`, total: 3300 },
      released: [{ sku, quantity: 3 }],
      failures: [],
    });
    expect(await stockOf(h, sku)).toEqual({ onHand: 5, reserved: 0 });
    expect(await invoiceOf(h, orderId)).toMatchObject({ status: 'void', total: 3300, amountPaid: 0 });
    const [note] = await h.database.db.select().from(creditNotes).where(eq(creditNotes.orderId, orderId));
    expect(note).toMatchObject({
      creditNoteNumber: `CN-${orderId}`,
      customerId,
      subtotal: 3000,
      tax: 300,
      total: 3300,
    });

    const entries = await entriesOf(h, orderId);
    expect(entries).toHaveLength(2);
    const [invoiceEntry, reversal] = entries as [(typeof entries)[0], (typeof entries)[0]];
    expect(reversal.reversesEntryId).toBe(invoiceEntry.id);
    expect(note?.journalEntryId).toBe(reversal.id);
    const byAccount = (e: (typeof entries)[0]) => e.lines.map((l) => [l.account, l.debit, l.credit]).sort();
    expect(byAccount(invoiceEntry)).toEqual([
      ['1100', 3300, 0],
      ['2100', 0, 300],
      ['4000', 0, 3000],
    ]);
    expect(byAccount(reversal)).toEqual([
      ['1100', 0, 3300],
      ['2100', 300, 0],
      ['4000', 3000, 0],
    ]);
    expect(await orderBalances(h, orderId)).toEqual({ '1100': 0, '2100': 0, '4000': 0 });
    const [voided] = await outboxRows(h, `INV-${orderId}`, 'invoice.voided');
    expect(voided?.payload).toMatchObject({ creditNoteNumber: `CN-${orderId}`, total: 3300 });
    expect(await steps(orderId)).toEqual([
      'received',
      'accepted',
      'reserved',
      'invoiced',
      'cancel_requested',
      'compensated_void',
      'compensated_release',
      'cancelled',
    ]);
  });

  it('partially paid: refunds the payment, voids the invoice and releases the stock, in that order', async () => {
    const { orderId, sku } = await order({ stock: 5 });
    await waitForStatus(h, orderId, 'invoiced');
    const { paymentId } = await pay(h, orderId, 2000);
    await waitForStatus(h, orderId, 'partially_paid');
    const res = await cancel(orderId, 'out of budget').expect(200);
    const refundId = `REF-${orderId}-${paymentId}`;
    expect(res.body).toMatchObject({
      reason: 'out of budget',
      refunds: [{ refundId, paymentId, amount: 2000 }],
      creditNote: { creditNoteNumber: `CN-${orderId}`, total: 3300 },
      released: [{ sku, quantity: 3 }],
      failures: [],
    });
    expect(await stockOf(h, sku)).toEqual({ onHand: 5, reserved: 0 });
    const [refund] = await h.database.db.select().from(refunds).where(eq(refunds.refundId, refundId));
    expect(refund).toMatchObject({ paymentId, orderId, amount: 2000, reason: 'out of budget' });
    const [payment] = await h.database.db.select().from(payments).where(eq(payments.paymentId, paymentId));
    expect(payment).toMatchObject({ status: 'refunded', amountAllocated: 0 });
    const [allocation] = await h.database.db
      .select()
      .from(paymentAllocations)
      .where(eq(paymentAllocations.paymentId, paymentId));
    expect(allocation).toMatchObject({ status: 'reversed', reversalReason: 'out of budget', amount: 2000 });
    expect(await invoiceOf(h, orderId)).toMatchObject({ status: 'void', amountPaid: 0 });
    expect(await orderBalances(h, orderId)).toEqual({ '1000': 0, '1100': 0, '2100': 0, '4000': 0 });
    const [refunded] = await outboxRows(h, paymentId, 'payment.refunded');
    expect(refunded?.payload).toMatchObject({ paymentId, refundId, amount: 2000, currency: 'EUR' });
    const entries = await entriesOf(h, orderId);
    const refundEntry = entries.find((e) => e.idempotencyKey === `refund/${refundId}`);
    expect(refundEntry?.lines.map((l) => [l.account, l.debit, l.credit]).sort()).toEqual([
      ['1000', 0, 2000],
      ['1100', 2000, 0],
    ]);
    expect((await steps(orderId)).slice(-4)).toEqual([
      'compensated_refund',
      'compensated_void',
      'compensated_release',
      'cancelled',
    ]);
  });

  it('through an order.cancel_requested event', async () => {
    const { orderId, sku } = await order({ stock: 5 });
    await waitForStatus(h, orderId, 'invoiced');
    const res = await request(h.app)
      .post('/v1/events')
      .send({
        specversion: '1.0',
        id: `evt-${randomUUID()}`,
        source: 'test/shop',
        type: 'order.cancel_requested',
        data: { orderId, reason: 'duplicate order' },
      })
      .expect(202);
    expect(res.body.routing.status).toBe('delivered');
    expect(await waitForStatus(h, orderId, 'cancelled')).toMatchObject({ statusReason: 'duplicate order' });
    expect(await stockOf(h, sku)).toEqual({ onHand: 5, reserved: 0 });
    expect(await orderBalances(h, orderId)).toEqual({ '1100': 0, '2100': 0, '4000': 0 });
  });

  it('after shipment: refused with the reason, through the API and as an event', async () => {
    const { orderId } = await order({ stock: 5 });
    await waitForStatus(h, orderId, 'invoiced');
    await pay(h, orderId, 3300);
    await waitForStatus(h, orderId, 'shipped');
    const res = await cancel(orderId).expect(409);
    expect(res.body).toMatchObject({
      status: 409,
      detail: expect.stringMatching(/shipped: it can no longer be cancelled/),
    });
    const event = await request(h.app)
      .post('/v1/events')
      .send({
        specversion: '1.0',
        id: `evt-${randomUUID()}`,
        source: 'test/shop',
        type: 'order.cancel_requested',
        data: { orderId, reason: 'too late' },
      })
      .expect(202);
    expect(event.body.routing.status).toBe('delivered');
    expect((await waitForStatus(h, orderId, 'shipped')).status).toBe('shipped');
  });
});
