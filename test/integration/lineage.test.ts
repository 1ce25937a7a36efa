/**
 * Lineage end to end: an order followed from order.placed through its payment to shipment and its
 * webhook deliveries, a payment followed through reconciliation into two invoices, and the
 * selector's validation. Every link is checked against what the system recorded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { and, eq } from 'drizzle-orm';
import { outbox, outboxDeliveries } from '../../db/schema';
import { orderWorkflowId, paymentReconciliationWorkflowId, WORKFLOW_TYPES } from '../../domain/names';
import { invoiceNumberFor } from '../../domain/sales';
import { createOutboxRelay, startOutboxRelay } from '../../api/outbox-relay';
import type { LineageAnswer, LineageNode } from '../../api/lineage';
import { eventually, startHarness, uniqueKey, type Harness } from '../support/harness';
import {
  addStock,
  createCustomer,
  expectLedgerBalanced,
  pay,
  placeOrder,
  receivePayment,
  waitForStatus,
} from '../support/orders';

let h: Harness;
let relay: { stop(): void };
let receiver: http.Server;
let receiverUrl = '';
const received: string[] = [];

beforeAll(async () => {
  h = await startHarness({
    settings: {
      sales: { taxRateBps: 1000 },
      integration: {
        webhookAllowPrivateTargets: true,
        webhookRetryInitialInterval: '200 milliseconds',
        webhookPollInterval: '1 second',
      },
    },
  });
  relay = startOutboxRelay(createOutboxRelay(h.database.db, h.temporal), 200, () => undefined);
  receiver = http.createServer((req, res) => {
    const id = req.headers['webhook-id'];
    if (typeof id === 'string') received.push(id);
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  relay?.stop();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
  await h?.close();
});
afterEach(async () => {
  if (h) await expectLedgerBalanced(h);
});

async function lineage(query: Record<string, string>): Promise<LineageAnswer> {
  const res = await request(h.app).get('/v1/lineage').query(query).expect(200);
  return res.body as LineageAnswer;
}

/** Every parent is a node of the answer that comes before its child; ids are unique. */
function expectWellFormed(answer: LineageAnswer): void {
  const seen = new Set<string>();
  for (const node of answer.nodes) {
    expect(seen.has(node.id)).toBe(false);
    for (const parent of node.parents) {
      if (!seen.has(parent)) throw new Error(`${node.id} comes before its parent ${parent}`);
    }
    expect(Number.isNaN(Date.parse(node.at))).toBe(false);
    expect(typeof node.label).toBe('string');
    seen.add(node.id);
  }
}

const ofKind = (a: LineageAnswer, kind: LineageNode['kind']) => a.nodes.filter((n) => n.kind === kind);
const detail = <T = Record<string, unknown>>(n: LineageNode | undefined) => n?.detail as T;
interface EffectDetail {
  table: string;
  key: Record<string, unknown>;
  operation: 'insert' | 'update' | 'delete';
  changes: Record<string, { from: unknown; to: unknown }>;
  activity: string | null;
  workflowId: string | null;
}
const effects = (a: LineageAnswer, table: string, match: (d: EffectDetail) => boolean = () => true) =>
  ofKind(a, 'effect').filter(
    (n) => detail<EffectDetail>(n).table === table && match(detail<EffectDetail>(n)),
  );
const eventOfType = (a: LineageAnswer, type: string) =>
  ofKind(a, 'event').find((n) => detail(n).type === type) as LineageNode;
const outboundOfType = (a: LineageAnswer, type: string, subject?: string) =>
  ofKind(a, 'outbound').filter(
    (n) => detail(n).type === type && (subject === undefined || detail(n).subject === subject),
  );

