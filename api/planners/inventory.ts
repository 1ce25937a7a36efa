/** Routes of inventory events: stock changes go to the SKU's long-lived workflow. */
import type { Client } from '@temporalio/client';
import { inventoryWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../../domain/names';
import { stockChangedSignal, type InventoryItemInput, type StockChange } from '../../domain/inventory';
import type { StockAdjustedV1 } from '../../domain/events/inventory';
import type { EventType } from '../../domain/events/catalogue';
import type { RoutePlanner } from '../routing';

export const inventoryPlanners: Partial<Record<EventType, RoutePlanner>> = {
  'inventory.stock_adjusted': (event) => {
    const data = event.data as StockAdjustedV1;
    const change: StockChange = {
      sku: data.sku,
      ...(data.delta !== undefined ? { delta: data.delta } : { quantity: data.quantity }),
      reason: data.reason,
      cause: { source: event.source, id: event.id, correlationId: event.correlationId },
    };
    return {
      workflowId: inventoryWorkflowId(data.sku),
      async deliver(client, prefix) {
        const taskQueue = workflowTaskQueue(prefix, WORKFLOW_TYPES.inventoryItem);
        return { runId: await sendStockChange(client, taskQueue, { sku: data.sku }, change) };
      },
    };
  },
};

/** Signal-with-start of the SKU's workflow: starts it when needed and hands it the change. */
export async function sendStockChange(
  client: Client,
  taskQueue: string,
  input: InventoryItemInput,
  change: StockChange,
): Promise<string> {
  const handle = await client.workflow.signalWithStart(WORKFLOW_TYPES.inventoryItem, {
    workflowId: inventoryWorkflowId(input.sku),
    // a running execution for the SKU takes the signal; a closed one is followed by a new run
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    taskQueue,
    args: [input],
    signal: stockChangedSignal,
    signalArgs: [change],
  });
  return handle.signaledRunId;
}
