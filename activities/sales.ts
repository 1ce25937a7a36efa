/**
 * Order-to-cash activities: the order's rows, its stock reservations, invoice, payments, dunning,
 * shipment and the compensations of a cancellation. Each is idempotent: a retry finds what the first
 * attempt committed (unique keys: the order, its invoice, (order, sku) reservations, journal entry
 * keys, outbox keys, task keys) and answers the same. Stock changes notify the SKU's workflow.
 */
import { causeColumns, type Cause } from '../db/schema/columns';
import { signalWithStartKeyed } from '../lib/temporal';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import {
  ACCOUNT_CODES,
  creditNotes,
  customers,
  invoiceLines,
  invoices,
  journalEntries,
  paymentAllocations,
  payments,
  refunds,
  reservations,
  salesOrderLines,
  salesOrders,
  stockLevels,
  stockMovements,
  type ReservationStatus,
  type SalesOrderStatus,
} from '../db/schema';
import { appendOutbox } from '../db/queries/outbox';
import { openTask } from '../db/queries/crm';
import { contactLimit, decideContact } from '../db/queries/contacts';
import { postJournalEntry, reverseJournalEntry } from '../db/queries/ledger';
import { allocatePayment, lockOrderPayments, recordPayment } from '../db/queries/receivables';
import { syncOrderPaid } from '../db/queries/reconciliation';
import { inventoryWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../domain/names';
import { stockLevelChangedSignal, type EventRef, type StockLevelChanged } from '../domain/inventory';
import type { OutboundEventType } from '../domain/events/outbound';
import {
  creditNoteNumberFor,
  invoiceNumberFor,
  lineTax,
  orderIdFromReference,
  refundIdFor,
  type CancelOutcome,
  type OrderWorkflowInput,
  type PaymentReceived,
} from '../domain/sales';
import type { ActivityDeps } from './index';

/** The CloudEvents-style source of rows the order workflow causes itself (stock movements). */
export const ORDER_WORKFLOW_SOURCE = 'erp-temporal/order';

export interface AcceptedOrder {
  subtotal: number;
  tax: number;
  total: number;
  creditLimit: number;
  openReceivables: number;
  /** Open receivables + this order's total exceed a non-zero credit limit. */
  overCreditLimit: boolean;
}

export interface ReservationResult {
  lines: { sku: string; wanted: number; reserved: number }[];
  complete: boolean;
  reservedAny: boolean;
}

export interface IssuedInvoice {
  invoiceNumber: string;
  subtotal: number;
  tax: number;
  total: number;
  issuedOn: string;
  dueDate: string;
  issuedAt: string;
}

export interface PaymentApplied {
  paymentId: string;
  allocated: number;
  credited: number;
  /** The order's paid amount and what is still due after this payment. */
  paid: number;
  due: number;
}

const causeOf = (c: EventRef): Cause => ({ source: c.source, id: c.id, correlationId: c.correlationId });

const isoDate = (d: Date): string => d.toISOString().slice(0, 10);
const addDays = (date: string, days: number): string => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return isoDate(d);
};

async function loadOrder(tx: Tx, orderId: string, lock = false) {
  const q = tx.select().from(salesOrders).where(eq(salesOrders.orderId, orderId));
  const [row] = lock ? await q.for('update') : await q;
  if (!row) throw ApplicationFailure.nonRetryable(`order ${orderId} not found`, 'OrderNotFound');
  return row;
}

async function orderEvent(
  tx: Tx,
  orderId: string,
  type: OutboundEventType,
  payload: Record<string, unknown>,
  cause: Cause,
  key = `${type}/${orderId}`,
): Promise<void> {
  await appendOutbox(tx, {
    aggregateType: 'order',
    aggregateId: orderId,
    type,
    payload: { orderId, ...payload },
    idempotencyKey: key,
    cause,
  });
}

/** An order's reservations in one status, by SKU. */
function reservationsOf(tx: Tx, orderId: string, status: ReservationStatus) {
  return tx
    .select()
    .from(reservations)
    .where(and(eq(reservations.orderId, orderId), eq(reservations.status, status)))
    .orderBy(asc(reservations.sku));
}

async function setStatus(tx: Tx, orderId: string, status: SalesOrderStatus, reason?: string): Promise<void> {
  await tx
    .update(salesOrders)
    .set({ status, ...(reason !== undefined ? { statusReason: reason } : {}), updatedAt: sql`now()` })
    .where(eq(salesOrders.orderId, orderId));
}

/** Quantity wanted per SKU (an order may name a SKU on several lines), in line order. */
async function wantedBySku(tx: Tx, orderId: string): Promise<Map<string, number>> {
  const lines = await tx
    .select()
    .from(salesOrderLines)
    .where(eq(salesOrderLines.orderId, orderId))
    .orderBy(asc(salesOrderLines.lineNo));
  const wanted = new Map<string, number>();
  for (const l of lines) wanted.set(l.sku, (wanted.get(l.sku) ?? 0) + l.quantity);
  return wanted;
}

