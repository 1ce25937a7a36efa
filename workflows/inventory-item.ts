/**
 * One long-lived workflow per SKU: the SKU's reorder brain. It receives every change for its SKU
 * (stock adjusted, stock reserved / released / shipped by orders, its reorder rule changed, goods
 * received by its procurements), applies stock changes in arrival order through an idempotent
 * activity, and after each change compares projected stock (on hand − reserved + on order) with
 * the reorder point: at or below it, it starts one procurement child for the min/max quantity.
 * It continues-as-new before its history grows large, carrying its whole state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  inventoryStateQuery,
  onOrderOf,
  procurementProgressSignal,
  projectedStock,
  purchaseOrderIdFor,
  purchaseOrderSeqOf,
  reorderQuantity,
  reorderCheckRequestedSignal,
  reorderSettingsChangedSignal,
  stockChangeCauseKey,
  stockChangedSignal,
  stockLevelChangedSignal,
  type EventRef,
  type InventoryItemInput,
  type ReorderState,
  type StockChange,
} from '../domain/inventory';
import { procurementWorkflowId, WORKFLOW_TYPES } from '../domain/names';
import type { ProcurementInput } from '../domain/procurement';
import type { procurementWorkflow } from './procurement';
import { ACTIVITY_PRESETS } from './presets';
import { loadSettings } from './settings';

const {
  applyStockChange,
  loadReorderState,
  readReorderRule,
  readStockLevel,
  raiseNoSupplierAlert,
  notifyBackorderedOrders,
} = proxyActivities<Activities>(ACTIVITY_PRESETS.short);
/** The stock change as a local activity (settings tuning.localActivities): short and idempotent. */
const local = proxyLocalActivities<Pick<Activities, 'applyStockChange'>>(ACTIVITY_PRESETS.short);

export const DEFAULT_MAX_CHANGES_PER_RUN = 500;
/** How many recent change keys the workflow remembers to ignore a re-delivered change. */
export const RECENT_CAUSES_KEPT = 2000;

/** The SKU's inventory workflow (id: inventoryWorkflowId(sku)). */
const available = (stock: { onHand: number; reserved: number }): number => stock.onHand - stock.reserved;

