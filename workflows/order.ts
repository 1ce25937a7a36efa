/**
 * Order-to-cash, one durable workflow per order (id: orderWorkflowId(orderId)): credit check (hold
 * for approval or cancel after a timeout), stock reservation (backorder until replenished, then the
 * order's backorder policy), invoice, payments and dunning, shipment, completion. A cancellation
 * before shipment runs the compensations in reverse order of the steps that happened.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common';
import type { Activities } from '../activities';
import { skuReplenishedSignal } from '../domain/inventory';
import {
  approveUpdate,
  cancelUpdate,
  confirmShipmentUpdate,
  orderAmountsQuery,
  orderStatusQuery,
  orderTimelineQuery,
  paymentReceivedSignal,
  invoiceSettlementChangedSignal,
  reservationUpdate,
  ORDER_PATCHES,
  type ApproveRequest,
  type CancelOutcome,
  type CancelRequest,
  type OrderStatus,
  type OrderWorkflowInput,
  type ReservationOutcome,
  type InvoiceSettlementChanged,
  type PaymentReceived,
  type ShipmentConfirmation,
  type TimelineEntry,
} from '../domain/sales';
import { ACTIVITY_PRESETS } from './presets';
import { loadSettings } from './settings';

/** Business-rule failures the activities throw; never retried. */
const NON_RETRYABLE = [
  'UnknownCustomer',
  'OrderNotFound',
  'NothingToInvoice',
  'CurrencyMismatch',
  'InvoiceNotFound',
];

/** Forward steps: about 20 minutes of retries (a database outage) before the order gives up and cancels. */
const steps = proxyActivities<Activities>({
  ...ACTIVITY_PRESETS.short,
  retry: { ...ACTIVITY_PRESETS.short.retry, maximumAttempts: 45, nonRetryableErrorTypes: NON_RETRYABLE },
});
/**
 * The same forward steps as local activities (settings tuning.localActivities), for the short,
 * idempotent credit check and reservation: no activity task round trip through the server.
 */
const localSteps = proxyLocalActivities<Activities>({
  ...ACTIVITY_PRESETS.short,
  retry: { ...ACTIVITY_PRESETS.short.retry, maximumAttempts: 45, nonRetryableErrorTypes: NON_RETRYABLE },
});
/** Compensations try harder (about 2 hours): giving stock and money back must not be dropped lightly. */
const undo = proxyActivities<Activities>({
  ...ACTIVITY_PRESETS.short,
  retry: { ...ACTIVITY_PRESETS.short.retry, maximumAttempts: 250, nonRetryableErrorTypes: NON_RETRYABLE },
});

const DAY_MS = 86_400_000;
/** Statuses from which cancelling is refused: the goods are leaving or left. */
const SHIPPED: OrderStatus[] = ['shipping', 'shipped', 'completed'];

type Compensation = 'refund' | 'void' | 'release';

export interface OrderResult {
  orderId: string;
  status: 'completed' | 'cancelled';
  reason?: string;
}

const failureType = (err: unknown): string | undefined =>
  err instanceof ActivityFailure && err.cause instanceof ApplicationFailure
    ? (err.cause.type ?? undefined)
    : undefined;
const messageOf = (err: unknown): string =>
  err instanceof ActivityFailure && err.cause ? err.cause.message : (err as Error).message;

