/**
 * Receivables: recording a received payment and allocating it to an invoice, with its journal entry
 * and outbox events. Reusable by any allocator (the order workflow now, reconciliation later).
 */
import { causeColumns, type Cause } from '../schema/columns';
import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../client';
import { ACCOUNT_CODES, invoices, paymentAllocations, payments, type PaymentRow } from '../schema';
import { appendOutbox } from './outbox';
import { postJournalEntry } from './ledger';

export interface PaymentToRecord {
  paymentId: string;
  amount: number;
  currency: string;
  customerId?: string | null;
  payerName?: string | null;
  reference?: string | null;
  receivedAt: string;
  method: string;
  cause: Cause;
}

/** Stores a received payment once (its id is the key); returns the stored row, locked. */
export async function recordPayment(tx: Tx, p: PaymentToRecord): Promise<PaymentRow> {
  await tx
    .insert(payments)
    .values({
      paymentId: p.paymentId,
      amount: p.amount,
      currency: p.currency,
      customerId: p.customerId ?? null,
      payerName: p.payerName ?? null,
      reference: p.reference ?? null,
      receivedAt: new Date(p.receivedAt),
      method: p.method,
      ...causeColumns(p.cause),
    })
    .onConflictDoNothing({ target: payments.paymentId });
  const [row] = await tx.select().from(payments).where(eq(payments.paymentId, p.paymentId)).for('update');
  if (!row) throw new Error(`payment ${p.paymentId} neither inserted nor found`);
  return row;
}

export interface AllocationResult {
  paymentId: string;
  invoiceNumber: string;
  /** Applied to the invoice (Dr cash / Cr receivables). */
  allocated: number;
  /** Beyond the invoice's outstanding amount, kept as customer credit (Dr cash / Cr customer credit). */
  credited: number;
  invoicePaid: number;
  invoiceOutstanding: number;
  journalEntryId: number | null;
  /** True when this allocation was made before (nothing written now). */
  repeated: boolean;
}

/**
 * Allocates the unallocated part of a payment to an invoice: at most the invoice's outstanding
 * amount; with `overpaymentToCredit`, the rest becomes customer credit. Posts one journal entry per
 * (payment, invoice) and writes payment.allocated (and customer.credit_added). Allocating the same
 * payment to the same invoice again changes nothing and answers the first result.
 */
