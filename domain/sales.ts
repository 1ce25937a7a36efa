/**
 * Order-to-cash contracts shared by the API, the order workflow and its activities (no I/O):
 * the workflow input, its signals, updates and queries, the invoice number and the tax rule.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { EventRef } from './inventory';
import type { OrderPlacedV1 } from './events/sales';

/** The invoice number of an order, defined once: `INV-<orderId>` (one invoice per order). */
export const invoiceNumberFor = (orderId: string): string => `INV-${orderId}`;
/** The credit note that voids an order's invoice: `CN-<orderId>`. */
export const creditNoteNumberFor = (orderId: string): string => `CN-${orderId}`;
/** The refund of one payment captured by an order: `REF-<orderId>-<paymentId>`. */
export const refundIdFor = (orderId: string, paymentId: string): string => `REF-${orderId}-${paymentId}`;

/**
 * Patch ids of the order workflow (`patched()`), one per versioned change; README "Changing a
 * workflow safely". `claimPrepaidPayments`: after invoicing, the order takes the payments that
 * named its invoice before the order existed (README "Out-of-order events").
 */
export const ORDER_PATCHES = { claimPrepaidPayments: 'order-claims-prepaid-payments' } as const;

/**
 * The order id named by an invoice number token in a payment reference (`... INV-O-1001 ...`), or
 * null. The token is the order id's characters (letters, digits, `. _ : / -`); a trailing `.`, `:` or
 * `/` (sentence punctuation) is dropped.
 */
export function orderIdFromReference(reference: string | undefined | null): string | null {
  if (!reference) return null;
  const match = /(?:^|[^A-Za-z0-9])INV-([A-Za-z0-9][A-Za-z0-9._:/-]*)/.exec(reference);
  if (!match) return null;
  const id = (match[1] as string).replace(/[.:/]+$/, '');
  return id.length > 0 ? id : null;
}

/** Tax of one line: `lineTotal × rateBps / 10000`, rounded half-even to a minor unit. */
export function lineTax(lineTotal: number, rateBps: number): number {
  const n = BigInt(lineTotal) * BigInt(rateBps);
  const q = n / 10000n;
  const r = n % 10000n;
  if (r * 2n > 10000n || (r * 2n === 10000n && q % 2n === 1n)) return Number(q + 1n);
  return Number(q);
}

/** What starts an order's workflow: the order.placed data and the event that carried it. */
export interface OrderWorkflowInput {
  order: OrderPlacedV1;
  cause: EventRef;
}

export type OrderStatus =
  | 'received'
  | 'on_credit_hold'
  | 'reserving'
  | 'backordered'
  | 'invoiced'
  | 'partially_paid'
  | 'paid'
  | 'shipping'
  | 'shipped'
  | 'completed'
  | 'cancelling'
  | 'cancelled';

/** One allocated payment, as the finance side hands it to the order (signal `paymentReceived`). */
export interface PaymentReceived {
  paymentId: string;
  amount: number;
  currency: string;
  customerId?: string;
  payerName?: string;
  reference?: string;
  receivedAt: string;
  method: string;
  cause: EventRef;
}

export interface ApproveRequest {
  approvedBy: string;
  note?: string;
  cause?: EventRef;
}

export interface CancelRequest {
  reason: string;
  requestedBy?: string;
  cause?: EventRef;
}

export interface ShipmentConfirmation {
  shipmentId: string;
  carrier?: string;
  trackingNumber?: string;
  shippedAt: string;
  cause?: EventRef;
}

/** What a cancellation did: each compensation and its result, in the order they ran. */
export interface CancelOutcome {
  status: 'cancelled';
  reason: string;
  /** Refunds of captured payments (first compensation: the payments came last). */
  refunds: { refundId: string; paymentId: string; amount: number }[];
  /** The credit note that voided the invoice, if one was issued. */
  creditNote: { creditNoteNumber: string; invoiceNumber: string; total: number } | null;
  /** Stock given back (last compensation: the reservations came first). */
  released: { sku: string; quantity: number }[];
  /** Compensations that failed after their retries (logged; the others still ran). */
  failures: string[];
}

export interface ApproveOutcome {
  status: OrderStatus;
  approvedBy: string;
}

export interface ShipmentOutcome {
  status: OrderStatus;
  shipmentId: string;
}

export interface OrderAmounts {
  currency: string;
  total: number;
  paid: number;
  due: number;
  /** Received beyond the total, kept as customer credit. */
  credit: number;
}

export interface TimelineEntry {
  at: string;
  step: string;
  detail?: string;
}

/** An approval for an order held over its credit limit; rejected unless the order is on hold. */
export const approveUpdate = defineUpdate<ApproveOutcome, [ApproveRequest]>('approve');
/**
 * Cancels the order (before shipment), running the compensations; answers what they did. Rejected
 * once the order is shipping; a second cancel answers the first outcome.
 */
export const cancelUpdate = defineUpdate<CancelOutcome, [CancelRequest]>('cancel');
/** The carrier took the goods: closes a shipped order. Rejected before the order shipped. */
export const confirmShipmentUpdate = defineUpdate<ShipmentOutcome, [ShipmentConfirmation]>('confirmShipment');
/** Where the order's stock stands once its first reservation attempt is done (or it was cancelled first). */
export interface ReservationOutcome {
  status: OrderStatus;
  stock: 'reserved' | 'backordered' | 'none';
}
/**
 * Answers when the order's first stock reservation is done: reserved, backordered, or none (it was
 * cancelled or refused before). For a caller that waits for the answer (update-with-start); changes
 * nothing in the order.
 */
export const reservationUpdate = defineUpdate<ReservationOutcome, []>('reservation');
/** One allocated payment for the order's invoice; the same payment id twice counts once. */
export const paymentReceivedSignal = defineSignal<[PaymentReceived]>('paymentReceived');

/**
 * Reconciliation changed what is allocated to the order's invoice (an allocation made by the
 * real-time matcher, the nightly batch or an operator, or an allocation reversed): the order re-reads
 * its invoice's paid amount.
 */
export interface InvoiceSettlementChanged {
  invoiceNumber: string;
  paymentId: string;
  /** What happened: allocated, or reversed (unmatched). */
  change: 'allocated' | 'reversed';
  cause?: EventRef;
}
export const invoiceSettlementChangedSignal =
  defineSignal<[InvoiceSettlementChanged]>('invoiceSettlementChanged');

export const orderStatusQuery = defineQuery<OrderStatus>('status');
export const orderAmountsQuery = defineQuery<OrderAmounts>('amounts');
export const orderTimelineQuery = defineQuery<TimelineEntry[]>('timeline');
