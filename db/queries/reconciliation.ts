/**
 * Real-time payment reconciliation in Postgres: who paid, what they could be paying, whether anything
 * looks wrong, and the writes of a decision (allocations, write-offs, credit, exceptions, reversals).
 * The rules themselves are pure (domain/reconciliation.ts); the nightly batch runs them in SQL.
 */
import { and, eq, sql } from 'drizzle-orm';
import { msToNumber } from '@temporalio/common';
import type { Tx } from '../client';
import type { Cause } from '../schema/columns';
import {
  ACCOUNT_CODES,
  invoices,
  paymentAllocations,
  payments,
  salesOrders,
  type PaymentRow,
} from '../schema';
import { allocatePayment } from './receivables';
import { postJournalEntry, reverseJournalEntry } from './ledger';
import { appendOutbox } from './outbox';
import { openTask } from './crm';
import {
  invoiceNumbersIn,
  type AppliedAllocation,
  type Allocation,
  type AnomalyKind,
  type Candidate,
  type ExceptionReview,
  type MatchRule,
  type PaymentToMatch,
} from '../../domain/reconciliation';

export type { AppliedAllocation };
import type { ReconciliationSettings } from '../../domain/settings/finance';

/** The payer: the customer given (when it exists), else the one customer whose name is the payer's. */
export async function identifyPayer(tx: Tx, payment: PaymentRow): Promise<string | null> {
  if (payment.customerId) return payment.customerId;
  if (!payment.payerName) return null;
  const { rows } = await tx.execute<{ customer_id: string }>(sql`
    select customer_id from customers where lower(name) = lower(${payment.payerName.trim()}) limit 2`);
  return rows.length === 1 ? (rows[0] as { customer_id: string }).customer_id : null;
}

/**
 * Open invoices the payment could pay: same currency, outstanding > 0, issued within the look-back
 * window before the payment; the payer's own invoices, and any invoice the reference names.
 */
export async function candidatesFor(
  tx: Tx,
  payment: PaymentRow,
  payer: string | null,
  settings: Pick<ReconciliationSettings, 'lookBackDays' | 'referencePattern'>,
): Promise<Candidate[]> {
  const named = invoiceNumbersIn(payment.reference, settings.referencePattern);
  const { rows } = await tx.execute<{
    invoice_number: string;
    customer_id: string;
    order_id: string;
    outstanding: string;
    issued_on: string;
  }>(sql`
    select invoice_number, customer_id, order_id, issued_on::text as issued_on,
           (total - amount_paid - amount_written_off)::text as outstanding
      from invoices
     where status in ('open', 'partially_paid')
       and currency = ${payment.currency}
       and total - amount_paid - amount_written_off > 0
       and issued_on >= (${payment.receivedAt.toISOString()}::timestamptz)::date - ${settings.lookBackDays}::int
       and (customer_id = ${payer ?? ''}
            or invoice_number in (select jsonb_array_elements_text(${JSON.stringify(named)}::jsonb)))
     order by issued_on, invoice_number`);
  return rows.map((r) => ({
    invoiceNumber: r.invoice_number,
    customerId: r.customer_id,
    orderId: r.order_id,
    outstanding: Number(r.outstanding),
    issuedOn: r.issued_on,
  }));
}

/**
 * What blocks auto-allocation: the payer is unknown; the same payer, amount and reference arrived in
 * another payment within the duplicate window; or the amount is far above the payer's largest earlier
 * payment (with enough history to judge).
 */