describe('lineage of an order', () => {
  it('follows order.placed through payment to shipment, the outbound events and their webhook deliveries', async () => {
    const sub = await request(h.app)
      .post('/v1/subscriptions')
      .send({ url: receiverUrl, eventTypes: ['order.invoiced', 'order.shipped'] })
      .expect(201);
    const customerId = await createCustomer(h);
    const [a, b] = [uniqueKey('SKU-A'), uniqueKey('SKU-B')];
    await addStock(h, a, 10);
    await addStock(h, b, 5);
    const orderId = await placeOrder(h, {
      customerId,
      lines: [
        { sku: a, quantity: 2, unitPrice: 1000 },
        { sku: b, quantity: 1, unitPrice: 500 },
      ],
    });
    await waitForStatus(h, orderId, 'invoiced');
    const { paymentId } = await pay(h, orderId, 2750);
    await waitForStatus(h, orderId, 'shipped');
    await request(h.app)
      .post(`/v1/orders/${orderId}/shipment-confirmation`)
      .send({ shipmentId: 'SH-1', carrier: 'DHL' })
      .expect(200);
    await waitForStatus(h, orderId, 'completed');
    const invoiceNumber = invoiceNumberFor(orderId);
    // both subscribed events of this order delivered to the receiver
    const subscribed = await h.database.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.aggregateId, orderId)));
    await eventually(async () => {
      const delivered = await h.database.db
        .select()
        .from(outboxDeliveries)
        .where(
          and(
            eq(outboxDeliveries.destination, `webhook:${sub.body.id as string}`),
            eq(outboxDeliveries.status, 'delivered'),
          ),
        );
      const mine = delivered.filter((d) => subscribed.some((s) => s.id === d.outboxId));
      return mine.length === 2 ? true : undefined;
    }, 30_000);

    const answer = await lineage({ orderId });
    expectWellFormed(answer);
    expect(answer.query).toEqual({ orderId });

    // the inbound event, routed to the order's workflow, whose run is described with its UI link
    const placed = eventOfType(answer, 'order.placed');
    const description = await h.temporal.client.workflow.getHandle(orderWorkflowId(orderId)).describe();
    const orderRun = `workflow:${orderWorkflowId(orderId)}/${description.runId}`;
    expect(placed.parents).toEqual([]);
    expect(placed.detail).toMatchObject({
      type: 'order.placed',
      subject: orderId,
      routing: { status: 'delivered', workflowId: orderWorkflowId(orderId), runId: description.runId },
    });
    expect(placed.id).toBe(`event:${detail(placed).source as string}/${detail(placed).eventId as string}`);
    const workflow = answer.nodes.find((n) => n.id === orderRun) as LineageNode;
    expect(workflow).toBeDefined();
    expect(workflow.parents).toContain(placed.id);
    expect(workflow.detail).toMatchObject({
      workflowId: orderWorkflowId(orderId),
      runId: description.runId,
      type: WORKFLOW_TYPES.order,
      status: 'COMPLETED',
    });
    const ui = (workflow.detail.links as { temporalUi: string }).temporalUi;
    expect(ui).toContain(encodeURIComponent(orderWorkflowId(orderId)));
    expect(ui).toContain(description.runId);

    // the order workflow's effects on Postgres, with table, key and what changed
    const [orderInsert] = effects(answer, 'sales_orders', (d) => d.operation === 'insert');
    expect(orderInsert?.parents).toEqual([orderRun]);
    expect(orderInsert?.detail).toMatchObject({
      key: { order_id: orderId },
      activity: 'acceptOrder',
      workflowId: orderWorkflowId(orderId),
      changes: { order_id: { from: null, to: orderId }, total: { from: null, to: 2750 } },
    });
    const reserved = effects(answer, 'reservations', (d) => d.operation === 'insert');
    expect(reserved.map((n) => detail<EffectDetail>(n).changes.sku?.to).sort()).toEqual([a, b].sort());
    expect(reserved.every((n) => n.parents[0] === orderRun)).toBe(true);
    const shippedReservations = effects(
      answer,
      'reservations',
      (d) => d.operation === 'update' && d.changes.status?.to === 'shipped',
    );
    expect(shippedReservations).toHaveLength(2);
    expect(shippedReservations.every((n) => detail<EffectDetail>(n).activity === 'shipOrder')).toBe(true);
    expect(
      effects(answer, 'stock_levels', (d) => d.key.sku === a && d.changes.reserved?.to === 2).length,
    ).toBeGreaterThanOrEqual(1);
    expect(
      effects(answer, 'stock_levels', (d) => d.key.sku === a && d.changes.on_hand?.to === 8),
    ).toHaveLength(1);
    const [invoiceInsert] = effects(answer, 'invoices', (d) => d.operation === 'insert');
    expect(invoiceInsert?.detail).toMatchObject({
      key: { invoice_number: invoiceNumber },
      activity: 'issueInvoice',
      changes: { total: { from: null, to: 2750 }, status: { from: null, to: 'open' } },
    });
    expect(effects(answer, 'invoice_lines')).toHaveLength(2);
    const invoiceJournal = effects(
      answer,
      'journal_entries',
      (d) => d.workflowId === orderWorkflowId(orderId) && d.operation === 'insert',
    );
    expect(invoiceJournal.length).toBeGreaterThanOrEqual(1);
    expect(effects(answer, 'journal_lines').length).toBeGreaterThanOrEqual(5);
    const statuses = effects(answer, 'sales_orders', (d) => d.operation === 'update').map(
      (n) => detail<EffectDetail>(n).changes.status?.to,
    );
    expect(statuses).toEqual(expect.arrayContaining(['invoiced', 'paid', 'shipped', 'completed']));

    // the payment: its own event and workflow, the invoice it paid, and the order it told
    const payment = eventOfType(answer, 'payment.received');
    expect(payment.detail).toMatchObject({
      routing: { status: 'delivered', workflowId: paymentReconciliationWorkflowId(paymentId) },
    });
    expect(answer.correlationIds).toEqual(
      expect.arrayContaining([detail(placed).correlationId, detail(payment).correlationId]),
    );
    const paymentRun = ofKind(answer, 'workflow').find(
      (n) => detail(n).workflowId === paymentReconciliationWorkflowId(paymentId),
    ) as LineageNode;
    expect(paymentRun.parents).toEqual([payment.id]);
    expect(paymentRun.detail).toMatchObject({ type: WORKFLOW_TYPES.paymentReconciliation });
    const [invoicePaid] = effects(
      answer,
      'invoices',
      (d) => d.operation === 'update' && d.changes.status?.to === 'paid',
    );
    expect(invoicePaid?.detail).toMatchObject({ changes: { amount_paid: { from: 0, to: 2750 } } });
    expect(invoicePaid?.parents).toEqual([paymentRun.id]);
    expect(
      effects(answer, 'payment_allocations', (d) => d.changes.invoice_number?.to === invoiceNumber),
    ).toHaveLength(1);
    // the payment's reconciliation marked the order paid
    const [paid] = effects(answer, 'sales_orders', (d) => d.changes.status?.to === 'paid');
    expect(paid?.parents).toEqual([paymentRun.id]);

    // outbound events, caused by the changes committed with them, and their webhook deliveries
    const [invoiced] = outboundOfType(answer, 'order.invoiced', orderId);
    expect(invoiced?.parents).toContain(invoiceInsert?.id);
    const [shipped] = outboundOfType(answer, 'order.shipped', orderId);
    expect(shipped?.parents).toEqual(expect.arrayContaining(shippedReservations.map((n) => n.id)));
    expect(outboundOfType(answer, 'order.paid', orderId)).toHaveLength(1);
    expect(outboundOfType(answer, 'payment.allocated')).toHaveLength(1);
    for (const outbound of [invoiced, shipped]) {
      const deliveries = ofKind(answer, 'delivery').filter((n) => n.parents.includes(outbound?.id as string));
      expect(deliveries.map((n) => n.detail)).toEqual([
        expect.objectContaining({
          channel: 'webhook',
          target: receiverUrl,
          status: 'delivered',
          attempts: 1,
        }),
      ]);
      expect(received).toContain(detail(outbound).outboxId);
    }

    // the shipment confirmation reached the same run, which completed the order
    const [completed] = effects(answer, 'sales_orders', (d) => d.changes.status?.to === 'completed');
    expect(completed?.parents[0]).toBe(orderRun);

    // by event: the order.placed event's own flow
    const byEvent = await lineage({
      source: detail(placed).source as string,
      eventId: detail(placed).eventId as string,
    });
    expectWellFormed(byEvent);
    expect(byEvent.correlationIds).toEqual([detail(placed).correlationId]);
    expect(byEvent.nodes.map((n) => n.id)).toEqual(
      expect.arrayContaining([placed.id, orderRun, orderInsert?.id]),
    );
    // by SKU: the stock it came from and the order that took it
    const bySku = await lineage({ sku: a });
    expectWellFormed(bySku);
    expect(bySku.nodes.map((n) => n.id)).toEqual(expect.arrayContaining([placed.id, orderInsert?.id]));
    expect(ofKind(bySku, 'event').map((n) => detail(n).type)).toContain('inventory.stock_adjusted');
  });
});