export async function allocatePayment(
  tx: Tx,
  a: {
    paymentId: string;
    invoiceNumber: string;
    matchRule: string;
    /** At most this much of the payment (default: all that is unallocated). */
    amount?: number;
    overpaymentToCredit: boolean;
    cause: Cause;
  },
): Promise<AllocationResult> {
  const [payment] = await tx.select().from(payments).where(eq(payments.paymentId, a.paymentId)).for('update');
  if (!payment) throw new Error(`payment ${a.paymentId} not found`);
  const [invoice] = await tx
    .select()
    .from(invoices)
    .where(eq(invoices.invoiceNumber, a.invoiceNumber))
    .for('update');
  if (!invoice) throw new Error(`invoice ${a.invoiceNumber} not found`);
  const outstandingOf = (i: typeof invoice) => i.total - i.amountPaid - i.amountWrittenOff;
  const key = `payment/${a.paymentId}/${a.invoiceNumber}`;

  const [posted] = await tx
    .execute<{ id: number }>(sql`select id from journal_entries where idempotency_key = ${key}`)
    .then((r) => r.rows);
  if (posted) {
    const [alloc] = await tx
      .select()
      .from(paymentAllocations)
      .where(
        and(
          eq(paymentAllocations.paymentId, a.paymentId),
          eq(paymentAllocations.invoiceNumber, a.invoiceNumber),
        ),
      );
    const allocated = alloc?.amount ?? 0;
    return {
      paymentId: a.paymentId,
      invoiceNumber: a.invoiceNumber,
      allocated,
      credited: a.overpaymentToCredit ? payment.amount - payment.amountAllocated : 0,
      invoicePaid: invoice.amountPaid,
      invoiceOutstanding: outstandingOf(invoice),
      journalEntryId: Number(posted.id),
      repeated: true,
    };
  }
  if (payment.currency !== invoice.currency) {
    throw new Error(
      `payment ${a.paymentId} is in ${payment.currency}, invoice ${a.invoiceNumber} in ${invoice.currency}`,
    );
  }

  const unallocated = payment.amount - payment.amountAllocated;
  const open = invoice.status === 'void' ? 0 : Math.max(0, outstandingOf(invoice));
  const allocated = Math.min(unallocated, open, a.amount ?? unallocated);
  const credited = a.overpaymentToCredit ? unallocated - allocated : 0;
  const customerId = payment.customerId ?? invoice.customerId;

  if (allocated > 0) {
    await tx.insert(paymentAllocations).values({
      paymentId: a.paymentId,
      invoiceNumber: a.invoiceNumber,
      amount: allocated,
      currency: invoice.currency,
      matchRule: a.matchRule,
      ...causeColumns(a.cause),
    });
  }
  const paid = invoice.amountPaid + allocated;
  const settled = paid + invoice.amountWrittenOff >= invoice.total;
  await tx
    .update(invoices)
    .set({
      amountPaid: paid,
      status: invoice.status === 'void' ? 'void' : settled ? 'paid' : paid > 0 ? 'partially_paid' : 'open',
      updatedAt: sql`now()`,
    })
    .where(eq(invoices.invoiceNumber, a.invoiceNumber));
  await tx
    .update(payments)
    .set({
      amountAllocated: payment.amountAllocated + allocated,
      // what is not on the invoice went to customer credit: nothing is left to match
      status: credited + allocated === unallocated ? 'allocated' : 'partially_allocated',
      customerId,
      updatedAt: sql`now()`,
    })
    .where(eq(payments.paymentId, a.paymentId));

  const entry = await postJournalEntry(tx, {
    idempotencyKey: key,
    description: `Payment ${a.paymentId} for invoice ${a.invoiceNumber}`,
    currency: invoice.currency,
    cause: a.cause,
    lines: [
      {
        account: ACCOUNT_CODES.cash,
        debit: allocated + credited,
        paymentId: a.paymentId,
        orderId: invoice.orderId,
      },
      {
        account: ACCOUNT_CODES.accountsReceivable,
        credit: allocated,
        paymentId: a.paymentId,
        invoiceNumber: a.invoiceNumber,
        orderId: invoice.orderId,
      },
      {
        account: ACCOUNT_CODES.customerCredit,
        credit: credited,
        paymentId: a.paymentId,
        orderId: invoice.orderId,
        memo: `credit of customer ${customerId}`,
      },
    ],
  });
  const base = {
    paymentId: a.paymentId,
    invoiceNumber: a.invoiceNumber,
    orderId: invoice.orderId,
    customerId,
    currency: invoice.currency,
  };
  await appendOutbox(tx, {
    aggregateType: 'payment',
    aggregateId: a.paymentId,
    type: 'payment.allocated',
    payload: {
      ...base,
      amount: allocated,
      matchRule: a.matchRule,
      invoiceOutstanding: invoice.total - paid - invoice.amountWrittenOff,
    },
    idempotencyKey: `payment.allocated/${a.paymentId}/${a.invoiceNumber}`,
    cause: a.cause,
  });
  if (credited > 0) {
    await appendOutbox(tx, {
      aggregateType: 'customer',
      aggregateId: customerId,
      type: 'customer.credit_added',
      payload: { ...base, amount: credited },
      idempotencyKey: `customer.credit_added/${a.paymentId}/${a.invoiceNumber}`,
      cause: a.cause,
    });
  }
  return {
    paymentId: a.paymentId,
    invoiceNumber: a.invoiceNumber,
    allocated,
    credited,
    invoicePaid: paid,
    invoiceOutstanding: invoice.total - paid - invoice.amountWrittenOff,
    journalEntryId: entry.id,
    repeated: false,
  };
}

/**
 * Serialises reconciliation's decision on a payment whose reference names an order with that
 * order's claim of such payments after it invoices (a transaction-scoped advisory lock): either
 * the payment is committed before the claim reads, or the invoice is visible to the decision.
 */
export async function lockOrderPayments(tx: Tx, orderId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`order-payments/${orderId}`}, 0))`);
}