export async function anomaliesOf(
  tx: Tx,
  payment: PaymentRow,
  payer: string | null,
  settings: Pick<ReconciliationSettings, 'duplicateWindow' | 'historyFactor' | 'historyMinPayments'>,
): Promise<{ anomalies: AnomalyKind[]; reasons: string[] }> {
  const anomalies: AnomalyKind[] = [];
  const reasons: string[] = [];
  if (!payer) {
    anomalies.push('unknown_payer');
    reasons.push(
      payment.payerName ? `payer "${payment.payerName}" is not a known customer` : 'the payer is not named',
    );
    return { anomalies, reasons };
  }
  const windowMs = msToNumber(settings.duplicateWindow);
  const { rows: twins } = await tx.execute<{ payment_id: string }>(sql`
    select payment_id from payments
     where payment_id <> ${payment.paymentId}
       and customer_id = ${payer}
       and amount = ${payment.amount}
       and currency = ${payment.currency}
       and coalesce(reference, '') = ${payment.reference ?? ''}
       and received_at between ${payment.receivedAt.toISOString()}::timestamptz - make_interval(secs => ${windowMs / 1000})
                           and ${payment.receivedAt.toISOString()}::timestamptz + make_interval(secs => ${windowMs / 1000})
     order by received_at limit 1`);
  if (twins[0]) {
    anomalies.push('possible_duplicate');
    reasons.push(`same payer, amount and reference as payment ${twins[0].payment_id}`);
  }
  const { rows: history } = await tx.execute<{ n: string; largest: string | null }>(sql`
    select count(*)::text as n, max(amount)::text as largest from payments
     where customer_id = ${payer} and payment_id <> ${payment.paymentId}
       and currency = ${payment.currency} and received_at < ${payment.receivedAt.toISOString()}::timestamptz`);
  const n = Number(history[0]?.n ?? 0);
  const largest = Number(history[0]?.largest ?? 0);
  if (n >= settings.historyMinPayments && payment.amount > largest * settings.historyFactor) {
    anomalies.push('amount_above_history');
    reasons.push(
      `amount ${payment.amount} is more than ${settings.historyFactor}× the payer's largest of ${n} earlier payments (${largest})`,
    );
  }
  return { anomalies, reasons };
}

export function toMatch(payment: PaymentRow, payer: string | null): PaymentToMatch {
  return {
    paymentId: payment.paymentId,
    unallocated: payment.amount - payment.amountAllocated,
    currency: payment.currency,
    customerId: payer,
    reference: payment.reference,
  };
}

/** Marks the payment as an exception waiting for review; announced once per raising. */
export async function raiseException(
  tx: Tx,
  paymentId: string,
  review: ExceptionReview,
  cause: Cause,
): Promise<void> {
  const [row] = await tx.select().from(payments).where(eq(payments.paymentId, paymentId)).for('update');
  if (!row) throw new Error(`payment ${paymentId} not found`);
  const raisedAt = row.status === 'exception' && row.exceptionRaisedAt ? row.exceptionRaisedAt : new Date();
  await tx
    .update(payments)
    .set({
      status: 'exception',
      exceptionReason: review.reasons.join('; ') || 'no rule matched',
      proposedInvoiceNumber: review.proposal?.allocations[0]?.invoiceNumber ?? null,
      exceptionDetail: review,
      exceptionRaisedAt: raisedAt,
      escalatedAt: null,
      reviewedAt: null,
      reviewedBy: null,
      updatedAt: sql`now()`,
    })
    .where(eq(payments.paymentId, paymentId));
  const payload = {
    paymentId,
    amount: row.amount,
    unallocated: row.amount - row.amountAllocated,
    currency: row.currency,
    customerId: row.customerId,
    reasons: review.reasons,
    anomalies: review.anomalies,
    proposal: review.proposal,
  };
  const key = `${paymentId}/${raisedAt.toISOString()}`;
  await appendOutbox(tx, {
    aggregateType: 'payment',
    aggregateId: paymentId,
    type: 'reconciliation.exception_raised',
    payload,
    idempotencyKey: `reconciliation.exception_raised/${key}`,
    cause,
  });
  if (review.anomalies.length > 0) {
    await appendOutbox(tx, {
      aggregateType: 'payment',
      aggregateId: paymentId,
      type: 'alert.raised',
      payload: { kind: 'payment_anomaly', severity: 'warning', ...payload },
      idempotencyKey: `alert.raised/payment-anomaly/${key}`,
      cause,
    });
  }
}