export async function inventoryItemWorkflow(input: InventoryItemInput): Promise<void> {
  const { sku } = input;
  const pending: StockChange[] = [...(input.pending ?? [])];
  let appliedInRun = 0;
  /** Every change handled in this run (stock, stock level, rule, procurement progress). */
  let changesInRun = 0;
  let onHand: number | null = input.onHand ?? null;
  let duplicatesIgnored = 0;
  // insertion-ordered, so the oldest keys are dropped first
  const recentCauses = new Set<string>(input.recentCauses ?? []);
  let reorder: ReorderState | null = input.reorder
    ? { ...input.reorder, open: [...input.reorder.open] }
    : null;
  let stockDirty = input.recheck ?? false;
  let ruleDirty = input.recheck ?? false;
  let evaluate = input.recheck ?? false;
  /** The sweep asked: reload rule, stock and open purchase orders from Postgres, then evaluate. */
  let reloadRequested = false;
  /** Procurement progress reports received, so a reload knows whether one arrived while it read. */
  let progressReports = 0;

  /** False (and logged) when this cause was seen already: a route retried after a lost ack. */
  const firstTime = (key: string, cause: EventRef): boolean => {
    if (recentCauses.has(key)) {
      duplicatesIgnored++;
      log.info('duplicate change ignored', { sku, eventId: cause.id, correlationId: cause.correlationId });
      return false;
    }
    recentCauses.add(key);
    if (recentCauses.size > RECENT_CAUSES_KEPT) {
      recentCauses.delete(recentCauses.values().next().value as string);
    }
    return true;
  };

  setHandler(stockChangedSignal, (change) => {
    if (firstTime(stockChangeCauseKey(change), change.cause)) pending.push(change);
  });
  setHandler(stockLevelChangedSignal, (changed) => {
    if (!firstTime(`level/${changed.reason}/${changed.cause.source}/${changed.cause.id}`, changed.cause))
      return;
    changesInRun++;
    stockDirty = true;
  });
  setHandler(reorderSettingsChangedSignal, (changed) => {
    if (!firstTime(`rule/${changed.cause.source}/${changed.cause.id}`, changed.cause)) return;
    changesInRun++;
    ruleDirty = true;
  });
  setHandler(reorderCheckRequestedSignal, (requested) => {
    if (!firstTime(`check/${requested.cause.source}/${requested.cause.id}`, requested.cause)) return;
    changesInRun++;
    reloadRequested = true;
  });
  setHandler(procurementProgressSignal, (progress) => {
    changesInRun++;
    progressReports++;
    if (!reorder) {
      // still loading: the load reads the purchase orders as they are now
      stockDirty = true;
      return;
    }
    const open = reorder.open.filter((p) => p.purchaseOrderId !== progress.purchaseOrderId);
    if (progress.status === 'open') {
      open.push({
        purchaseOrderId: progress.purchaseOrderId,
        workflowId: procurementWorkflowId(progress.purchaseOrderId),
        quantity: progress.quantity,
        received: progress.received,
      });
    }
    reorder.open = open;
    // goods received moved stock in; a cancelled order changes nothing on hand and is not re-ordered
    // until the next change
    if (progress.status !== 'cancelled') stockDirty = true;
  });
  setHandler(inventoryStateQuery, () => ({
    sku,
    // the last applied change's count first: the stock row is re-read just after it
    onHand: onHand ?? reorder?.stock?.onHand ?? null,
    applied: (input.appliedBefore ?? 0) + appliedInRun,
    pending: pending.length,
    duplicatesIgnored,
    reserved: reorder?.stock?.reserved ?? null,
    onOrder: reorder ? onOrderOf(reorder.open) : 0,
    rule: reorder?.rule ?? null,
    openProcurements: reorder?.open ?? [],
    procurementsStarted: reorder?.procurementsStarted ?? 0,
  }));

  const settings = await loadSettings();
  const maxChanges = input.maxChangesPerRun ?? settings.inventory.maxChangesPerRun;
  // histories recorded before the tuning section have no value: a remote activity, as it ran
  const applyChange = settings.tuning?.localActivities === true ? local.applyStockChange : applyStockChange;
  if (!reorder) {
    const loaded = await loadReorderState(sku);
    reorder = {
      rule: loaded.rule,
      stock: loaded.stock,
      open: loaded.open,
      nextPurchaseOrderSeq: loaded.nextPurchaseOrderSeq,
      supplierAlertVersion: null,
      procurementsStarted: 0,
    };
    evaluate = true;
    // just read from Postgres: a re-check asked meanwhile has nothing more to read
    reloadRequested = false;
  }
  const state: ReorderState = reorder;

  /** Starts one procurement when projected stock is at or below the reorder point. */
  async function evaluateReorder(): Promise<void> {
    if (!state.rule || !state.stock) return;
    const projected = projectedStock(state.stock, state.open);
    const quantity = reorderQuantity(state.rule, projected);
    if (quantity === 0) return;
    if (!state.rule.supplierKnown) {
      // the supplier record may have arrived since the rule was read
      state.rule = await readReorderRule(sku);
      if (!state.rule) return;
    }
    const rule = state.rule;
    if (!rule.supplierId || !rule.supplierKnown) {
      if (state.supplierAlertVersion !== rule.version) {
        await raiseNoSupplierAlert({
          sku,
          supplierId: rule.supplierId,
          ruleVersion: rule.version,
          projected,
        });
        state.supplierAlertVersion = rule.version;
      }
      return;
    }
    const purchaseOrderId = purchaseOrderIdFor(sku, state.nextPurchaseOrderSeq);
    const workflowId = procurementWorkflowId(purchaseOrderId);
    // counted as on order before the start is awaited, so nothing evaluated meanwhile orders again
    state.nextPurchaseOrderSeq++;
    state.procurementsStarted++;
    state.open.push({ purchaseOrderId, workflowId, quantity, received: 0 });
    const child: ProcurementInput = {
      purchaseOrderId,
      sku,
      quantity,
      supplierId: rule.supplierId,
      leadTimeDays: rule.leadTimeDays,
      parentWorkflowId: workflowInfo().workflowId,
    };
    log.info('reorder point reached: procurement started', { sku, projected, quantity, purchaseOrderId });
    try {
      await startChild<typeof procurementWorkflow>(WORKFLOW_TYPES.procurement, {
        workflowId,
        args: [child],
        // the procurement outlives this run's continue-as-new; it signals the SKU's workflow by id
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      // a procurement with this id exists already (started before a restart of this chain): it
      // stays counted as on order and reports its progress like any other
      log.warn('procurement not started', { sku, purchaseOrderId, error: (err as Error).message });
    }
  }

  /**
   * Rule, stock and purchase orders as Postgres has them now (the sweep's request). A purchase order
   * this chain started is kept as on order until Postgres knows it (its sequence is not below the
   * next one Postgres would give), so an order being created is never ordered twice; one Postgres
   * knows and no longer lists as open was closed or cancelled without this workflow hearing of it.
   */
  async function reloadFromDatabase(): Promise<void> {
    const reportsBefore = progressReports;
    const loaded = await loadReorderState(sku);
    const known = new Set(loaded.open.map((p) => p.purchaseOrderId));
    const notYetStored = state.open.filter((p) => {
      const seq = purchaseOrderSeqOf(sku, p.purchaseOrderId);
      return !known.has(p.purchaseOrderId) && seq !== null && seq >= loaded.nextPurchaseOrderSeq;
    });
    const before = state.stock;
    state.rule = loaded.rule;
    state.stock = loaded.stock;
    state.open = [...loaded.open, ...notYetStored];
    state.nextPurchaseOrderSeq = Math.max(state.nextPurchaseOrderSeq, loaded.nextPurchaseOrderSeq);
    onHand = loaded.stock.onHand;
    // a procurement reported while Postgres was read: what was read may predate it, so read again
    if (progressReports !== reportsBefore) reloadRequested = true;
    if (before && available(loaded.stock) > available(before)) await notifyBackorderedOrders({ sku });
    evaluate = true;
  }

  for (;;) {
    await condition(() => pending.length > 0 || stockDirty || ruleDirty || evaluate || reloadRequested);
    // at most one run's worth: the rest is carried into the next run
    while (pending.length > 0 && changesInRun < maxChanges) {
      const change = pending[0] as StockChange;
      const outcome = await applyChange(change);
      pending.shift();
      appliedInRun++;
      changesInRun++;
      onHand = outcome.onHand;
      stockDirty = true;
      if (outcome.status === 'rejected') {
        log.warn('stock change rejected', {
          sku,
          eventId: change.cause.id,
          correlationId: change.cause.correlationId,
          reason: outcome.reason,
        });
      }
    }
    if (reloadRequested) {
      reloadRequested = false;
      await reloadFromDatabase();
    }
    if (ruleDirty) {
      ruleDirty = false;
      state.rule = await readReorderRule(sku);
      evaluate = true;
    }
    if (stockDirty) {
      stockDirty = false;
      const before = state.stock;
      state.stock = await readStockLevel(sku);
      onHand = state.stock.onHand;
      // more available than before (a count, a return, a released reservation): backordered orders
      // of this SKU try again; goods received are announced by their procurement
      if (before && available(state.stock) > available(before)) await notifyBackorderedOrders({ sku });
      evaluate = true;
    }
    // a reload still to do first would evaluate on newer purchase orders
    if (evaluate && !reloadRequested) {
      evaluate = false;
      await evaluateReorder();
    }
    if (changesInRun >= maxChanges || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof inventoryItemWorkflow>({
        sku,
        pending,
        appliedBefore: (input.appliedBefore ?? 0) + appliedInRun,
        onHand,
        recentCauses: [...recentCauses],
        maxChangesPerRun: input.maxChangesPerRun,
        reorder: state,
        recheck: stockDirty || ruleDirty || evaluate || reloadRequested,
      });
    }
  }
}
