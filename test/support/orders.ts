/** Helpers of the order-to-cash tests: master data, stock, orders and payments through the API. */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { and, asc, eq, inArray } from 'drizzle-orm';
import {
  invoices,
  journalLines,
  outbox,
  salesOrders,
  stockLevels,
  stockMovements,
  type SalesOrderStatus,
} from '../../db/schema';
import { invoiceNumberFor } from '../../domain/sales';
import { paymentReconciliationWorkflowId } from '../../domain/names';
import { reconciliationStateQuery, type ReconciliationState } from '../../domain/reconciliation';
import { eventually, stockAdjusted, uniqueKey, type Harness } from './harness';

export async function createCustomer(
  h: Harness,
  creditLimit = 0,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const customerId = uniqueKey('C');
  await request(h.app)
    .put(`/v1/customers/${customerId}`)
    .send({
      name: 'Acme GmbH',
      creditLimit,
      currency: 'EUR',
      paymentTerms: { netDays: 30 },
      consent: true,
      ...extra,
    })
    .expect(201);
  return customerId;
}

/** Adds stock through inventory.stock_adjusted and waits until the SKU's workflow applied it. */
export async function addStock(h: Harness, sku: string, delta: number): Promise<void> {
  const event = stockAdjusted({ sku, delta, reason: 'goods in' });
  await request(h.app).post('/v1/events').send(event).expect(202);
  await eventually(async () => {
    const [m] = await h.database.db
      .select()
      .from(stockMovements)
      .where(eq(stockMovements.causationId, event.id));
    return m ? true : undefined;
  });
}

export interface OrderSpec {
  customerId: string;
  lines: { sku: string; quantity: number; unitPrice: number }[];
  netDays?: number;
  backorderPolicy?: 'cancel' | 'ship_available';
}

export async function placeOrder(h: Harness, spec: OrderSpec, orderId = uniqueKey('O')): Promise<string> {
  await request(h.app)
    .post('/v1/orders')
    .send({
      orderId,
      customerId: spec.customerId,
      currency: 'EUR',
      paymentTerms: { netDays: spec.netDays ?? 30 },
      lines: spec.lines,
      ...(spec.backorderPolicy ? { backorderPolicy: spec.backorderPolicy } : {}),
    })
    .expect(202);
  return orderId;
}

/** What a bank says about a payment (payment.received data without the id, time and method). */
export interface ReceivedPayment {
  amount: number;
  customerId?: string;
  payerName?: string;
  reference?: string;
}

/** A payment.received event from test/bank, stored (202); does not wait for its reconciliation. */
export async function sendPaymentEvent(h: Harness, data: ReceivedPayment, paymentId = uniqueKey('PAY')) {
  const res = await request(h.app)
    .post('/v1/events')
    .send({
      specversion: '1.0',
      id: `evt-${randomUUID()}`,
      source: 'test/bank',
      type: 'payment.received',
      data: {
        paymentId,
        currency: 'EUR',
        ...data,
        receivedAt: new Date().toISOString(),
        method: 'bank_transfer',
      },
    })
    .expect(202);
  return { paymentId, answer: res.body };
}

/** A payment.received event from test/bank; answers once its reconciliation has decided. */
export async function receivePayment(h: Harness, data: ReceivedPayment, paymentId = uniqueKey('PAY')) {
  const sent = await sendPaymentEvent(h, data, paymentId);
  return { ...sent, state: await reconciled(h, paymentId) };
}

/** A payment.received from the order's customer whose reference names the order's invoice. */
export async function pay(h: Harness, orderId: string, amount: number, paymentId = uniqueKey('PAY')) {
  const order = await eventually(async () => {
    const row = await orderRow(h, orderId);
    if (!row) throw new Error(`order ${orderId} has no row yet`);
    return row;
  });
  const reference = `Payment for ${invoiceNumberFor(orderId)}, thanks`;
  return receivePayment(h, { amount, customerId: order.customerId, reference }, paymentId);
}

/** The payment's reconciliation once it has decided (matched, handed over, in review, ...). */
export async function reconciled(h: Harness, paymentId: string): Promise<ReconciliationState> {
  return eventually(async () => {
    const state = await h.temporal.client.workflow
      .getHandle(paymentReconciliationWorkflowId(paymentId))
      .query(reconciliationStateQuery);
    if (state.status === 'matching') throw new Error(`payment ${paymentId} is still being matched`);
    return state;
  });
}

export async function orderRow(h: Harness, orderId: string) {
  const [row] = await h.database.db.select().from(salesOrders).where(eq(salesOrders.orderId, orderId));
  return row;
}

export async function waitForStatus(
  h: Harness,
  orderId: string,
  status: SalesOrderStatus,
  timeoutMs = 30_000,
) {
  return eventually(async () => {
    const row = await orderRow(h, orderId);
    return row?.status === status ? row : undefined;
  }, timeoutMs);
}

export async function invoiceOf(h: Harness, orderId: string) {
  const [row] = await h.database.db
    .select()
    .from(invoices)
    .where(eq(invoices.invoiceNumber, invoiceNumberFor(orderId)));
  return row;
}

export async function stockOf(h: Harness, sku: string) {
  const [row] = await h.database.db.select().from(stockLevels).where(eq(stockLevels.sku, sku));
  return { onHand: row?.onHand ?? 0, reserved: row?.reserved ?? 0 };
}

/** The outbox event types about an aggregate, in order. */
export async function outboxTypes(h: Harness, aggregateIds: string[]): Promise<string[]> {
  const rows = await h.database.db
    .select()
    .from(outbox)
    .where(inArray(outbox.aggregateId, aggregateIds))
    .orderBy(asc(outbox.seq));
  return rows.map((r) => r.type);
}

export async function outboxRows(h: Harness, aggregateId: string, type: string) {
  return h.database.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.aggregateId, aggregateId), eq(outbox.type, type)))
    .orderBy(asc(outbox.seq));
}

/** Net (debits − credits) per account over the journal lines naming the order. */
export async function orderBalances(h: Harness, orderId: string): Promise<Record<string, number>> {
  const lines = await h.database.db.select().from(journalLines).where(eq(journalLines.orderId, orderId));
  const out: Record<string, number> = {};
  for (const l of lines) out[l.accountCode] = (out[l.accountCode] ?? 0) + l.debit - l.credit;
  return out;
}

export async function entriesOf(h: Harness, orderId: string) {
  const res = await request(h.app).get(`/v1/ledger/entries?orderId=${orderId}`).expect(200);
  return res.body.items as {
    id: number;
    description: string;
    reversesEntryId: number | null;
    idempotencyKey: string;
    lines: { account: string; debit: number; credit: number }[];
  }[];
}

/** The trial balance is balanced (also checked per entry by the database). */
export async function expectLedgerBalanced(h: Harness): Promise<void> {
  const res = await request(h.app).get('/v1/ledger/trial-balance?currency=EUR').expect(200);
  expect(res.body.totalDebits).toBe(res.body.totalCredits);
  const lines = await h.database.db.select().from(journalLines);
  const sum = (k: 'debit' | 'credit') => lines.reduce((s, l) => s + l[k], 0);
  expect(res.body.totalDebits).toBe(sum('debit'));
}
