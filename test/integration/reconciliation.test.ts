/**
 * Real-time payment reconciliation against the real system: each matching rule, each anomaly, the
 * confidence threshold, an exception resolved through the API, over-allocation refused, the review
 * SLA escalating, and unmatching an allocation with reversing entries.
 */
import request from 'supertest';
import { and, asc, eq, like } from 'drizzle-orm';
import {
  crmTasks,
  invoices,
  journalEntries,
  journalLines,
  paymentAllocations,
  payments,
  salesOrders,
} from '../../db/schema';
import { eventually, startHarness, uniqueKey, type Harness } from '../support/harness';
import {
  addStock,
  createCustomer,
  expectLedgerBalanced,
  invoiceOf,
  outboxRows,
  placeOrder,
  receivePayment,
  waitForStatus,
  type ReceivedPayment,
} from '../support/orders';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    settings: {
      sales: { taxRateBps: 0 },
      finance: { reconciliation: { reviewSla: '4 seconds', tolerancePercent: 2 } },
    },
  });
});
afterAll(async () => {
  await h?.close();
});
afterEach(async () => {
  if (h) await expectLedgerBalanced(h);
});

/** An invoiced order of one line (no tax): its invoice's total is `amount`. */
async function invoicedOrder(
  customerId: string,
  amount: number,
  orderId = uniqueKey('O'),
): Promise<{ orderId: string; invoice: string }> {
  const sku = uniqueKey('SKU');
  await addStock(h, sku, 5);
  await placeOrder(h, { customerId, lines: [{ sku, quantity: 1, unitPrice: amount }] }, orderId);
  await waitForStatus(h, orderId, 'invoiced');
  return { orderId, invoice: `INV-${orderId}` };
}

const receive = (data: ReceivedPayment) => receivePayment(h, data);

const paymentRow = async (paymentId: string) =>
  (await h.database.db.select().from(payments).where(eq(payments.paymentId, paymentId)))[0];
const allocationsOf = (paymentId: string) =>
  h.database.db
    .select({
      invoiceNumber: paymentAllocations.invoiceNumber,
      amount: paymentAllocations.amount,
      matchRule: paymentAllocations.matchRule,
      status: paymentAllocations.status,
      reversalReason: paymentAllocations.reversalReason,
    })
    .from(paymentAllocations)
    .where(eq(paymentAllocations.paymentId, paymentId))
    .orderBy(asc(paymentAllocations.invoiceNumber));