describe('lineage of a payment', () => {
  it('follows a payment.received through reconciliation into two invoices', async () => {
    const customerId = await createCustomer(h);
    const sku = uniqueKey('SKU');
    await addStock(h, sku, 10);
    const [o1, o2] = [uniqueKey('O'), uniqueKey('O')];
    await placeOrder(h, { customerId, lines: [{ sku, quantity: 1, unitPrice: 2000 }] }, o1);
    await placeOrder(h, { customerId, lines: [{ sku, quantity: 1, unitPrice: 1000 }] }, o2);
    await waitForStatus(h, o1, 'invoiced');
    await waitForStatus(h, o2, 'invoiced');
    const [i1, i2] = [invoiceNumberFor(o1), invoiceNumberFor(o2)];
    const { paymentId, state } = await receivePayment(h, {
      amount: 2200 + 1100,
      customerId,
      reference: `${i1} ${i2}`,
    });
    expect(state.status).toBe('matched');
    await waitForStatus(h, o1, 'shipped');
    await waitForStatus(h, o2, 'shipped');

    const answer = await lineage({ paymentId });
    expectWellFormed(answer);
    const payment = eventOfType(answer, 'payment.received');
    expect(payment.detail).toMatchObject({ type: 'payment.received' });
    expect(answer.correlationIds).toEqual([detail(payment).correlationId]);
    const run = ofKind(answer, 'workflow').find(
      (n) => detail(n).workflowId === paymentReconciliationWorkflowId(paymentId),
    ) as LineageNode;
    expect(run.parents).toEqual([payment.id]);

    const allocations = effects(answer, 'payment_allocations', (d) => d.operation === 'insert');
    expect(
      allocations
        .map((n) => [
          detail<EffectDetail>(n).changes.invoice_number?.to,
          detail<EffectDetail>(n).changes.amount?.to,
        ])
        .sort(),
    ).toEqual(
      [
        [i1, 2200],
        [i2, 1100],
      ].sort(),
    );
    expect(allocations.every((n) => n.parents[0] === run.id)).toBe(true);
    for (const [invoice, amount] of [
      [i1, 2200],
      [i2, 1100],
    ] as const) {
      const paid = effects(
        answer,
        'invoices',
        (d) => d.key.invoice_number === invoice && d.operation === 'update',
      );
      expect(paid.map((n) => detail<EffectDetail>(n).changes)).toEqual([
        expect.objectContaining({
          amount_paid: { from: 0, to: amount },
          status: { from: 'open', to: 'paid' },
        }),
      ]);
      expect(paid[0]?.parents).toEqual([run.id]);
    }
    const entries = effects(answer, 'journal_entries', (d) => d.workflowId === run.detail.workflowId);
    expect(entries.length).toBeGreaterThanOrEqual(1);
    const cashLines = effects(answer, 'journal_lines', (d) => d.changes.account_code?.to === '1000');
    expect(cashLines.reduce((s, n) => s + Number(detail<EffectDetail>(n).changes.debit?.to ?? 0), 0)).toBe(
      3300,
    );
    expect(effects(answer, 'payments', (d) => d.changes.status?.to === 'allocated')).toHaveLength(1);
    // both orders marked paid by the reconciliation
    for (const orderId of [o1, o2]) {
      const [paid] = effects(
        answer,
        'sales_orders',
        (d) => d.key.order_id === orderId && d.changes.status?.to === 'paid',
      );
      expect(paid?.parents).toEqual([run.id]);
      expect(outboundOfType(answer, 'order.paid', orderId)).toHaveLength(1);
    }
    const allocated = outboundOfType(answer, 'payment.allocated');
    expect(allocated.length).toBeGreaterThanOrEqual(1);
    expect(allocated.every((n) => n.parents.some((p) => allocations.some((al) => al.id === p)))).toBe(true);
  });
});

