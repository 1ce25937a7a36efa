/**
 * One long-lived workflow per SKU. It receives every stock change for its SKU as a signal, applies
 * each in arrival order through an idempotent activity, and continues-as-new (carrying whatever is
 * not yet applied) before its history grows large.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  inventoryStateQuery,
  stockChangeCauseKey,
  stockChangedSignal,
  type InventoryItemInput,
  type StockChange,
} from '../domain/inventory';
import { ACTIVITY_PRESETS } from './presets';

const { applyStockChange } = proxyActivities<ReturnType<typeof createActivities>>(ACTIVITY_PRESETS.short);

export const DEFAULT_MAX_CHANGES_PER_RUN = 500;
/** How many recent change keys the workflow remembers to ignore a re-delivered change. */
export const RECENT_CAUSES_KEPT = 2000;

/** The SKU's inventory workflow (id: inventoryWorkflowId(sku)). */
export async function inventoryItemWorkflow(input: InventoryItemInput): Promise<void> {
  const pending: StockChange[] = [...(input.pending ?? [])];
  const maxChanges = input.maxChangesPerRun ?? DEFAULT_MAX_CHANGES_PER_RUN;
  let appliedInRun = 0;
  let onHand: number | null = input.onHand ?? null;
  let duplicatesIgnored = 0;
  // insertion-ordered, so the oldest keys are dropped first
  const recentCauses = new Set<string>(input.recentCauses ?? []);

  setHandler(stockChangedSignal, (change) => {
    const key = stockChangeCauseKey(change);
    if (recentCauses.has(key)) {
      // a route retried after a lost acknowledgement: the first delivery counts
      duplicatesIgnored++;
      log.info('duplicate stock change ignored', {
        sku: input.sku,
        eventId: change.cause.id,
        correlationId: change.cause.correlationId,
      });
      return;
    }
    recentCauses.add(key);
    if (recentCauses.size > RECENT_CAUSES_KEPT) {
      recentCauses.delete(recentCauses.values().next().value as string);
    }
    pending.push(change);
  });
  setHandler(inventoryStateQuery, () => ({
    sku: input.sku,
    onHand,
    applied: (input.appliedBefore ?? 0) + appliedInRun,
    pending: pending.length,
    duplicatesIgnored,
  }));

  for (;;) {
    await condition(() => pending.length > 0);
    while (pending.length > 0) {
      const change = pending[0] as StockChange;
      const outcome = await applyStockChange(change);
      pending.shift();
      appliedInRun++;
      onHand = outcome.onHand;
      if (outcome.status === 'rejected') {
        log.warn('stock change rejected', {
          sku: input.sku,
          eventId: change.cause.id,
          correlationId: change.cause.correlationId,
          reason: outcome.reason,
        });
      }
    }
    if (appliedInRun >= maxChanges || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof inventoryItemWorkflow>({
        sku: input.sku,
        pending,
        appliedBefore: (input.appliedBefore ?? 0) + appliedInRun,
        onHand,
        recentCauses: [...recentCauses],
        maxChangesPerRun: input.maxChangesPerRun,
      });
    }
  }
}