describe('matching rules', () => {
  it('1. reference: allocates to the invoices the reference names, oldest first, the rest to credit', async () => {
    const customerId = await createCustomer(h);
    const [a, b] = [await invoicedOrder(customerId, 3000), await invoicedOrder(customerId, 2000)];
    const { paymentId, state } = await receive({
      amount: 5500,
      customerId,
      reference: `${b.invoice} and ${a.invoice}`,
    });
    expect(state.status).toBe('matched');
    expect(await allocationsOf(paymentId)).toEqual(
      [
        {
          invoiceNumber: a.invoice,
          amount: 3000,
          matchRule: 'reference',
          status: 'active',
          reversalReason: null,
        },
        {
          invoiceNumber: b.invoice,
          amount: 2000,
          matchRule: 'reference',
          status: 'active',
          reversalReason: null,
        },
      ].sort((x, y) => (x.invoiceNumber < y.invoiceNumber ? -1 : 1)),
    );
    expect(await paymentRow(paymentId)).toMatchObject({ amountAllocated: 5000, status: 'allocated' });
    const [credit] = await outboxRows(h, customerId, 'customer.credit_added');
    expect(credit?.payload).toMatchObject({ paymentId, amount: 500 });
    await waitForStatus(h, a.orderId, 'shipped');
    await waitForStatus(h, b.orderId, 'shipped');
  });

  it('2. exact amount: the one open invoice of the payer with that outstanding amount', async () => {
    const customerId = await createCustomer(h);
    const [a] = [await invoicedOrder(customerId, 2750), await invoicedOrder(customerId, 4000)];
    const { paymentId, state } = await receive({ amount: 2750, customerId, reference: 'thanks' });
    expect(state).toMatchObject({
      status: 'matched',
      allocations: [{ invoiceNumber: a.invoice, amount: 2750 }],
    });
    expect(await allocationsOf(paymentId)).toMatchObject([
      { invoiceNumber: a.invoice, matchRule: 'exact_amount' },
    ]);
    await waitForStatus(h, a.orderId, 'shipped');
    const [allocated] = await outboxRows(h, paymentId, 'payment.allocated');
    expect(allocated?.payload).toMatchObject({
      invoiceNumber: a.invoice,
      amount: 2750,
      matchRule: 'exact_amount',
    });
  });

  it('3. oldest first: several invoices whose outstanding amounts add up to the payment', async () => {
    const customerId = await createCustomer(h);
    // invoice numbers in the order issued (oldest first is by issue date, then invoice number)
    const key = uniqueKey('O');
    const a = await invoicedOrder(customerId, 1200, `${key}-1`);
    const b = await invoicedOrder(customerId, 1800, `${key}-2`);
    const c = await invoicedOrder(customerId, 5000, `${key}-3`);
    const { paymentId, state } = await receive({ amount: 3000, customerId });
    expect(state.status).toBe('matched');
    expect(await allocationsOf(paymentId)).toMatchObject(
      [
        { invoiceNumber: a.invoice, amount: 1200, matchRule: 'oldest_first' },
        { invoiceNumber: b.invoice, amount: 1800, matchRule: 'oldest_first' },
      ].sort((x, y) => (x.invoiceNumber < y.invoiceNumber ? -1 : 1)),
    );
    expect(await invoiceOf(h, c.orderId)).toMatchObject({ amountPaid: 0, status: 'open' });
    await waitForStatus(h, a.orderId, 'shipped');
    await waitForStatus(h, b.orderId, 'shipped');
  });

  it('4. tolerance: a payment short within 2 % settles the invoice with a write-off', async () => {
    const customerId = await createCustomer(h);
    const a = await invoicedOrder(customerId, 5000);
    const { paymentId, state } = await receive({ amount: 4920, customerId });
    expect(state.status).toBe('matched');
    expect(await allocationsOf(paymentId)).toMatchObject([
      { invoiceNumber: a.invoice, amount: 4920, matchRule: 'tolerance' },
    ]);
    expect(await invoiceOf(h, a.orderId)).toMatchObject({
      amountPaid: 4920,
      amountWrittenOff: 80,
      status: 'paid',
    });
    const writeOff = await h.database.db
      .select({ account: journalLines.accountCode, debit: journalLines.debit, credit: journalLines.credit })
      .from(journalLines)
      .innerJoin(journalEntries, eq(journalEntries.id, journalLines.entryId))
      .where(eq(journalEntries.idempotencyKey, `writeoff/${paymentId}/${a.invoice}`))
      .orderBy(asc(journalLines.accountCode));
    expect(writeOff).toEqual([
      { account: '1100', debit: 0, credit: 80 },
      { account: '6000', debit: 80, credit: 0 },
    ]);
    // the order takes the write-off as settled and ships
    await waitForStatus(h, a.orderId, 'shipped');
  });

  it('a known payer with nothing open stays unapplied for the nightly batch', async () => {
    const customerId = await createCustomer(h);
    const { paymentId, state } = await receive({ amount: 700, customerId });
    expect(state.status).toBe('unapplied');
    expect(await paymentRow(paymentId)).toMatchObject({ status: 'unallocated', amountAllocated: 0 });
  });
});

