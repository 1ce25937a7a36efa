/**
 * Events out of order, each handled by the rule in README "Out-of-order events": a payment before
 * its order, goods received before the purchase order is confirmed (and the confirmation after the
 * goods), an agent's response before its ticket. None is lost, no workflow fails, the end state is right.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { eq } from 'drizzle-orm';
import { crmTickets, eventRoutes, paymentAllocations, payments, stockLevels } from '../../db/schema';
import { ticketStateQuery } from '../../domain/crm';
import {
  orderWorkflowId,
  paymentReconciliationWorkflowId,
  procurementWorkflowId,
  ticketWorkflowId,
} from '../../domain/names';
import { ORDER_PATCHES, orderTimelineQuery, invoiceNumberFor } from '../../domain/sales';
import { eventually, startHarness, uniqueKey, type Harness } from '../support/harness';
import {
  addStock,
  createCustomer,
  expectLedgerBalanced,
  invoiceOf,
  placeOrder,
  receivePayment,
  waitForStatus,
} from '../support/orders';
import { reorderHelpers } from '../support/reorder';
import { patchMarkers } from '../support/histories';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    settings: { sales: { taxRateBps: 1000 }, crm: { unknownTicketWait: '3 seconds' } },
  });
});
afterAll(async () => {
  await h?.close();
});

const { db, skuWithRule, adjust, onePurchaseOrder } = reorderHelpers(() => h);

const cloudEvent = (source: string, type: string, data: Record<string, unknown>) => ({
  specversion: '1.0',
  id: `evt-${randomUUID()}`,
  source,
  type,
  time: new Date().toISOString(),
  data,
});

/** The workflow's execution status name (RUNNING, COMPLETED, FAILED, ...). */
const executionStatus = async (workflowId: string) =>
  (await h.temporal.client.workflow.getHandle(workflowId).describe()).status.name;

async function routeOf(eventId: string) {
  const [route] = await db().select().from(eventRoutes).where(eq(eventRoutes.eventId, eventId));
  return route;
}