/** The order-to-cash workflow of one order. */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderResult> {
  const { order } = input;
  const orderId = order.orderId;
  let status: OrderStatus = 'received';
  const timeline: TimelineEntry[] = [];
  let total = order.lines.reduce((s, l) => s + l.quantity * l.unitPrice, 0);
  let paid = 0;
  let writtenOff = 0;
  let credit = 0;
  let invoiced = false;
  let approval: ApproveRequest | undefined;
  let cancelRequest: CancelRequest | undefined;
  let cancelOutcome: CancelOutcome | undefined;
  let shipment: ShipmentConfirmation | undefined;
  let replenished = false;
  /** How the first reservation attempt ended (the reservation update's answer). */
  let stockOutcome: ReservationOutcome['stock'] | undefined;
  const pendingPayments: PaymentReceived[] = [];
  const seenPayments = new Set<string>();
  /** Allocations reconciliation made or reversed on the invoice, not yet read back. */
  let settlementChanges: InvoiceSettlementChanged[] = [];
  const due = () => Math.max(0, total - paid - writtenOff);
  const compensations: Compensation[] = [];

  const step = (name: string, detail?: string) => {
    timeline.push({ at: new Date().toISOString(), step: name, ...(detail !== undefined ? { detail } : {}) });
  };

  setHandler(
    approveUpdate,
    async (req) => {
      const by = (approval ??= req);
      await condition(() => status !== 'on_credit_hold');
      return { status, approvedBy: by.approvedBy };
    },
    {
      validator: (_req) => {
        if (status !== 'on_credit_hold') throw new Error(`order ${orderId} is ${status}, not on credit hold`);
      },
    },
  );
  setHandler(
    cancelUpdate,
    async (req) => {
      cancelRequest ??= req;
      await condition(() => cancelOutcome !== undefined);
      return cancelOutcome as CancelOutcome;
    },
    {
      validator: (_req) => {
        if (SHIPPED.includes(status)) {
          throw new Error(
            // 'shipping' is reported as shipped: the shipment may already be committed in Postgres
            `order ${orderId} is ${status === 'shipping' ? 'being shipped' : status}: it can no longer be ` +
              'cancelled (a return is a different process)',
          );
        }
      },
    },
  );
  setHandler(
    confirmShipmentUpdate,
    async (req) => {
      const first = (shipment ??= req);
      await condition(() => status === 'completed');
      return { status, shipmentId: first.shipmentId };
    },
    {
      validator: (_req) => {
        if (status !== 'shipped' && status !== 'completed' && status !== 'shipping') {
          throw new Error(`order ${orderId} is ${status}: it has not shipped`);
        }
      },
    },
  );
  setHandler(reservationUpdate, async () => {
    await condition(() => stockOutcome !== undefined || status === 'cancelling' || status === 'cancelled');
    return { status, stock: stockOutcome ?? 'none' };
  });
  setHandler(paymentReceivedSignal, (payment) => {
    if (seenPayments.has(payment.paymentId)) {
      log.info('payment already received, ignored', { orderId, paymentId: payment.paymentId });
      return;
    }
    seenPayments.add(payment.paymentId);
    pendingPayments.push(payment);
  });
  setHandler(invoiceSettlementChangedSignal, (change) => {
    settlementChanges.push(change);
  });
  setHandler(skuReplenishedSignal, (r) => {
    replenished = true;
    log.info('sku replenished', { orderId, sku: r.sku, available: r.available });
  });
  setHandler(orderStatusQuery, () => status);
  setHandler(orderAmountsQuery, () => ({
    currency: order.currency,
    total,
    paid,
    due: status === 'cancelled' ? 0 : due(),
    credit,
  }));
  setHandler(orderTimelineQuery, () => timeline);

  /** Records the payments received so far, in arrival order, and reads back reconciliation's changes. */
  async function applyPayments(): Promise<void> {
    if (settlementChanges.length > 0 && invoiced) {
      const changes = settlementChanges;
      settlementChanges = [];
      const state = await steps.readSettlement({ orderId });
      paid = state.paid;
      writtenOff = state.writtenOff;
      credit = state.credit;
      if ((paid > 0 || credit > 0) && !compensations.includes('refund')) compensations.unshift('refund');
      for (const c of changes) {
        step(
          c.change === 'allocated' ? 'payment_allocated' : 'payment_unallocated',
          `${c.paymentId} on ${c.invoiceNumber}`,
        );
      }
    }
    while (pendingPayments.length > 0) {
      const payment = pendingPayments[0] as PaymentReceived;
      try {
        const applied = await steps.applyPayment({ orderId, payment });
        if (!compensations.includes('refund')) compensations.unshift('refund');
        paid = applied.paid;
        credit += applied.credited;
        step(
          'payment_received',
          `${payment.paymentId}: ${applied.allocated} allocated, ${applied.credited} to credit`,
        );
      } catch (err) {
        if (failureType(err) !== 'CurrencyMismatch') throw err;
        step('payment_rejected', `${payment.paymentId}: ${messageOf(err)}`);
      }
      pendingPayments.shift();
    }
  }

  /** Runs the compensations of what happened, last step first, and closes the order as cancelled. */
  async function cancel(reason: string, cause = input.cause): Promise<OrderResult> {
    status = 'cancelling';
    step('cancel_requested', reason);
    // payments that arrived before the cancellation are recorded, so they are refunded too;
    // without an invoice there is nothing to allocate them to: they are refunded as they came
    const prepaid = invoiced ? [] : pendingPayments.splice(0);
    if (invoiced) await applyPayments();
    if (prepaid.length > 0 && !compensations.includes('refund')) compensations.unshift('refund');
    const outcome: CancelOutcome = {
      status: 'cancelled',
      reason,
      refunds: [],
      creditNote: null,
      released: [],
      failures: [],
    };
    for (const c of compensations) {
      try {
        if (c === 'refund') {
          outcome.refunds = await undo.refundPayments({
            orderId,
            reason,
            cause,
            ...(prepaid.length > 0 ? { prepaid } : {}),
          });
        }
        if (c === 'void') outcome.creditNote = await undo.voidInvoice({ orderId, reason, cause });
        if (c === 'release') outcome.released = await undo.releaseReservations({ orderId, cause });
        step(`compensated_${c}`);
      } catch (err) {
        // keep going: the other compensations still run; the failure is in the outcome and the log
        outcome.failures.push(`${c}: ${messageOf(err)}`);
        log.error('compensation failed', { orderId, compensation: c, error: messageOf(err) });
      }
    }
    await undo.markCancelled({ orderId, outcome, cause });
    paid = 0;
    status = 'cancelled';
    cancelOutcome = outcome;
    step('cancelled', reason);
    await condition(allHandlersFinished);
    return { orderId, status: 'cancelled', reason };
  }
  const cancelled = () => cancelRequest !== undefined;
  const requested = () =>
    cancel((cancelRequest as CancelRequest).reason, cancelRequest?.cause ?? input.cause);

  const allSettings = await loadSettings();
  const settings = allSettings.sales;
  // histories recorded before the tuning section have no value: remote activities, as they ran
  const first = allSettings.tuning?.localActivities === true ? localSteps : steps;
  step('received');

  // 1. credit check
  let accepted;
  try {
    accepted = await first.acceptOrder(input, settings.taxRateBps);
  } catch (err) {
    if (failureType(err) !== 'UnknownCustomer') throw err;
    const reason = 'unknown customer';
    await steps.rejectOrder(input, reason);
    status = 'cancelled';
    cancelOutcome = {
      status: 'cancelled',
      reason,
      refunds: [],
      creditNote: null,
      released: [],
      failures: [],
    };
    step('cancelled', `${reason} ${order.customerId}`);
    await condition(allHandlersFinished);
    return { orderId, status: 'cancelled', reason };
  }
  total = accepted.total;
  step(
    'accepted',
    `total ${accepted.total}, open receivables ${accepted.openReceivables}, limit ${accepted.creditLimit}`,
  );

  try {
    if (cancelled()) return await requested();
    if (accepted.overCreditLimit) {
      status = 'on_credit_hold';
      await steps.markOrder({
        orderId,
        status: 'on_credit_hold',
        event: 'order.on_hold',
        payload: { total, openReceivables: accepted.openReceivables, creditLimit: accepted.creditLimit },
        cause: input.cause,
      });
      step('credit_hold', `exposure ${accepted.openReceivables + total} over limit ${accepted.creditLimit}`);
      const decided = await condition(
        () => approval !== undefined || cancelled(),
        msToNumber(settings.approvalTimeout),
      );
      if (cancelled()) return await requested();
      if (!decided) return await cancel('approval timeout');
      const by = approval as ApproveRequest;
      await steps.markOrder({
        orderId,
        status: 'reserving',
        event: 'order.approved',
        payload: { approvedBy: by.approvedBy, note: by.note },
        cause: by.cause ?? input.cause,
      });
      status = 'reserving';
      step('approved', by.approvedBy);
    }

    // 2. stock
    status = 'reserving';
    compensations.unshift('release');
    let reserved = await first.reserveStock({ orderId, cause: input.cause });
    stockOutcome = reserved.complete ? 'reserved' : 'backordered';
    if (!reserved.complete) {
      status = 'backordered';
      step('backordered', reserved.lines.map((l) => `${l.sku} ${l.reserved}/${l.wanted}`).join(', '));
      const until = Date.now() + msToNumber(settings.backorderTimeout);
      while (!reserved.complete) {
        const left = until - Date.now();
        if (left <= 0) break;
        replenished = false;
        await condition(() => replenished || cancelled(), left);
        if (cancelled()) return await requested();
        if (!replenished) break;
        reserved = await first.reserveStock({ orderId, cause: input.cause });
        step(
          'reservation_retried',
          reserved.lines.map((l) => `${l.sku} ${l.reserved}/${l.wanted}`).join(', '),
        );
      }
      if (!reserved.complete) {
        if ((order.backorderPolicy ?? 'ship_available') === 'cancel')
          return await cancel('backorder timeout');
        if (!reserved.reservedAny) return await cancel('backorder timeout: nothing available');
        step('ship_available');
      }
    }
    step('reserved');
    if (cancelled()) return await requested();

    // 3. invoice
    compensations.unshift('void');
    const invoice = await steps.issueInvoice({
      orderId,
      taxRateBps: settings.taxRateBps,
      cause: input.cause,
    });
    invoiced = true;
    total = invoice.total;
    status = 'invoiced';
    step('invoiced', `${invoice.invoiceNumber} total ${invoice.total} due ${invoice.dueDate}`);
    // payments that named this invoice before the order existed were left unallocated: take them
    // (versioned: orders started before this change replay without the extra activity)
    if (patched(ORDER_PATCHES.claimPrepaidPayments)) {
      const prepaid = await steps.claimPrepaidPayments({ orderId });
      const fresh = prepaid.filter((p) => !seenPayments.has(p.paymentId));
      for (const p of fresh) {
        seenPayments.add(p.paymentId);
        pendingPayments.push(p);
      }
      if (fresh.length > 0) step('prepaid_claimed', fresh.map((p) => p.paymentId).join(', '));
    }

    // 4. payments and dunning (levels counted from the due moment: invoice time + net days)
    const dueAt = Date.parse(invoice.issuedAt) + order.paymentTerms.netDays * DAY_MS;
    const levels = [...settings.dunningLevels].sort((x, y) => x.level - y.level);
    let next = 0;
    const paymentNews = () => pendingPayments.length > 0 || settlementChanges.length > 0;
    const woken = () => paymentNews() || cancelled();
    while (due() > 0) {
      if (cancelled()) return await requested();
      if (paymentNews()) {
        await applyPayments();
        status = due() <= 0 ? 'paid' : paid > 0 ? 'partially_paid' : 'invoiced';
        continue;
      }
      const level = levels[next];
      if (!level) {
        await condition(woken);
        continue;
      }
      const wait = dueAt + msToNumber(level.after) - Date.now();
      if (wait > 0 && (await condition(woken, wait))) continue;
      const sent = await steps.sendDunning({ orderId, level: level.level, cause: input.cause });
      if (sent.deferredUntil !== undefined) {
        // the customer's quiet hours (or a dunning cap): this level is sent when they end
        step('dunning_deferred', `level ${level.level} until ${sent.deferredUntil}`);
        const until = Date.parse(sent.deferredUntil) - Date.now();
        if (until > 0) await condition(woken, until);
        continue;
      }
      step('dunning', `level ${level.level}`);
      next++;
    }
    status = 'paid';
    step('paid', `${paid} of ${total}`);
    if (cancelled()) return await requested();

    // 5. fulfil
    status = 'shipping';
    await steps.shipOrder({ orderId, cause: input.cause });
    status = 'shipped';
    step('shipped');
  } catch (err) {
    // only an activity that failed for good is a business outcome; anything else is a bug to fix
    if (!(err instanceof ActivityFailure) || cancelOutcome || SHIPPED.includes(status)) throw err;
    // a step that failed for good: undo what happened rather than leave stock and money held
    log.error('order step failed; cancelling', { orderId, error: messageOf(err) });
    return await cancel(`failed: ${messageOf(err)}`);
  }

  // 6. the carrier's confirmation closes the order; late payments still become customer credit
  while (!shipment) {
    await condition(
      () => shipment !== undefined || pendingPayments.length > 0 || settlementChanges.length > 0,
    );
    if (pendingPayments.length > 0 || settlementChanges.length > 0) await applyPayments();
  }
  const s = shipment as ShipmentConfirmation;
  await steps.completeOrder({
    orderId,
    shipmentId: s.shipmentId,
    carrier: s.carrier,
    trackingNumber: s.trackingNumber,
    shippedAt: s.shippedAt,
    cause: s.cause ?? input.cause,
  });
  status = 'completed';
  step('completed', s.shipmentId);
  await condition(allHandlersFinished);
  return { orderId, status: 'completed' };
}
