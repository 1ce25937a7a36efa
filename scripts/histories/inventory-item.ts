/**
 * inventoryItemWorkflow: stock changes (one rejected, one delivered twice), a reservation, a rule
 * change, the reorder point crossed (a procurement child started), continue-as-new after three.
 */
import { inventoryWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../../domain/names';
import {
  inventoryStateQuery,
  reorderSettingsChangedSignal,
  stockLevelChangedSignal,
  type InventoryItemInput,
  type StockChange,
} from '../../domain/inventory';
import { sendStockChange, signalSkuWorkflow } from '../../api/planners/inventory';
import { eventually, waitForApplied } from '../../test/support/harness';
import { fetchRunChain } from '../../lib/temporal';
import type { HistoryScenario } from './scenario';
import { seedReorderRule } from './reorder-fixtures';

export const inventoryItemScenario: HistoryScenario = {
  name: 'inventory-item',
  async run({ client, taskQueuePrefix, db, save }) {
    const sku = 'SKU-HISTORY-1';
    const workflowId = inventoryWorkflowId(sku);
    await seedReorderRule(db, sku, { reorderPoint: 5, orderUpTo: 20, packMultiple: 5, minOrderQuantity: 1 });
    const cause = (i: number) => ({
      source: 'record-histories',
      id: `evt-${i}`,
      correlationId: 'history-scenario',
    });
    const change = (i: number, c: Partial<StockChange>): StockChange => ({
      sku,
      reason: 'history scenario',
      cause: cause(i),
      ...c,
    });
    const input: InventoryItemInput = { sku, maxChangesPerRun: 3 };
    const taskQueue = workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.inventoryItem);
    for (const c of [change(1, { delta: 10 }), change(2, { delta: -4 }), change(3, { delta: -20 })]) {
      await sendStockChange(client, taskQueue, input, c);
    }
    await signalSkuWorkflow(client, taskQueue, input, reorderSettingsChangedSignal, { sku, cause: cause(4) });
    await signalSkuWorkflow(client, taskQueue, input, stockLevelChangedSignal, {
      sku,
      reason: 'reserved',
      cause: cause(5),
    });
    // counted down to 3: projected 3 ≤ 5, so 17 is ordered, rounded up to 20
    for (const c of [change(6, { quantity: 3 }), change(7, { delta: 2 }), change(7, { delta: 2 })]) {
      await sendStockChange(client, taskQueue, input, c);
    }
    await waitForApplied(client, workflowId, 5);
    await eventually(async () => {
      const s = await client.workflow.getHandle(workflowId).query(inventoryStateQuery);
      return s.procurementsStarted === 1 && s.pending === 0 ? s : undefined;
    });
    // and the run that started it continued as new
    await eventually(async () =>
      (await fetchRunChain(client, workflowId, { allRuns: true })).length >= 2 ? true : undefined,
    );
    return save(workflowId, 'inventory-item');
  },
};