describe('exceptions', () => {
  it('unknown payer: held for review with an alert, nothing allocated, the proposal kept', async () => {
    const customerId = await createCustomer(h);
    const a = await invoicedOrder(customerId, 1500);
    const { paymentId, state } = await receive({
      amount: 1500,
      payerName: 'Nobody Known Ltd',
      reference: a.invoice,
    });
    expect(state).toMatchObject({ status: 'awaiting_review', review: { anomalies: ['unknown_payer'] } });
    expect(state.review?.proposal).toMatchObject({
      rule: 'reference',
      allocations: [{ invoiceNumber: a.invoice }],
    });
    expect(await paymentRow(paymentId)).toMatchObject({
      status: 'exception',
      amountAllocated: 0,
      exceptionReason: 'payer "Nobody Known Ltd" is not a known customer',
      proposedInvoiceNumber: a.invoice,
    });
    expect(await allocationsOf(paymentId)).toEqual([]);
    expect(await outboxRows(h, paymentId, 'reconciliation.exception_raised')).toHaveLength(1);
    const [alert] = await outboxRows(h, paymentId, 'alert.raised');
    expect(alert?.payload).toMatchObject({ kind: 'payment_anomaly', anomalies: ['unknown_payer'] });
  });

  it('a payer named like one known customer is that customer', async () => {
    const name = `Payer ${uniqueKey('N')}`;
    const customerId = await createCustomer(h, 0, { name });
    const a = await invoicedOrder(customerId, 990);
    const { paymentId, state } = await receive({ amount: 990, payerName: name.toUpperCase() });
    expect(state.status).toBe('matched');
    expect(await paymentRow(paymentId)).toMatchObject({ customerId, status: 'allocated' });
    await waitForStatus(h, a.orderId, 'shipped');
  });

  it('possible duplicate: the same payer, amount and reference again is not allocated', async () => {
    const customerId = await createCustomer(h);
    await invoicedOrder(customerId, 800);
    await invoicedOrder(customerId, 800 + 1);
    const first = await receive({ amount: 800, customerId, reference: 'order 77' });
    expect(first.state.status).toBe('matched');
    const second = await receive({ amount: 800, customerId, reference: 'order 77' });
    expect(second.state).toMatchObject({
      status: 'awaiting_review',
      review: { anomalies: ['possible_duplicate'] },
    });
    expect(second.state.review?.reasons[0]).toContain(first.paymentId);
    expect(await paymentRow(second.paymentId)).toMatchObject({ status: 'exception', amountAllocated: 0 });
  });

  it('amount far above the payer’s history is not allocated', async () => {
    const customerId = await createCustomer(h);
    for (let i = 0; i < 3; i++) {
      expect((await receive({ amount: 100 + i, customerId })).state.status).toBe('unapplied');
    }
    const a = await invoicedOrder(customerId, 9000);
    const { paymentId, state } = await receive({ amount: 9000, customerId, reference: a.invoice });
    expect(state).toMatchObject({
      status: 'awaiting_review',
      review: { anomalies: ['amount_above_history'] },
    });
    expect(state.review?.proposal).toMatchObject({ rule: 'reference', confidence: 1 });
    expect(await allocationsOf(paymentId)).toEqual([]);
  });

  it('below the confidence threshold (a tie) becomes an exception with the proposal', async () => {
    const customerId = await createCustomer(h);
    const a = await invoicedOrder(customerId, 2500);
    const b = await invoicedOrder(customerId, 2500);
    const { paymentId, state } = await receive({ amount: 2500, customerId });
    expect(state.status).toBe('awaiting_review');
    expect(state.review).toMatchObject({
      anomalies: [],
      proposal: { rule: 'exact_amount', confidence: 0.5, allocations: [{ amount: 2500 }] },
    });
    expect([a.invoice, b.invoice]).toContain(state.review?.proposal?.allocations[0]?.invoiceNumber);
    expect(await paymentRow(paymentId)).toMatchObject({ status: 'exception', amountAllocated: 0 });
  });
});