describe('out-of-order events', () => {
  it('a payment before its order: left unallocated, then taken by the order when it invoices; the order ends paid', async () => {
    const customerId = await createCustomer(h);
    const sku = uniqueKey('SKU-OOO');
    await addStock(h, sku, 5);
    const orderId = uniqueKey('O-OOO');

    // 2 × 1000 + 10 % tax = 2200, paid before the order exists
    const early = await receivePayment(h, {
      amount: 2200,
      customerId,
      reference: `Order ${invoiceNumberFor(orderId)}`,
    });
    expect(early.state.status).toBe('unapplied');
    const [before] = await db().select().from(payments).where(eq(payments.paymentId, early.paymentId));
    expect(before).toMatchObject({ status: 'unallocated', amountAllocated: 0, customerId });

    await placeOrder(h, { customerId, lines: [{ sku, quantity: 2, unitPrice: 1000 }] }, orderId);
    const shipped = await waitForStatus(h, orderId, 'shipped');
    expect(shipped.amountPaid).toBe(2200);
    expect(await invoiceOf(h, orderId)).toMatchObject({ status: 'paid', amountPaid: 2200, total: 2200 });
    const allocations = await db()
      .select()
      .from(paymentAllocations)
      .where(eq(paymentAllocations.paymentId, early.paymentId));
    expect(allocations).toHaveLength(1);
    expect(allocations[0]).toMatchObject({
      invoiceNumber: invoiceNumberFor(orderId),
      amount: 2200,
      matchRule: 'reference',
    });
    const [after] = await db().select().from(payments).where(eq(payments.paymentId, early.paymentId));
    expect(after).toMatchObject({ status: 'allocated', amountAllocated: 2200 });

    // the order took it on the new (patched) path; nothing failed
    const handle = h.temporal.client.workflow.getHandle(orderWorkflowId(orderId));
    const timeline = await handle.query(orderTimelineQuery);
    expect(timeline.find((t) => t.step === 'prepaid_claimed')?.detail).toBe(early.paymentId);
    expect(patchMarkers(await handle.fetchHistory())).toEqual([ORDER_PATCHES.claimPrepaidPayments]);
    expect(await executionStatus(orderWorkflowId(orderId))).toBe('RUNNING');
    expect(await executionStatus(paymentReconciliationWorkflowId(early.paymentId))).toBe('COMPLETED');

    await request(h.app)
      .post(`/v1/orders/${orderId}/shipment-confirmation`)
      .send({ shipmentId: uniqueKey('SH') })
      .expect(200);
    await waitForStatus(h, orderId, 'completed');
    await expectLedgerBalanced(h);
  });

  it('goods received before the confirmation count as it; the confirmation after the goods is a no-op', async () => {
    const sku = uniqueKey('OOO-PO');
    await skuWithRule(sku, { reorderPoint: 5, orderUpTo: 20 });
    await adjust(sku, 1);
    const { po, line } = await onePurchaseOrder(sku, 'sent');
    const id = po.purchaseOrderId;
    expect(line.quantity).toBe(19);

    // part of the goods first, unconfirmed
    const first = cloudEvent('test/supplier', 'goods.received', {
      purchaseOrderId: id,
      receiptId: `${id}-r1`,
      lines: [{ sku, quantity: 9 }],
      receivedAt: new Date().toISOString(),
    });
    await request(h.app).post('/v1/events').send(first).expect(202);
    await onePurchaseOrder(sku, 'partially_received');

    // the confirmation now: recorded, the status stays partially received
    const expectedDate = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const confirm = (at: string) =>
      cloudEvent('test/supplier', 'purchase_order.confirmed', {
        purchaseOrderId: id,
        supplierId: po.supplierId,
        expectedDate,
        confirmedAt: at,
      });
    const confirmation = confirm(new Date().toISOString());
    const res = await request(h.app).post('/v1/events').send(confirmation).expect(202);
    expect(res.body.routing).toMatchObject({ status: 'delivered' });
    const confirmed = await eventually(async () => {
      const r = await onePurchaseOrder(sku, 'partially_received');
      return r.po.confirmedAt ? r : undefined;
    });
    expect(confirmed.po.expectedDate).toBe(expectedDate);

    // the rest of the goods close it
    await request(h.app)
      .post('/v1/events')
      .send(
        cloudEvent('test/supplier', 'goods.received', {
          purchaseOrderId: id,
          receiptId: `${id}-r2`,
          lines: [{ sku, quantity: 10 }],
          receivedAt: new Date().toISOString(),
        }),
      )
      .expect(202);
    await onePurchaseOrder(sku, 'closed');
    await eventually(async () =>
      (await executionStatus(procurementWorkflowId(id))) === 'COMPLETED' ? true : undefined,
    );

    // a second confirmation (the supplier's system resending it) after the goods closed the order:
    // delivered as a no-op, not left pending for the relay forever; the order stays closed
    const late = confirm(new Date().toISOString());
    const lateRes = await request(h.app).post('/v1/events').send(late).expect(202);
    expect(lateRes.body.routing).toMatchObject({
      status: 'delivered',
      workflowId: procurementWorkflowId(id),
    });
    expect((await routeOf(late.id))?.status).toBe('delivered');
    expect((await onePurchaseOrder(sku, 'closed')).line.received).toBe(19);
    const [stock] = await db().select().from(stockLevels).where(eq(stockLevels.sku, sku));
    expect(stock?.onHand).toBe(20);
  });

  it('a confirmation for an unknown purchase order still stays pending with its reason', async () => {
    const unknown = cloudEvent('test/supplier', 'purchase_order.confirmed', {
      purchaseOrderId: uniqueKey('PO-NOBODY'),
      supplierId: 'SUP-NOBODY',
      expectedDate: '2026-12-01',
      confirmedAt: new Date().toISOString(),
    });
    const res = await request(h.app).post('/v1/events').send(unknown).expect(202);
    expect(res.body.routing).toMatchObject({ status: 'pending' });
  });

  it('an agent response before its ticket is held until the request comes; without one the workflow ends orphaned', async () => {
    const customerId = await createCustomer(h);
    const ticketId = uniqueKey('T-OOO');
    const respond = (id: string) =>
      cloudEvent('test/helpdesk', 'support.agent_responded', {
        ticketId: id,
        agentId: 'agent:lena',
        respondedAt: new Date().toISOString(),
      });
    await request(h.app).post('/v1/events').send(respond(ticketId)).expect(202);
    const handle = h.temporal.client.workflow.getHandle(ticketWorkflowId(ticketId));
    await eventually(async () => ((await handle.query(ticketStateQuery)).held === 1 ? true : undefined));
    await request(h.app)
      .post('/v1/events')
      .send(
        cloudEvent('test/helpdesk', 'support.requested', {
          ticketId,
          customerId,
          channel: 'email',
          subject: 'Cracked pane',
          priority: 'normal',
        }),
      )
      .expect(202);
    const row = await eventually(async () => {
      const [r] = await db().select().from(crmTickets).where(eq(crmTickets.ticketId, ticketId));
      return r?.firstRespondedAt ? r : undefined;
    });
    expect(row.status).toBe('awaiting_customer');
    expect(await executionStatus(ticketWorkflowId(ticketId))).toBe('RUNNING');

    // a response for a ticket nobody ever requests: held for unknownTicketWait (3 s), then dropped
    const orphan = uniqueKey('T-ORPHAN');
    const event = respond(orphan);
    await request(h.app).post('/v1/events').send(event).expect(202);
    const orphanHandle = h.temporal.client.workflow.getHandle(ticketWorkflowId(orphan));
    const ended = await eventually(async () =>
      (await executionStatus(ticketWorkflowId(orphan))) === 'COMPLETED' ? true : undefined,
    );
    expect(ended).toBe(true);
    expect((await orphanHandle.query(ticketStateQuery)).phase).toBe('orphaned');
    expect(await db().select().from(crmTickets).where(eq(crmTickets.ticketId, orphan))).toEqual([]);
    // not lost: the event stays in the store, delivered, and can be re-driven
    expect((await routeOf(event.id))?.status).toBe('delivered');
    const stored = await request(h.app)
      .get(`/v1/events/${encodeURIComponent(event.id)}?source=test/helpdesk`)
      .expect(200);
    expect(stored.body).toMatchObject({
      type: 'support.agent_responded',
      data: { ticketId: orphan },
      routing: { status: 'delivered' },
    });
  });
});