/** The review SLA passed: an alert and a finance task, once per exception. */
export async function escalateException(tx: Tx, paymentId: string, cause: Cause): Promise<boolean> {
  const [row] = await tx.select().from(payments).where(eq(payments.paymentId, paymentId)).for('update');
  if (!row || row.status !== 'exception' || row.escalatedAt) return false;
  await tx
    .update(payments)
    .set({ escalatedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(payments.paymentId, paymentId));
  const key = `${paymentId}/${row.exceptionRaisedAt?.toISOString() ?? 'unknown'}`;
  await appendOutbox(tx, {
    aggregateType: 'payment',
    aggregateId: paymentId,
    type: 'alert.raised',
    payload: {
      kind: 'reconciliation_review_overdue',
      severity: 'high',
      paymentId,
      amount: row.amount,
      currency: row.currency,
      raisedAt: row.exceptionRaisedAt,
      reason: row.exceptionReason,
    },
    idempotencyKey: `alert.raised/reconciliation-review/${key}`,
    cause,
  });
  await openTask(tx, {
    taskKey: `reconciliation-review/${key}`,
    type: 'reconciliation_review',
    title: `Review payment ${paymentId} (${row.amount} ${row.currency}): ${row.exceptionReason ?? 'no match'}`,
    ...(row.customerId ? { customerId: row.customerId } : {}),
    assignee: 'finance',
    cause,
  });
  return true;
}

/**
 * Applies a decision in one transaction: each allocation (at most its amount, the invoice's outstanding
 * and the payment's unallocated amount), a write-off, and credit for the rest on the last allocation.
 * Idempotent per (payment, invoice) by the journal key `payment/<payment>/<invoice>`.
 */
export async function applyAllocations(
  tx: Tx,
  a: {
    paymentId: string;
    rule: MatchRule;
    allocations: Allocation[];
    writeOff?: Allocation;
    credit: number;
    cause: Cause;
  },
): Promise<AppliedAllocation[]> {
  const applied: AppliedAllocation[] = [];
  for (const [i, alloc] of a.allocations.entries()) {
    const last = i === a.allocations.length - 1;
    const result = await allocatePayment(tx, {
      paymentId: a.paymentId,
      invoiceNumber: alloc.invoiceNumber,
      matchRule: a.rule,
      amount: alloc.amount,
      overpaymentToCredit: last && a.credit > 0,
      cause: a.cause,
    });
    const [inv] = await tx
      .select({ orderId: invoices.orderId })
      .from(invoices)
      .where(eq(invoices.invoiceNumber, alloc.invoiceNumber));
    applied.push({
      invoiceNumber: alloc.invoiceNumber,
      amount: result.allocated,
      orderId: inv?.orderId ?? '',
      credited: result.credited,
      writtenOff: 0,
    });
  }
  if (a.writeOff && a.writeOff.amount > 0) {
    const done = await writeOff(tx, { paymentId: a.paymentId, ...a.writeOff, cause: a.cause });
    const target = applied.find((x) => x.invoiceNumber === a.writeOff?.invoiceNumber);
    if (target) target.writtenOff = done;
  }
  for (const orderId of new Set(applied.map((x) => x.orderId))) await syncOrderPaid(tx, orderId, a.cause);
  return applied;
}

/** Writes off what a payment left short on an invoice (rule 4): Dr write-off / Cr receivables, once. */
async function writeOff(
  tx: Tx,
  w: { paymentId: string; invoiceNumber: string; amount: number; cause: Cause },
): Promise<number> {
  const [inv] = await tx
    .select()
    .from(invoices)
    .where(eq(invoices.invoiceNumber, w.invoiceNumber))
    .for('update');
  if (!inv) throw new Error(`invoice ${w.invoiceNumber} not found`);
  const amount = Math.min(w.amount, inv.total - inv.amountPaid - inv.amountWrittenOff);
  const entry = await postJournalEntry(tx, {
    idempotencyKey: `writeoff/${w.paymentId}/${w.invoiceNumber}`,
    description: `Write-off on ${w.invoiceNumber} after payment ${w.paymentId} (within tolerance)`,
    currency: inv.currency,
    cause: w.cause,
    lines: [
      {
        account: ACCOUNT_CODES.writeOff,
        debit: amount,
        invoiceNumber: w.invoiceNumber,
        orderId: inv.orderId,
      },
      {
        account: ACCOUNT_CODES.accountsReceivable,
        credit: amount,
        invoiceNumber: w.invoiceNumber,
        orderId: inv.orderId,
        paymentId: w.paymentId,
      },
    ],
  });
  if (!entry.created) return amount;
  const settled = inv.amountPaid + inv.amountWrittenOff + amount >= inv.total;
  await tx
    .update(invoices)
    .set({
      amountWrittenOff: inv.amountWrittenOff + amount,
      status: settled ? 'paid' : inv.status,
      updatedAt: sql`now()`,
    })
    .where(eq(invoices.invoiceNumber, w.invoiceNumber));
  return amount;
}

/**
 * Keeps the order's paid amount equal to its invoice's (after reconciliation allocated or reversed)
 * and moves an order waiting for payment to partially paid or paid; paid in full announces order.paid
 * once. Orders past payment (shipping and later, or cancelled) keep their status.
 */
export async function syncOrderPaid(
  tx: Tx,
  orderId: string,
  cause: Cause,
): Promise<{ paid: number; due: number }> {
  const [order] = await tx.select().from(salesOrders).where(eq(salesOrders.orderId, orderId)).for('update');
  const [inv] = await tx.select().from(invoices).where(eq(invoices.orderId, orderId));
  if (!order || !inv) return { paid: 0, due: order?.total ?? 0 };
  const paid = inv.amountPaid;
  const due = Math.max(0, inv.total - inv.amountPaid - inv.amountWrittenOff);
  const waiting = ['invoiced', 'partially_paid', 'paid'].includes(order.status);
  const status = !waiting ? order.status : due <= 0 ? 'paid' : paid > 0 ? 'partially_paid' : 'invoiced';
  if (order.amountPaid !== paid || order.status !== status) {
    await tx
      .update(salesOrders)
      .set({ amountPaid: paid, status, updatedAt: sql`now()` })
      .where(eq(salesOrders.orderId, orderId));
  }
  if (waiting && due <= 0) {
    await appendOutbox(tx, {
      aggregateType: 'order',
      aggregateId: orderId,
      type: 'order.paid',
      payload: { orderId, invoiceNumber: inv.invoiceNumber, total: inv.total, paid },
      idempotencyKey: `order.paid/${orderId}`,
      cause,
    });
  }
  return { paid, due };
}

/**
 * Unmatches one active allocation: a reversing journal entry (the allocation's, credit included),
 * the allocation reversed with its reason, the invoice and payment amounts restored, the payment back
 * to review, payment.unallocated announced. Once per allocation.
 */
export async function reverseAllocation(
  tx: Tx,
  r: { paymentId: string; invoiceNumber: string; reason: string; by: string; cause: Cause },
): Promise<{ amount: number; orderId: string; repeated: boolean }> {
  const [payment] = await tx.select().from(payments).where(eq(payments.paymentId, r.paymentId)).for('update');
  if (!payment) throw new ReconciliationError('UnknownPayment', `payment ${r.paymentId} not found`);
  const [alloc] = await tx
    .select()
    .from(paymentAllocations)
    .where(
      and(
        eq(paymentAllocations.paymentId, r.paymentId),
        eq(paymentAllocations.invoiceNumber, r.invoiceNumber),
      ),
    )
    .orderBy(sql`${paymentAllocations.id} desc`)
    .limit(1)
    .for('update');
  if (!alloc) {
    throw new ReconciliationError(
      'NoSuchAllocation',
      `payment ${r.paymentId} has no allocation to ${r.invoiceNumber}`,
    );
  }
  const [inv] = await tx
    .select()
    .from(invoices)
    .where(eq(invoices.invoiceNumber, r.invoiceNumber))
    .for('update');
  if (!inv) throw new ReconciliationError('UnknownInvoice', `invoice ${r.invoiceNumber} not found`);
  if (alloc.status === 'reversed') return { amount: alloc.amount, orderId: inv.orderId, repeated: true };

  const { rows: entries } = await tx.execute<{ id: string }>(
    sql`select id::text from journal_entries where idempotency_key = ${`payment/${r.paymentId}/${r.invoiceNumber}`}`,
  );
  const original = entries[0];
  if (!original) throw new Error(`journal entry of allocation ${alloc.id} not found`);
  const { rows: creditRows } = await tx.execute<{ credited: string }>(sql`
    select coalesce(sum(credit), 0)::text as credited from journal_lines
     where entry_id = ${Number(original.id)} and account_code = ${ACCOUNT_CODES.customerCredit}`);
  const credited = Number(creditRows[0]?.credited ?? 0);
  await reverseJournalEntry(tx, Number(original.id), {
    idempotencyKey: `payment/${r.paymentId}/${r.invoiceNumber}/reversal/${alloc.id}`,
    description: `Unmatched payment ${r.paymentId} from ${r.invoiceNumber}: ${r.reason}`,
    cause: r.cause,
  });
  await tx
    .update(paymentAllocations)
    .set({ status: 'reversed', reversalReason: r.reason, reversedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(paymentAllocations.id, alloc.id));
  const paid = inv.amountPaid - alloc.amount;
  await tx
    .update(invoices)
    .set({
      amountPaid: paid,
      status:
        inv.status === 'void'
          ? 'void'
          : paid + inv.amountWrittenOff >= inv.total
            ? 'paid'
            : paid > 0
              ? 'partially_paid'
              : 'open',
      updatedAt: sql`now()`,
    })
    .where(eq(invoices.invoiceNumber, r.invoiceNumber));
  await tx
    .update(payments)
    .set({ amountAllocated: payment.amountAllocated - alloc.amount, updatedAt: sql`now()` })
    .where(eq(payments.paymentId, r.paymentId));
  await appendOutbox(tx, {
    aggregateType: 'payment',
    aggregateId: r.paymentId,
    type: 'payment.unallocated',
    payload: {
      paymentId: r.paymentId,
      invoiceNumber: r.invoiceNumber,
      orderId: inv.orderId,
      amount: alloc.amount,
      creditReversed: credited,
      currency: alloc.currency,
      reason: r.reason,
      by: r.by,
    },
    idempotencyKey: `payment.unallocated/${alloc.id}`,
    cause: r.cause,
  });
  await syncOrderPaid(tx, inv.orderId, r.cause);
  return { amount: alloc.amount, orderId: inv.orderId, repeated: false };
}

/** A business-rule refusal of a reconciliation command (the activity turns it into a non-retryable failure). */
export class ReconciliationError extends Error {
  constructor(
    readonly type:
      'UnknownPayment' | 'UnknownInvoice' | 'NoSuchAllocation' | 'InvalidResolution' | 'NotInReview',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks an operator's allocations against the current state: known open invoices in the payment's
 * currency, each at most its outstanding amount, together at most the payment's unallocated amount.
 * Every problem is named, with the allocation's index.
 */
export async function validateResolution(
  tx: Tx,
  payment: PaymentRow,
  allocations: Allocation[],
  creditTo: string | undefined,
): Promise<string[]> {
  const problems: string[] = [];
  const unallocated = payment.amount - payment.amountAllocated;
  const total = allocations.reduce((s, a) => s + a.amount, 0);
  if (total > unallocated) {
    problems.push(`allocations total ${total}, more than the payment's unallocated ${unallocated}`);
  }
  const seen = new Set<string>();
  for (const [i, a] of allocations.entries()) {
    if (seen.has(a.invoiceNumber)) problems.push(`allocations.${i}: ${a.invoiceNumber} is listed twice`);
    seen.add(a.invoiceNumber);
    const [inv] = await tx
      .select()
      .from(invoices)
      .where(eq(invoices.invoiceNumber, a.invoiceNumber))
      .for('update');
    if (!inv) {
      problems.push(`allocations.${i}: invoice ${a.invoiceNumber} not found`);
      continue;
    }
    const outstanding = inv.total - inv.amountPaid - inv.amountWrittenOff;
    if (inv.currency !== payment.currency) {
      problems.push(
        `allocations.${i}: ${a.invoiceNumber} is in ${inv.currency}, the payment in ${payment.currency}`,
      );
    } else if (inv.status === 'void' || outstanding <= 0) {
      problems.push(`allocations.${i}: ${a.invoiceNumber} has nothing outstanding`);
    } else if (a.amount > outstanding) {
      problems.push(
        `allocations.${i}: ${a.amount} is more than ${a.invoiceNumber}'s outstanding ${outstanding}`,
      );
    }
  }
  if (creditTo !== undefined) {
    const { rows } = await tx.execute(sql`select 1 from customers where customer_id = ${creditTo}`);
    if (rows.length === 0) problems.push(`creditTo: customer ${creditTo} not found`);
  }
  return problems;
}

/** What is left of a resolved payment, put on the customer's credit: Dr cash / Cr customer credit, once. */
export async function creditRemainder(
  tx: Tx,
  r: { paymentId: string; customerId: string; cause: Cause },
): Promise<number> {
  const [payment] = await tx.select().from(payments).where(eq(payments.paymentId, r.paymentId)).for('update');
  if (!payment) throw new ReconciliationError('UnknownPayment', `payment ${r.paymentId} not found`);
  const rest = payment.amount - payment.amountAllocated;
  const entry = await postJournalEntry(tx, {
    idempotencyKey: `payment/${r.paymentId}/credit`,
    description: `Payment ${r.paymentId}: remainder to credit of customer ${r.customerId}`,
    currency: payment.currency,
    cause: r.cause,
    lines: [
      { account: ACCOUNT_CODES.cash, debit: rest, paymentId: r.paymentId },
      {
        account: ACCOUNT_CODES.customerCredit,
        credit: rest,
        paymentId: r.paymentId,
        memo: `credit of customer ${r.customerId}`,
      },
    ],
  });
  if (entry.created) {
    await appendOutbox(tx, {
      aggregateType: 'customer',
      aggregateId: r.customerId,
      type: 'customer.credit_added',
      payload: { paymentId: r.paymentId, customerId: r.customerId, currency: payment.currency, amount: rest },
      idempotencyKey: `customer.credit_added/${r.paymentId}/remainder`,
      cause: r.cause,
    });
  }
  return entry.created ? rest : 0;
}