describe('review', () => {
  it('an exception resolved through the API pays the chosen invoice and the order', async () => {
    const customerId = await createCustomer(h);
    const a = await invoicedOrder(customerId, 2100);
    await invoicedOrder(customerId, 2100);
    const { paymentId } = await receive({ amount: 2100, customerId });

    const list = await request(h.app).get('/v1/reconciliation/exceptions').query({ customerId }).expect(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        paymentId,
        unallocated: 2100,
        proposal: expect.objectContaining({ rule: 'exact_amount' }),
      }),
    ]);

    const res = await request(h.app)
      .post(`/v1/reconciliation/exceptions/${paymentId}/resolve`)
      .set('Idempotency-Key', uniqueKey('k'))
      .send({ allocations: [{ invoiceNumber: a.invoice, amount: 2100 }], resolvedBy: 'ops@example.com' })
      .expect(200);
    expect(res.body.state).toMatchObject({
      status: 'resolved',
      allocations: [{ invoiceNumber: a.invoice, amount: 2100 }],
    });
    expect(res.body.payment).toMatchObject({
      status: 'allocated',
      reviewedBy: 'ops@example.com',
      exception: null,
    });
    expect(await allocationsOf(paymentId)).toMatchObject([{ invoiceNumber: a.invoice, matchRule: 'manual' }]);
    await waitForStatus(h, a.orderId, 'shipped');
    // a resolved payment is no longer in the inbox, and cannot be resolved twice
    const after = await request(h.app).get('/v1/reconciliation/exceptions').query({ customerId }).expect(200);
    expect(after.body.items).toEqual([]);
    await request(h.app)
      .post(`/v1/reconciliation/exceptions/${paymentId}/resolve`)
      .send({ allocations: [], resolvedBy: 'ops@example.com' })
      .expect(409);
  });

  it('over-allocation is refused with each problem named, and changes nothing', async () => {
    const customerId = await createCustomer(h);
    const a = await invoicedOrder(customerId, 1000);
    const b = await invoicedOrder(customerId, 3000);
    const { paymentId } = await receive({ amount: 1500, payerName: 'Unknown Payer' });
    const before = await paymentRow(paymentId);

    const tooMuch = await request(h.app)
      .post(`/v1/reconciliation/exceptions/${paymentId}/resolve`)
      .send({
        allocations: [
          { invoiceNumber: a.invoice, amount: 1200 },
          { invoiceNumber: b.invoice, amount: 900 },
        ],
        resolvedBy: 'ops',
      })
      .expect(422);
    expect(tooMuch.headers['content-type']).toContain('application/problem+json');
    expect(tooMuch.body.errors).toEqual([
      { path: 'allocations', message: "allocations total 2100, more than the payment's unallocated 1500" },
      { path: 'allocations[0]', message: `1200 is more than ${a.invoice}'s outstanding 1000` },
    ]);
    const unknown = await request(h.app)
      .post(`/v1/reconciliation/exceptions/${paymentId}/resolve`)
      .send({ allocations: [{ invoiceNumber: 'INV-NOPE', amount: 1 }], resolvedBy: 'ops' })
      .expect(422);
    expect(unknown.body.errors).toEqual([{ path: 'allocations[0]', message: 'invoice INV-NOPE not found' }]);
    await request(h.app)
      .post(`/v1/reconciliation/exceptions/${paymentId}/resolve`)
      .send({ allocations: [{ invoiceNumber: a.invoice, amount: -5 }], resolvedBy: 'ops' })
      .expect(400);

    expect(await paymentRow(paymentId)).toEqual(before);
    expect(await allocationsOf(paymentId)).toEqual([]);
    expect(await invoiceOf(h, a.orderId)).toMatchObject({ amountPaid: 0 });
    // still in review: a valid decision goes through, the rest to the payer's credit
    const ok = await request(h.app)
      .post(`/v1/reconciliation/exceptions/${paymentId}/resolve`)
      .send({
        allocations: [{ invoiceNumber: a.invoice, amount: 1000 }],
        creditTo: customerId,
        resolvedBy: 'ops',
      })
      .expect(200);
    expect(ok.body.payment).toMatchObject({ status: 'allocated', amountAllocated: 1000, customerId });
    const [credit] = await outboxRows(h, customerId, 'customer.credit_added');
    expect(credit?.payload).toMatchObject({ paymentId, amount: 500 });
  });

  it('an exception not reviewed within the SLA escalates once: an alert and a finance task', async () => {
    const { paymentId } = await receive({ amount: 4321, payerName: 'Slow Review GmbH' });
    const row = await eventually(async () => {
      const p = await paymentRow(paymentId);
      return p?.escalatedAt ? p : undefined;
    }, 30_000);
    expect(row.status).toBe('exception');
    const alerts = (await outboxRows(h, paymentId, 'alert.raised')).map(
      (r) => (r.payload as { kind: string }).kind,
    );
    expect(alerts.sort()).toEqual(['payment_anomaly', 'reconciliation_review_overdue']);
    const tasks = await h.database.db
      .select()
      .from(crmTasks)
      .where(like(crmTasks.taskKey, `reconciliation-review/${paymentId}/%`));
    expect(tasks).toMatchObject([{ type: 'reconciliation_review', assignee: 'finance', status: 'open' }]);
    const list = await request(h.app)
      .get('/v1/reconciliation/exceptions')
      .query({ escalated: 'true' })
      .expect(200);
    expect(list.body.items.map((i: { paymentId: string }) => i.paymentId)).toContain(paymentId);
  });
});

