/** Procurement contracts shared by the API, the procurement workflow and its activities (no I/O). */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { EventRef } from './inventory';

/** Purchase order statuses whose remaining quantity is still on order. */
export const OPEN_PURCHASE_ORDER_STATUSES = ['draft', 'sent', 'confirmed', 'partially_received'] as const;

/** What the SKU's workflow hands the procurement child it starts. */
export interface ProcurementInput {
  purchaseOrderId: string;
  sku: string;
  quantity: number;
  supplierId: string;
  leadTimeDays: number;
  /** The SKU's workflow, told about each receipt and the end (procurementProgressSignal). */
  parentWorkflowId: string;
}

/** purchase_order.confirmed, as the procurement workflow receives it. */
export interface PurchaseOrderConfirmation {
  purchaseOrderId: string;
  expectedDate: string;
  confirmedAt: string;
  supplierReference?: string;
  cause: EventRef;
}

/** goods.received, as the procurement workflow receives it. */
export interface GoodsReceipt {
  purchaseOrderId: string;
  receiptId: string;
  lines: { sku: string; quantity: number }[];
  receivedAt: string;
  cause: EventRef;
}

export const purchaseOrderConfirmedSignal =
  defineSignal<[PurchaseOrderConfirmation]>('purchaseOrderConfirmed');
export const goodsReceivedSignal = defineSignal<[GoodsReceipt]>('goodsReceived');

/** What createPurchaseOrder recorded (or found, on a retry). */
export interface PurchaseOrderCreated {
  purchaseOrderId: string;
  expectedDate: string;
  currency: string;
  unitCost: number;
  overReceiptTolerance: number;
}

/** The outcome of one receipt: applied, or rejected with the reason (nothing moved). */
export interface ReceiptOutcome {
  status: 'applied' | 'rejected';
  receiptId: string;
  /** Received on the line after this receipt. */
  received: number;
  quantity: number;
  reason?: string;
  /** Journal entry of the goods-received posting (absent when the unit cost is 0). */
  journalEntryId?: number;
}

/** The backordered orders of a SKU told that it was replenished. */
export interface BackorderNotice {
  /** Order workflows that took the skuReplenished signal. */
  notified: string[];
  /** Backordered orders whose workflow was not found (nothing to tell). */
  notFound: string[];
}

export type ProcurementStatus =
  'creating' | 'awaiting_confirmation' | 'awaiting_goods' | 'closed' | 'cancelled';

export interface ProcurementState {
  purchaseOrderId: string;
  status: ProcurementStatus;
  quantity: number;
  received: number;
  sendAttempts: number;
  expectedDate: string | null;
  late: boolean;
  receipts: { receiptId: string; status: 'applied' | 'rejected'; notifiedOrders: string[] }[];
}

export const procurementStateQuery = defineQuery<ProcurementState>('procurementState');

/** The dedupe key of a confirmation or receipt: its causing event. */
export const causeKey = (cause: EventRef): string => `${cause.source}/${cause.id}`;
