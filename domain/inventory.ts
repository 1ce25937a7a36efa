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
  /** Continue-as-new after this many changes in one run. */
  maxChangesPerRun?: number;
}

export interface InventoryItemState {
  sku: string;
  onHand: number | null;
  applied: number;
  pending: number;
  /** Changes received a second time and ignored, in this run. */
  duplicatesIgnored: number;
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