describe('unmatch', () => {
  it('reverses an allocation with a stored reason and reversing entries; the payment goes back to review', async () => {
    const customerId = await createCustomer(h);
    const a = await invoicedOrder(customerId, 6100);
    await invoicedOrder(customerId, 7000);
    const { paymentId, state } = await receive({ amount: 6100, customerId, reference: a.invoice });
    expect(state.status).toBe('matched');
    await waitForStatus(h, a.orderId, 'shipped');
    // the matching workflow has closed: the unmatch opens a new run (update-with-start)
    await h.temporal.client.workflow.getHandle(`payment-${paymentId}`).result();

    const res = await request(h.app)
      .post(`/v1/reconciliation/payments/${paymentId}/unmatch`)
      .set('Idempotency-Key', uniqueKey('k'))
      .send({ invoiceNumber: a.invoice, reason: 'bank recalled the transfer', requestedBy: 'ops' });
    expect(res.body).toMatchObject({ state: { status: 'awaiting_review' } });
    expect(res.status).toBe(200);
    expect(res.body.state).toMatchObject({ status: 'awaiting_review', allocations: [] });
    expect(res.body.payment).toMatchObject({ status: 'exception', amountAllocated: 0 });
    expect(await allocationsOf(paymentId)).toMatchObject([
      { invoiceNumber: a.invoice, status: 'reversed', reversalReason: 'bank recalled the transfer' },
    ]);
    expect(await invoiceOf(h, a.orderId)).toMatchObject({ amountPaid: 0, status: 'open' });
    const [order] = await h.database.db.select().from(salesOrders).where(eq(salesOrders.orderId, a.orderId));
    expect(order).toMatchObject({ amountPaid: 0, status: 'shipped' });
    const entries = await h.database.db
      .select()
      .from(journalEntries)
      .where(like(journalEntries.idempotencyKey, `payment/${paymentId}/%`))
      .orderBy(asc(journalEntries.id));
    expect(entries).toHaveLength(2);
    expect(entries[1]?.reversesEntryId).toBe(entries[0]?.id);
    const [out] = await outboxRows(h, paymentId, 'payment.unallocated');
    expect(out?.payload).toMatchObject({
      invoiceNumber: a.invoice,
      amount: 6100,
      reason: 'bank recalled the transfer',
    });

    // unmatching again finds nothing active; an unknown invoice is 404
    await request(h.app)
      .post(`/v1/reconciliation/payments/${paymentId}/unmatch`)
      .send({ invoiceNumber: 'INV-NOPE', reason: 'x', requestedBy: 'ops' })
      .expect(404);
    const view = await request(h.app).get(`/v1/reconciliation/payments/${paymentId}`).expect(200);
    expect(view.body).toMatchObject({ status: 'exception', workflow: { status: 'RUNNING' } });
    const [invoice] = await h.database.db
      .select()
      .from(invoices)
      .where(and(eq(invoices.invoiceNumber, a.invoice)));
    expect(invoice?.status).toBe('open');
  });
});