describe('lineage of a ticket', () => {
  it('follows support.requested into the ticket workflow and the ticket row it opened', async () => {
    const ticketId = uniqueKey('T');
    const event = {
      specversion: '1.0',
      id: uniqueKey('evt'),
      source: 'test/helpdesk',
      type: 'support.requested',
      data: {
        ticketId,
        customerId: uniqueKey('C'),
        channel: 'email',
        subject: 'Broken glass',
        priority: 'low',
      },
    };
    await request(h.app).post('/v1/events').send(event).expect(202);
    const answer = await eventually(async () => {
      const a = await lineage({ ticketId });
      return effects(a, 'crm_tickets', (d) => d.operation === 'insert').length === 1 ? a : undefined;
    });
    expectWellFormed(answer);
    expect(answer.correlationIds).toEqual([event.id]);
    const requested = eventOfType(answer, 'support.requested');
    expect(requested.id).toBe(`event:test/helpdesk/${event.id}`);
    const run = ofKind(answer, 'workflow').find(
      (n) => detail(n).workflowId === `ticket-${ticketId}`,
    ) as LineageNode;
    expect(run.parents).toEqual([requested.id]);
    expect(run.detail).toMatchObject({ type: WORKFLOW_TYPES.ticket, status: 'RUNNING' });
    const [opened] = effects(answer, 'crm_tickets', (d) => d.operation === 'insert');
    expect(opened?.parents).toEqual([run.id]);
    expect(opened?.detail).toMatchObject({
      key: { ticket_id: ticketId },
      changes: { status: { from: null, to: 'open' }, priority: { from: null, to: 'low' } },
    });
    // the same chain by the event and by its correlation id
    const byEvent = await lineage({ source: 'test/helpdesk', eventId: event.id });
    const byFlow = await lineage({ correlationId: event.id });
    expect(byEvent.nodes.map((n) => n.id)).toEqual(
      expect.arrayContaining([requested.id, run.id, opened?.id]),
    );
    expect(byFlow.nodes.map((n) => n.id)).toEqual(expect.arrayContaining([requested.id, run.id, opened?.id]));
  });
});

