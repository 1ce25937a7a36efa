/** Inventory contracts shared by the API, the workflow and its activities (no I/O). */
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** One stock change as the SKU's workflow receives it; carries its causing event. */
export interface StockChange {
  sku: string;
  /** Relative change; exactly one of delta and quantity is set. */
  delta?: number;
  /** Absolute count after a stock take. */
  quantity?: number;
  reason: string;
  cause: EventRef;
}

/** The event that caused something, and the business flow it belongs to. */
export interface EventRef {
  source: string;
  id: string;
  correlationId: string;
}

export interface StockChangeOutcome {
  status: 'applied' | 'rejected';
  onHand: number;
  reason?: string;
}

export interface InventoryItemInput {
  sku: string;
  /** Changes received but not yet applied, carried across continue-as-new. */
  pending?: StockChange[];
  /** Changes applied in earlier runs of this execution chain. */
  appliedBefore?: number;
  /** Stock on hand after the last applied change, carried across continue-as-new. */
  onHand?: number | null;
  /** Keys of the most recently received changes, so a change delivered twice applies once. */
  recentCauses?: string[];
  /** Continue-as-new after this many changes in one run (default: the inventory settings). */
  maxChangesPerRun?: number;
  /** The reorder state carried across continue-as-new; absent on a fresh start (then loaded). */
  reorder?: ReorderState;
  /** Stock or the rule changed after the last read: the next run reads them again and re-evaluates. */
  recheck?: boolean;
}

/** The min/max reorder rule of a SKU as the workflow uses it (DOMAIN.md, inventory and reorder). */
export interface ReorderRule {
  reorderPoint: number;
  orderUpTo: number;
  packMultiple: number;
  minOrderQuantity: number;
  leadTimeDays: number;
  /** reorder_settings.supplier_id, else products.supplier_id; null when neither names one. */
  supplierId: string | null;
  /** Whether that supplier exists in the suppliers table (a purchase order needs one). */
  supplierKnown: boolean;
  /** The events.seq of the rule's upsert: a changed rule has a new version. */
  version: number;
}

export interface StockSnapshot {
  onHand: number;
  reserved: number;
}

/** A purchase order of this SKU not yet fully received or cancelled: its quantity is on order. */
export interface OpenProcurement {
  purchaseOrderId: string;
  workflowId: string;
  quantity: number;
  received: number;
}

/** What the SKU's workflow knows and carries across continue-as-new. */
export interface ReorderState {
  rule: ReorderRule | null;
  stock: StockSnapshot | null;
  open: OpenProcurement[];
  /** The sequence number of the next purchase order of this SKU (see purchaseOrderIdFor). */
  nextPurchaseOrderSeq: number;
  /** The rule version a missing-supplier alert was raised for (one alert per rule version). */
  supplierAlertVersion?: number | null;
  /** Procurements started by this execution chain. */
  procurementsStarted: number;
}

/** What loadReorderState answers on a fresh start: the rule, stock and purchase orders in Postgres. */
export interface LoadedReorderState {
  rule: ReorderRule | null;
  stock: StockSnapshot;
  open: OpenProcurement[];
  nextPurchaseOrderSeq: number;
}

/** The id of the SKU's n-th purchase order; the one place this derivation lives. */
export const purchaseOrderIdFor = (sku: string, seq: number): string => `PO-${sku}-${seq}`;
/** The sequence number in a purchase order id of this SKU (purchaseOrderIdFor), else null. */
export function purchaseOrderSeqOf(sku: string, purchaseOrderId: string): number | null {
  const prefix = purchaseOrderIdFor(sku, 0).slice(0, -1);
  if (!purchaseOrderId.startsWith(prefix)) return null;
  const seq = Number(purchaseOrderId.slice(prefix.length));
  return Number.isInteger(seq) ? seq : null;
}

/** The SKU's on order: what its open procurements still expect. */
export const onOrderOf = (open: OpenProcurement[]): number =>
  open.reduce((sum, p) => sum + Math.max(0, p.quantity - p.received), 0);

/** On hand − reserved + on order. */
export const projectedStock = (stock: StockSnapshot, open: OpenProcurement[]): number =>
  stock.onHand - stock.reserved + onOrderOf(open);

/**
 * The min/max rule: when projected ≤ reorder point, order up to order-up-to, at least the minimum
 * order quantity, rounded up to the pack multiple (so the quantity is always whole packs). 0: no order.
 */
export function reorderQuantity(rule: ReorderRule, projected: number): number {
  if (projected > rule.reorderPoint) return 0;
  const wanted = Math.max(rule.orderUpTo - projected, rule.minOrderQuantity, 1);
  const pack = Math.max(1, rule.packMultiple);
  return Math.ceil(wanted / pack) * pack;
}

export interface InventoryItemState {
  sku: string;
  onHand: number | null;
  applied: number;
  pending: number;
  /** Changes received a second time and ignored, in this run. */
  duplicatesIgnored: number;
  /** Reserved stock as last read (null before the first read). */
  reserved: number | null;
  onOrder: number;
  rule: ReorderRule | null;
  openProcurements: OpenProcurement[];
  procurementsStarted: number;
}

/** The dedupe key of a stock change: its causing event. */
export const stockChangeCauseKey = (change: StockChange): string =>
  `${change.cause.source}/${change.cause.id}`;

/** A stock change for the SKU (signal-with-start from the router). */
export const stockChangedSignal = defineSignal<[StockChange]>('stockChanged');
/** What the workflow has applied so far. */
export const inventoryStateQuery = defineQuery<InventoryItemState>('inventoryState');

/**
 * Sent to the SKU's workflow (signal-with-start) after its stock row changed outside the workflow:
 * a reservation made or released, or reserved stock shipped by an order. The workflow re-reads
 * stock and re-evaluates its reorder rule.
 */
export interface StockLevelChanged {
  sku: string;
  reason: 'reserved' | 'released' | 'shipped';
  cause: EventRef;
}
export const stockLevelChangedSignal = defineSignal<[StockLevelChanged]>('stockLevelChanged');

/** Sent by the inventory side to a backordered order's workflow when its SKU's stock went up. */
export interface SkuReplenished {
  sku: string;
  /** On hand − reserved after the change. */
  available: number;
}
export const skuReplenishedSignal = defineSignal<[SkuReplenished]>('skuReplenished');

/** The SKU's reorder rule changed (event or REST): the workflow reloads it and re-evaluates. */
export interface ReorderSettingsChanged {
  sku: string;
  cause: EventRef;
}
export const reorderSettingsChangedSignal = defineSignal<[ReorderSettingsChanged]>('reorderSettingsChanged');

/** Sent by a procurement to its SKU's workflow after each receipt and when it ends. */
export interface ProcurementProgress {
  purchaseOrderId: string;
  quantity: number;
  received: number;
  /** Open while goods are still expected; closed (fully received) or cancelled at the end. */
  status: 'open' | 'closed' | 'cancelled';
}
export const procurementProgressSignal = defineSignal<[ProcurementProgress]>('procurementProgress');

/**
 * Sent by the safety-net sweep (signal-with-start) to a SKU at or below its reorder point with no
 * open purchase order: the workflow reloads its rule, stock and open purchase orders from Postgres
 * and runs its reorder rule, so a lost event cannot leave a shelf empty. Once per sweep run.
 */
export interface ReorderCheckRequested {
  sku: string;
  cause: EventRef;
}
export const reorderCheckRequestedSignal = defineSignal<[ReorderCheckRequested]>('reorderCheckRequested');