export function createSalesActivities({ db, settings, taskQueuePrefix }: ActivityDeps) {
  /**
   * Tells each SKU's workflow its stock row changed (signal-with-start). Sent on every attempt, not
   * only the first: a duplicate makes the SKU's workflow re-read stock, which is harmless.
   */
  async function notifySkus(skus: string[], reason: StockLevelChanged['reason'], cause: EventRef) {
    if (skus.length === 0) return;
    const client = Context.current().client;
    const taskQueue = workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.inventoryItem);
    for (const sku of [...new Set(skus)]) {
      await signalWithStartKeyed(client, {
        type: WORKFLOW_TYPES.inventoryItem,
        workflowId: inventoryWorkflowId(sku),
        taskQueue,
        args: [{ sku }],
        signal: stockLevelChangedSignal,
        signalArgs: [{ sku, reason, cause }],
      });
    }
  }

  return {
    /**
     * Stores the order and its lines (tax per line, half-even) once, and answers the credit check:
     * the customer's open receivables plus this order's total against the credit limit (0 = none).
     * An unknown customer is a business-rule failure (UnknownCustomer, not retried).
     */
    async acceptOrder(input: OrderWorkflowInput, taxRateBps: number): Promise<AcceptedOrder> {
      const { order } = input;
      const cause = causeOf(input.cause);
      return db.transaction(async (tx) => {
        const [customer] = await tx
          .select()
          .from(customers)
          .where(eq(customers.customerId, order.customerId));
        if (!customer) {
          throw ApplicationFailure.nonRetryable(`unknown customer ${order.customerId}`, 'UnknownCustomer');
        }
        const lines = order.lines.map((l, i) => ({
          lineNo: i + 1,
          sku: l.sku,
          quantity: l.quantity,
          unitPrice: l.unitPrice,
          lineTotal: l.quantity * l.unitPrice,
        }));
        const subtotal = lines.reduce((s, l) => s + l.lineTotal, 0);
        const tax = lines.reduce((s, l) => s + lineTax(l.lineTotal, taxRateBps), 0);
        const inserted = await tx
          .insert(salesOrders)
          .values({
            orderId: order.orderId,
            customerId: order.customerId,
            currency: order.currency,
            subtotal,
            tax,
            total: subtotal + tax,
            paymentTermsDays: order.paymentTerms.netDays,
            backorderPolicy: order.backorderPolicy ?? 'ship_available',
            workflowId: Context.current().info.workflowExecution?.workflowId ?? null,
            ...causeColumns(cause),
          })
          .onConflictDoNothing({ target: salesOrders.orderId })
          .returning({ orderId: salesOrders.orderId });
        if (inserted.length > 0) {
          await tx
            .insert(salesOrderLines)
            .values(lines.map((l) => ({ ...l, orderId: order.orderId, currency: order.currency })));
        }
        const row = await loadOrder(tx, order.orderId);
        await orderEvent(
          tx,
          order.orderId,
          'order.accepted',
          {
            customerId: row.customerId,
            currency: row.currency,
            subtotal: row.subtotal,
            tax: row.tax,
            total: row.total,
          },
          cause,
        );
        if (row.total >= settings.crm.highValueOrderAmount) {
          // sales looks after a high-value order (a task, not a customer contact)
          await openTask(tx, {
            taskKey: `high-value-order/${row.orderId}`,
            type: 'high_value_order',
            title: `High-value order ${row.orderId}: ${row.total} ${row.currency} (minor units)`,
            customerId: row.customerId,
            orderId: row.orderId,
            assignee: settings.crm.salesAssignee,
            cause,
          });
        }
        const [open] = await tx
          .select({
            amount: sql<string>`coalesce(sum(${invoices.total} - ${invoices.amountPaid} - ${invoices.amountWrittenOff}), 0)`,
          })
          .from(invoices)
          .where(
            and(
              eq(invoices.customerId, row.customerId),
              inArray(invoices.status, ['open', 'partially_paid']),
              ne(invoices.orderId, row.orderId),
            ),
          );
        const openReceivables = Number(open?.amount ?? 0);
        const creditLimit = customer.creditLimit;
        return {
          subtotal: row.subtotal,
          tax: row.tax,
          total: row.total,
          creditLimit,
          openReceivables,
          overCreditLimit: creditLimit > 0 && openReceivables + row.total > creditLimit,
        };
      });
    },

    /** An order that cannot be stored (unknown customer): announces order.cancelled, once. */
    async rejectOrder(input: OrderWorkflowInput, reason: string): Promise<void> {
      await db.transaction(async (tx) => {
        await orderEvent(
          tx,
          input.order.orderId,
          'order.cancelled',
          { customerId: input.order.customerId, reason },
          causeOf(input.cause),
        );
      });
    },

    /** Moves the order to a status and announces it (once per event key). */
    async markOrder(a: {
      orderId: string;
      status: SalesOrderStatus;
      event?: OutboundEventType;
      payload?: Record<string, unknown>;
      reason?: string;
      cause: EventRef;
      eventKey?: string;
    }): Promise<void> {
      await db.transaction(async (tx) => {
        await loadOrder(tx, a.orderId, true);
        await setStatus(tx, a.orderId, a.status, a.reason);
        if (a.event) await orderEvent(tx, a.orderId, a.event, a.payload ?? {}, causeOf(a.cause), a.eventKey);
      });
    },

    /**
     * Reserves what is available for every SKU of the order, up to what it still lacks (one row per
     * (order, SKU), raised in place), so repeating it reserves nothing twice. Answers what each SKU
     * wanted and holds now.
     */
    async reserveStock(a: { orderId: string; cause: EventRef }): Promise<ReservationResult> {
      const result = await db.transaction(async (tx) => {
        await loadOrder(tx, a.orderId, true);
        const wanted = await wantedBySku(tx, a.orderId);
        const lines: ReservationResult['lines'] = [];
        for (const [sku, want] of [...wanted.entries()].sort(([x], [y]) => x.localeCompare(y))) {
          await tx.insert(stockLevels).values({ sku }).onConflictDoNothing();
          const [level] = await tx.select().from(stockLevels).where(eq(stockLevels.sku, sku)).for('update');
          const [held] = await tx
            .select()
            .from(reservations)
            .where(and(eq(reservations.orderId, a.orderId), eq(reservations.sku, sku)));
          const have = held?.status === 'reserved' ? held.quantity : 0;
          const available = (level?.onHand ?? 0) - (level?.reserved ?? 0);
          const take = Math.max(0, Math.min(want - have, available));
          if (take > 0) {
            await tx
              .update(stockLevels)
              .set({ reserved: sql`${stockLevels.reserved} + ${take}`, updatedAt: sql`now()` })
              .where(eq(stockLevels.sku, sku));
            if (held) {
              await tx
                .update(reservations)
                .set({ quantity: have + take, updatedAt: sql`now()` })
                .where(eq(reservations.id, held.id));
            } else {
              await tx.insert(reservations).values({
                orderId: a.orderId,
                sku,
                quantity: take,
                causationSource: a.cause.source,
                causationId: a.cause.id,
                correlationId: a.cause.correlationId,
              });
            }
          }
          lines.push({ sku, wanted: want, reserved: have + take });
        }
        if (lines.some((l) => l.reserved < l.wanted)) {
          await setStatus(tx, a.orderId, 'backordered');
          await orderEvent(tx, a.orderId, 'order.backordered', { lines }, causeOf(a.cause));
        } else {
          await setStatus(tx, a.orderId, 'reserving');
        }
        return lines;
      });
      await notifySkus(
        result.filter((l) => l.reserved > 0).map((l) => l.sku),
        'reserved',
        a.cause,
      );
      return {
        lines: result,
        complete: result.every((l) => l.reserved >= l.wanted),
        reservedAny: result.some((l) => l.reserved > 0),
      };
    },

    /** Gives back every stock reservation of the order still held (compensation); answers what it gave back. */
    async releaseReservations(a: {
      orderId: string;
      cause: EventRef;
    }): Promise<{ sku: string; quantity: number }[]> {
      const released = await db.transaction(async (tx) => {
        const held = await reservationsOf(tx, a.orderId, 'reserved');
        for (const r of held) {
          await tx.select().from(stockLevels).where(eq(stockLevels.sku, r.sku)).for('update');
          await tx
            .update(stockLevels)
            .set({ reserved: sql`${stockLevels.reserved} - ${r.quantity}`, updatedAt: sql`now()` })
            .where(eq(stockLevels.sku, r.sku));
          await tx
            .update(reservations)
            .set({ status: 'released', updatedAt: sql`now()` })
            .where(eq(reservations.id, r.id));
        }
        // a retry after commit finds nothing held: answer what the first attempt released
        const all = await reservationsOf(tx, a.orderId, 'released');
        return all.map((r) => ({ sku: r.sku, quantity: r.quantity }));
      });
      await notifySkus(
        released.map((r) => r.sku),
        'released',
        a.cause,
      );
      return released;
    },

    /**
     * Issues the order's one invoice for what is reserved (all lines, or what is available under
     * ship_available), tax per line half-even, due date = issue date + net days; posts Dr receivables
     * / Cr revenue, Cr tax payable. A second call answers the invoice issued before.
     */
    async issueInvoice(a: { orderId: string; taxRateBps: number; cause: EventRef }): Promise<IssuedInvoice> {
      const invoiceNumber = invoiceNumberFor(a.orderId);
      const cause = causeOf(a.cause);
      return db.transaction(async (tx) => {
        const order = await loadOrder(tx, a.orderId, true);
        const [prior] = await tx.select().from(invoices).where(eq(invoices.invoiceNumber, invoiceNumber));
        if (prior) {
          return {
            invoiceNumber,
            subtotal: prior.subtotal,
            tax: prior.tax,
            total: prior.total,
            issuedOn: prior.issuedOn,
            dueDate: prior.dueDate,
            issuedAt: prior.createdAt.toISOString(),
          };
        }
        const orderLines = await tx
          .select()
          .from(salesOrderLines)
          .where(eq(salesOrderLines.orderId, a.orderId))
          .orderBy(asc(salesOrderLines.lineNo));
        const held = await reservationsOf(tx, a.orderId, 'reserved');
        const left = new Map(held.map((r) => [r.sku, r.quantity]));
        const lines: (typeof invoiceLines.$inferInsert)[] = [];
        for (const l of orderLines) {
          const quantity = Math.min(l.quantity, left.get(l.sku) ?? 0);
          if (quantity <= 0) continue;
          left.set(l.sku, (left.get(l.sku) ?? 0) - quantity);
          const lineTotal = quantity * l.unitPrice;
          lines.push({
            invoiceNumber,
            lineNo: lines.length + 1,
            sku: l.sku,
            quantity,
            unitPrice: l.unitPrice,
            lineTotal,
            tax: lineTax(lineTotal, a.taxRateBps),
            currency: order.currency,
          });
        }
        if (lines.length === 0) {
          throw ApplicationFailure.nonRetryable(
            `order ${a.orderId} has nothing reserved to invoice`,
            'NothingToInvoice',
          );
        }
        const subtotal = lines.reduce((s, l) => s + l.lineTotal, 0);
        const tax = lines.reduce((s, l) => s + (l.tax ?? 0), 0);
        const total = subtotal + tax;
        const now = new Date();
        const issuedOn = isoDate(now);
        const dueDate = addDays(issuedOn, order.paymentTermsDays);
        await tx.insert(invoices).values({
          invoiceNumber,
          orderId: a.orderId,
          customerId: order.customerId,
          currency: order.currency,
          subtotal,
          tax,
          total,
          // nothing to pay: settled as issued
          status: total === 0 ? 'paid' : 'open',
          issuedOn,
          dueDate,
          ...causeColumns(cause),
          createdAt: now,
          updatedAt: now,
        });
        await tx.insert(invoiceLines).values(lines);
        // the order bills what ships: under ship_available it may be less than ordered
        await tx
          .update(salesOrders)
          .set({ subtotal, tax, total, status: 'invoiced', updatedAt: sql`now()` })
          .where(eq(salesOrders.orderId, a.orderId));
        await postJournalEntry(tx, {
          idempotencyKey: `invoice/${invoiceNumber}`,
          description: `Invoice ${invoiceNumber}`,
          currency: order.currency,
          occurredAt: now,
          cause,
          lines: [
            { account: ACCOUNT_CODES.accountsReceivable, debit: total, invoiceNumber, orderId: a.orderId },
            { account: ACCOUNT_CODES.revenue, credit: subtotal, invoiceNumber, orderId: a.orderId },
            { account: ACCOUNT_CODES.taxPayable, credit: tax, invoiceNumber, orderId: a.orderId },
          ],
        });
        await orderEvent(
          tx,
          a.orderId,
          'order.invoiced',
          { invoiceNumber, currency: order.currency, subtotal, tax, total, issuedOn, dueDate },
          cause,
        );
        return { invoiceNumber, subtotal, tax, total, issuedOn, dueDate, issuedAt: now.toISOString() };
      });
    },

    /**
     * The order's invoice as reconciliation left it: paid, written off, and the customer credit its
     * payments created (net of reversals); the order row follows (see syncOrderPaid).
     */
    async readSettlement(a: {
      orderId: string;
    }): Promise<{ paid: number; writtenOff: number; credit: number }> {
      return db.transaction(async (tx) => {
        const order = await loadOrder(tx, a.orderId);
        await syncOrderPaid(tx, a.orderId, { correlationId: order.correlationId ?? a.orderId });
        const [invoice] = await tx
          .select()
          .from(invoices)
          .where(eq(invoices.invoiceNumber, invoiceNumberFor(a.orderId)));
        const { rows } = await tx.execute<{ credit: string }>(sql`
          select coalesce(sum(l.credit - l.debit), 0)::text as credit
            from journal_lines l join journal_entries e on e.id = l.entry_id
           where l.order_id = ${a.orderId} and l.account_code = ${ACCOUNT_CODES.customerCredit}
             and e.idempotency_key like 'payment/%'`);
        return {
          paid: invoice?.amountPaid ?? 0,
          writtenOff: invoice?.amountWrittenOff ?? 0,
          credit: Number(rows[0]?.credit ?? 0),
        };
      });
    },

    /**
     * Payments that came before their order (out of order): received, left unallocated by
     * reconciliation because no order or invoice existed yet, whose reference names this order's
     * invoice, from the order's customer, in its currency, never reviewed. The order applies them
     * like a payment handed over to it (`applyPayment`, match rule `reference`). Reads only.
     */
    async claimPrepaidPayments(a: { orderId: string }): Promise<PaymentReceived[]> {
      const invoiceNumber = invoiceNumberFor(a.orderId);
      const [order] = await db.select().from(salesOrders).where(eq(salesOrders.orderId, a.orderId));
      if (!order) return [];
      const rows = await db.transaction(async (tx) => {
        await lockOrderPayments(tx, a.orderId);
        return tx
          .select()
          .from(payments)
          .where(
            and(
              eq(payments.customerId, order.customerId),
              eq(payments.currency, order.currency),
              eq(payments.status, 'unallocated'),
              eq(payments.amountAllocated, 0),
              sql`${payments.reviewedAt} is null`,
              sql`strpos(${payments.reference}, ${invoiceNumber}) > 0`,
            ),
          )
          .orderBy(asc(payments.receivedAt), asc(payments.paymentId));
      });
      return rows
        .filter((p) => orderIdFromReference(p.reference) === a.orderId)
        .map((p) => ({
          paymentId: p.paymentId,
          amount: p.amount,
          currency: p.currency,
          customerId: order.customerId,
          ...(p.payerName ? { payerName: p.payerName } : {}),
          ...(p.reference ? { reference: p.reference } : {}),
          receivedAt: p.receivedAt.toISOString(),
          method: p.method,
          cause: {
            source: p.causationSource ?? 'erp/reconciliation',
            id: p.causationId ?? `payment-${p.paymentId}`,
            correlationId: p.correlationId,
          },
        }));
    },

    /**
     * Records one payment for the order's invoice: the payment row, its allocation (match rule
     * 'reference'), Dr cash / Cr receivables, and any excess as customer credit (Dr cash / Cr
     * customer credit). The order's paid amount follows; paid in full announces order.paid.
     */
    async applyPayment(a: { orderId: string; payment: PaymentReceived }): Promise<PaymentApplied> {
      const p = a.payment;
      const cause = causeOf(p.cause);
      const invoiceNumber = invoiceNumberFor(a.orderId);
      return db.transaction(async (tx) => {
        const order = await loadOrder(tx, a.orderId, true);
        if (p.currency !== order.currency) {
          throw ApplicationFailure.nonRetryable(
            `payment ${p.paymentId} is in ${p.currency}, order ${a.orderId} in ${order.currency}`,
            'CurrencyMismatch',
          );
        }
        await recordPayment(tx, { ...p, customerId: p.customerId ?? order.customerId, cause });
        const result = await allocatePayment(tx, {
          paymentId: p.paymentId,
          invoiceNumber,
          matchRule: 'reference',
          overpaymentToCredit: true,
          cause,
        });
        const [invoice] = await tx.select().from(invoices).where(eq(invoices.invoiceNumber, invoiceNumber));
        const paid = invoice?.amountPaid ?? 0;
        const due = order.total - paid;
        if (!result.repeated) {
          await tx
            .update(salesOrders)
            .set({
              amountPaid: paid,
              status: due <= 0 ? 'paid' : order.status === 'invoiced' ? 'partially_paid' : order.status,
              updatedAt: sql`now()`,
            })
            .where(eq(salesOrders.orderId, a.orderId));
          if (due <= 0) {
            await orderEvent(tx, a.orderId, 'order.paid', { invoiceNumber, total: order.total, paid }, cause);
          }
        }
        return { paymentId: p.paymentId, allocated: result.allocated, credited: result.credited, paid, due };
      });
    },

    /**
     * A dunning level reached while the invoice is unpaid: the invoice's level, a
     * dunning.level_reached event and, from level 2, a CRM task for the customer (once per level).
     * The reminder is a customer contact (kind `dunning`) under the contact budget: sent without
     * consent (a contractual notice), but never in the customer's quiet hours nor over a configured
     * `crm.contactLimits.dunning` cap; then nothing is written and `deferredUntil` says when to try.
     */
    async sendDunning(a: {
      orderId: string;
      level: number;
      cause: EventRef;
    }): Promise<{ outstanding: number; deferredUntil?: string }> {
      const invoiceNumber = invoiceNumberFor(a.orderId);
      const cause = causeOf(a.cause);
      return db.transaction(async (tx) => {
        const [invoice] = await tx
          .select()
          .from(invoices)
          .where(eq(invoices.invoiceNumber, invoiceNumber))
          .for('update');
        if (!invoice)
          throw ApplicationFailure.nonRetryable(`invoice ${invoiceNumber} not found`, 'InvoiceNotFound');
        const outstanding = invoice.total - invoice.amountPaid - invoice.amountWrittenOff;
        const limit = contactLimit(settings, 'dunning');
        const contact = await decideContact(tx, {
          customerId: invoice.customerId,
          kind: 'dunning',
          contactKey: `dunning/${invoiceNumber}/${a.level}`,
          now: new Date(),
          limit,
          requireConsent: false,
          cause,
        });
        if (contact.outcome === 'deferred') return { outstanding, deferredUntil: contact.until };
        if (contact.outcome === 'blocked') {
          // only a dunning cap blocks (consent is not needed and the invoice's customer exists): try
          // again when a contact leaves the period, or a period from now for a cap of 0
          const retryAt =
            contact.nextAllowedAt ?? new Date(Date.now() + (limit?.periodMs ?? 0)).toISOString();
          return { outstanding, deferredUntil: retryAt };
        }
        if (invoice.dunningLevel < a.level) {
          await tx
            .update(invoices)
            .set({ dunningLevel: a.level, lastDunnedAt: sql`now()`, updatedAt: sql`now()` })
            .where(eq(invoices.invoiceNumber, invoiceNumber));
        }
        await appendOutbox(tx, {
          aggregateType: 'invoice',
          aggregateId: invoiceNumber,
          type: 'dunning.level_reached',
          payload: {
            invoiceNumber,
            orderId: a.orderId,
            customerId: invoice.customerId,
            level: a.level,
            outstanding,
            currency: invoice.currency,
            dueDate: invoice.dueDate,
            collections: a.level >= 3,
          },
          idempotencyKey: `dunning.level_reached/${invoiceNumber}/${a.level}`,
          cause,
        });
        if (a.level >= 2) {
          await openTask(tx, {
            taskKey: `dunning-${a.level}/${invoiceNumber}`,
            type: a.level >= 3 ? 'dunning_final_notice' : 'dunning_call',
            title: `Dunning level ${a.level}: ${invoiceNumber} has ${outstanding} ${invoice.currency} outstanding`,
            customerId: invoice.customerId,
            orderId: a.orderId,
            cause,
          });
        }
        return { outstanding };
      });
    },

    /** Ships what is reserved: each reservation becomes a stock movement out (once per (order, SKU)); order.shipped. */
    async shipOrder(a: { orderId: string; cause: EventRef }): Promise<{ sku: string; quantity: number }[]> {
      const cause = causeOf(a.cause);
      const shipped = await db.transaction(async (tx) => {
        await loadOrder(tx, a.orderId, true);
        const held = await reservationsOf(tx, a.orderId, 'reserved');
        for (const r of held) {
          const [level] = await tx.select().from(stockLevels).where(eq(stockLevels.sku, r.sku)).for('update');
          const onHandAfter = (level?.onHand ?? 0) - r.quantity;
          await tx
            .update(stockLevels)
            .set({
              onHand: onHandAfter,
              reserved: sql`${stockLevels.reserved} - ${r.quantity}`,
              updatedAt: sql`now()`,
            })
            .where(eq(stockLevels.sku, r.sku));
          await tx.insert(stockMovements).values({
            sku: r.sku,
            delta: -r.quantity,
            onHandAfter,
            reason: `shipped for order ${a.orderId}`,
            causationSource: ORDER_WORKFLOW_SOURCE,
            causationId: `${a.orderId}/ship/${r.sku}`,
            correlationId: cause.correlationId,
          });
          await tx
            .update(reservations)
            .set({ status: 'shipped', updatedAt: sql`now()` })
            .where(eq(reservations.id, r.id));
        }
        const all = await reservationsOf(tx, a.orderId, 'shipped');
        const lines = all.map((r) => ({ sku: r.sku, quantity: r.quantity }));
        await setStatus(tx, a.orderId, 'shipped');
        await orderEvent(tx, a.orderId, 'order.shipped', { lines }, cause);
        return lines;
      });
      await notifySkus(
        shipped.map((s) => s.sku),
        'shipped',
        a.cause,
      );
      return shipped;
    },

    /** The carrier confirmed the shipment: the order is completed (order.completed). */
    async completeOrder(a: {
      orderId: string;
      shipmentId: string;
      carrier?: string;
      trackingNumber?: string;
      shippedAt: string;
      cause: EventRef;
    }): Promise<void> {
      await db.transaction(async (tx) => {
        await loadOrder(tx, a.orderId, true);
        await setStatus(tx, a.orderId, 'completed');
        await orderEvent(
          tx,
          a.orderId,
          'order.completed',
          {
            shipmentId: a.shipmentId,
            carrier: a.carrier,
            trackingNumber: a.trackingNumber,
            shippedAt: a.shippedAt,
          },
          causeOf(a.cause),
        );
      });
    },

    /**
     * Compensation: pays back every payment the order's invoice captured, in full (its allocation and
     * any customer credit it created): Dr receivables / Dr customer credit / Cr cash, allocation
     * reversed, payment refunded, payment.refunded announced. Once per (order, payment).
     */
    async refundPayments(a: {
      orderId: string;
      reason: string;
      cause: EventRef;
      /** Payments received before there was an invoice: recorded as customer credit, then refunded. */
      prepaid?: PaymentReceived[];
    }): Promise<CancelOutcome['refunds']> {
      const invoiceNumber = invoiceNumberFor(a.orderId);
      const cause = causeOf(a.cause);
      return db.transaction(async (tx) => {
        const order = await loadOrder(tx, a.orderId, true);
        const [invoice] = await tx
          .select()
          .from(invoices)
          .where(eq(invoices.invoiceNumber, invoiceNumber))
          .for('update');
        for (const p of a.prepaid ?? []) {
          if (p.currency !== order.currency) continue;
          const pc = causeOf(p.cause);
          await recordPayment(tx, { ...p, customerId: p.customerId ?? order.customerId, cause: pc });
          await postJournalEntry(tx, {
            idempotencyKey: `payment/${p.paymentId}/prepaid/${a.orderId}`,
            description: `Payment ${p.paymentId} for order ${a.orderId} before its invoice`,
            currency: order.currency,
            cause: pc,
            lines: [
              { account: ACCOUNT_CODES.cash, debit: p.amount, paymentId: p.paymentId, orderId: a.orderId },
              {
                account: ACCOUNT_CODES.customerCredit,
                credit: p.amount,
                paymentId: p.paymentId,
                orderId: a.orderId,
                memo: `credit of customer ${order.customerId}`,
              },
            ],
          });
        }
        // payments whose journal entries name this order: allocated to its invoice, or credited for it,
        // net of allocations reconciliation reversed (`payment/<id>/<invoice>/reversal/<n>`)
        const entries = await tx.execute<{ payment_id: string; receivable: string; credit: string }>(sql`
          select l.payment_id,
                 coalesce(sum(l.credit - l.debit) filter (where l.account_code = ${ACCOUNT_CODES.accountsReceivable}), 0) as receivable,
                 coalesce(sum(l.credit - l.debit) filter (where l.account_code = ${ACCOUNT_CODES.customerCredit}), 0) as credit
            from journal_lines l join journal_entries e on e.id = l.entry_id
           where l.order_id = ${a.orderId} and l.payment_id is not null
             and e.idempotency_key like 'payment/%'
           group by l.payment_id order by l.payment_id`);
        const done: CancelOutcome['refunds'] = [];
        let returnedToInvoice = 0;
        for (const row of entries.rows) {
          const receivable = Number(row.receivable);
          const credit = Number(row.credit);
          const amount = receivable + credit;
          if (amount <= 0) continue;
          const refundId = refundIdFor(a.orderId, row.payment_id);
          const [prior] = await tx.select().from(refunds).where(eq(refunds.refundId, refundId));
          if (prior) {
            done.push({ refundId, paymentId: row.payment_id, amount: prior.amount });
            continue;
          }
          const entry = await postJournalEntry(tx, {
            idempotencyKey: `refund/${refundId}`,
            description: `Refund ${refundId} of payment ${row.payment_id}: ${a.reason}`,
            currency: order.currency,
            cause,
            lines: [
              {
                account: ACCOUNT_CODES.accountsReceivable,
                debit: receivable,
                paymentId: row.payment_id,
                invoiceNumber,
                orderId: a.orderId,
              },
              {
                account: ACCOUNT_CODES.customerCredit,
                debit: credit,
                paymentId: row.payment_id,
                orderId: a.orderId,
              },
              { account: ACCOUNT_CODES.cash, credit: amount, paymentId: row.payment_id, orderId: a.orderId },
            ],
          });
          await tx.insert(refunds).values({
            refundId,
            paymentId: row.payment_id,
            orderId: a.orderId,
            amount,
            currency: order.currency,
            reason: a.reason,
            journalEntryId: entry.id,
            ...causeColumns(cause),
          });
          await tx
            .update(paymentAllocations)
            .set({
              status: 'reversed',
              reversalReason: a.reason,
              reversedAt: sql`now()`,
              updatedAt: sql`now()`,
            })
            .where(
              and(
                eq(paymentAllocations.paymentId, row.payment_id),
                eq(paymentAllocations.invoiceNumber, invoiceNumber),
                eq(paymentAllocations.status, 'active'),
              ),
            );
          await tx
            .update(payments)
            .set({
              status: 'refunded',
              amountAllocated: sql`${payments.amountAllocated} - ${receivable}`,
              updatedAt: sql`now()`,
            })
            .where(eq(payments.paymentId, row.payment_id));
          returnedToInvoice += receivable;
          await appendOutbox(tx, {
            aggregateType: 'payment',
            aggregateId: row.payment_id,
            type: 'payment.refunded',
            payload: {
              paymentId: row.payment_id,
              refundId,
              orderId: a.orderId,
              amount,
              currency: order.currency,
              reason: a.reason,
              refundedAt: new Date().toISOString(),
            },
            idempotencyKey: `payment.refunded/${refundId}`,
            cause,
          });
          done.push({ refundId, paymentId: row.payment_id, amount });
        }
        if (invoice && returnedToInvoice > 0) {
          await tx
            .update(invoices)
            .set({ amountPaid: invoice.amountPaid - returnedToInvoice, updatedAt: sql`now()` })
            .where(eq(invoices.invoiceNumber, invoiceNumber));
          await tx
            .update(salesOrders)
            .set({ amountPaid: sql`${salesOrders.amountPaid} - ${returnedToInvoice}`, updatedAt: sql`now()` })
            .where(eq(salesOrders.orderId, a.orderId));
        }
        return done;
      });
    },

    /**
     * Compensation: voids the order's invoice with a credit note for its whole amount and the entry
     * reversing the invoice's posting (Dr revenue, Dr tax payable / Cr receivables); invoice.voided.
     */
    async voidInvoice(a: {
      orderId: string;
      reason: string;
      cause: EventRef;
    }): Promise<CancelOutcome['creditNote']> {
      const invoiceNumber = invoiceNumberFor(a.orderId);
      const creditNoteNumber = creditNoteNumberFor(a.orderId);
      const cause = causeOf(a.cause);
      return db.transaction(async (tx) => {
        const [invoice] = await tx
          .select()
          .from(invoices)
          .where(eq(invoices.invoiceNumber, invoiceNumber))
          .for('update');
        if (!invoice) return null;
        const [prior] = await tx
          .select()
          .from(creditNotes)
          .where(eq(creditNotes.creditNoteNumber, creditNoteNumber));
        if (prior) return { creditNoteNumber, invoiceNumber, total: prior.total };
        const [posting] = await tx
          .select()
          .from(journalEntries)
          .where(eq(journalEntries.idempotencyKey, `invoice/${invoiceNumber}`));
        // an invoice of nothing (total 0) posted nothing, so there is nothing to reverse
        if (!posting && invoice.total > 0) throw new Error(`invoice ${invoiceNumber} has no journal entry`);
        const reversal = posting
          ? await reverseJournalEntry(tx, posting.id, {
              idempotencyKey: `credit-note/${creditNoteNumber}`,
              description: `Credit note ${creditNoteNumber} voiding ${invoiceNumber}: ${a.reason}`,
              cause,
            })
          : { id: null };
        await tx.insert(creditNotes).values({
          creditNoteNumber,
          invoiceNumber,
          orderId: a.orderId,
          customerId: invoice.customerId,
          currency: invoice.currency,
          subtotal: invoice.subtotal,
          tax: invoice.tax,
          total: invoice.total,
          reason: a.reason,
          journalEntryId: reversal.id,
          ...causeColumns(cause),
        });
        await tx
          .update(invoices)
          .set({ status: 'void', updatedAt: sql`now()` })
          .where(eq(invoices.invoiceNumber, invoiceNumber));
        await appendOutbox(tx, {
          aggregateType: 'invoice',
          aggregateId: invoiceNumber,
          type: 'invoice.voided',
          payload: {
            invoiceNumber,
            orderId: a.orderId,
            creditNoteNumber,
            total: invoice.total,
            currency: invoice.currency,
            reason: a.reason,
          },
          idempotencyKey: `invoice.voided/${invoiceNumber}`,
          cause,
        });
        return { creditNoteNumber, invoiceNumber, total: invoice.total };
      });
    },

    /** The order is cancelled: status, reason and order.cancelled with what the compensations did. */
    async markCancelled(a: { orderId: string; outcome: CancelOutcome; cause: EventRef }): Promise<void> {
      await db.transaction(async (tx) => {
        await loadOrder(tx, a.orderId, true);
        await setStatus(tx, a.orderId, 'cancelled', a.outcome.reason);
        await orderEvent(tx, a.orderId, 'order.cancelled', { ...a.outcome }, causeOf(a.cause));
      });
      log.info('order cancelled', { orderId: a.orderId, reason: a.outcome.reason });
    },
  };
}