describe('lineage selectors', () => {
  it('answers 400 naming the fields for no, two or half a selector, and 404 for a key that names nothing', async () => {
    const none = await request(h.app).get('/v1/lineage').expect(400);
    expect(none.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(none.body.errors).toEqual([expect.objectContaining({ path: 'query' })]);
    const two = await request(h.app).get('/v1/lineage').query({ orderId: 'O-1', sku: 'S-1' }).expect(400);
    expect(two.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['orderId', 'sku']);
    const half = await request(h.app).get('/v1/lineage').query({ source: 'shop' }).expect(400);
    expect(half.body.errors.map((e: { path: string }) => e.path)).toEqual(['eventId']);
    const unknownParam = await request(h.app).get('/v1/lineage').query({ invoice: 'X' }).expect(400);
    expect(unknownParam.body.errors.length).toBeGreaterThanOrEqual(1);
    const empty = await request(h.app).get('/v1/lineage').query({ orderId: '' }).expect(400);
    expect(empty.body.errors[0].path).toBe('orderId');

    for (const query of [
      { orderId: uniqueKey('O') },
      { sku: uniqueKey('SKU') },
      { paymentId: uniqueKey('PAY') },
      { ticketId: uniqueKey('T') },
      { correlationId: uniqueKey('corr') },
      { source: 'test/nowhere', eventId: uniqueKey('evt') },
    ]) {
      const res = await request(h.app).get('/v1/lineage').query(query).expect(404);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });
});
