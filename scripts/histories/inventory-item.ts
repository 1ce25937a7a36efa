/** inventoryItemWorkflow: five changes (one rejected), continue-as-new after three. */
import { inventoryWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../../domain/names';
import type { InventoryItemInput, StockChange } from '../../domain/inventory';
import { sendStockChange } from '../../api/routing';
import { waitForApplied } from '../../test/support/harness';
import type { HistoryScenario } from './scenario';

export const inventoryItemScenario: HistoryScenario = {
  name: 'inventory-item',
  async run({ client, taskQueuePrefix, save }) {
    const sku = 'SKU-HISTORY-1';
    const workflowId = inventoryWorkflowId(sku);
    const change = (i: number, c: Partial<StockChange>): StockChange => ({
      sku,
      reason: 'history scenario',
      cause: { source: 'record-histories', id: `evt-${i}`, correlationId: 'history-scenario' },
      ...c,
    });
    const changes = [
      change(1, { delta: 10 }),
      change(2, { delta: -4 }),
      change(3, { delta: -20 }),
      change(4, { quantity: 3 }),
      change(5, { delta: 2 }),
      // delivered twice, the way a retried route would: the workflow ignores the repeat
      change(5, { delta: 2 }),
    ];
    const input: InventoryItemInput = { sku, maxChangesPerRun: 3 };
    const taskQueue = workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.inventoryItem);
    for (const c of changes) await sendStockChange(client, taskQueue, input, c);
    await waitForApplied(client, workflowId, 5);
    return save(workflowId, 'inventory-item');
  },
};
