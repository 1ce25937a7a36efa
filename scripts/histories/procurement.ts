/**
 * procurementWorkflow, two paths: confirmed late, received in part, an over-receipt rejected, the
 * rest received and closed; and never confirmed (a CRM task, a re-send, another task, cancelled).
 */
import type { Client } from '@temporalio/client';
import {
  inventoryWorkflowId,
  procurementWorkflowId,
  WORKFLOW_TYPES,
  workflowTaskQueue,
} from '../../domain/names';
import { purchaseOrderIdFor, type StockChange } from '../../domain/inventory';
import { goodsReceivedSignal, purchaseOrderConfirmedSignal } from '../../domain/procurement';
import { sendStockChange } from '../../api/planners/inventory';
import { eventually } from '../../test/support/harness';
import type { HistoryScenario } from './scenario';
import { seedReorderRule } from './reorder-fixtures';

/** Drives the SKU below its reorder point and returns the procurement its workflow started. */
async function startProcurement(client: Client, taskQueuePrefix: string, sku: string): Promise<string> {
  const change: StockChange = {
    sku,
    delta: 2,
    reason: 'history scenario',
    cause: { source: 'record-histories', id: `evt-${sku}`, correlationId: 'history-scenario' },
  };
  await sendStockChange(
    client,
    workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.inventoryItem),
    { sku },
    change,
  );
  const workflowId = procurementWorkflowId(purchaseOrderIdFor(sku, 1));
  await eventually(async () => ((await client.workflow.getHandle(workflowId).describe()) ? true : undefined));
  return workflowId;
}

export const procurementReceivedScenario: HistoryScenario = {
  name: 'procurement-received',
  async run({ client, taskQueuePrefix, db, save }) {
    const sku = 'SKU-HISTORY-2';
    await seedReorderRule(db, sku, { reorderPoint: 5, orderUpTo: 30, packMultiple: 1, minOrderQuantity: 1 });
    const workflowId = await startProcurement(client, taskQueuePrefix, sku);
    const purchaseOrderId = purchaseOrderIdFor(sku, 1);
    const handle = client.workflow.getHandle(workflowId);
    const cause = (id: string) => ({ source: 'record-histories', id, correlationId: 'history-scenario' });
    const receivedAt = new Date().toISOString();
    await handle.signal(purchaseOrderConfirmedSignal, {
      purchaseOrderId,
      expectedDate: '2026-01-05',
      confirmedAt: receivedAt,
      cause: cause('confirm-1'),
    });
    const receipt = (id: string, quantity: number) => ({
      purchaseOrderId,
      receiptId: id,
      lines: [{ sku, quantity }],
      receivedAt,
      cause: cause(id),
    });
    await handle.signal(goodsReceivedSignal, receipt('GR-1', 10));
    await handle.signal(goodsReceivedSignal, receipt('GR-2', 100));
    await handle.signal(goodsReceivedSignal, receipt('GR-3', 18));
    await handle.result();
    // the SKU's workflow keeps running; only the procurement is saved here
    await client.workflow.getHandle(inventoryWorkflowId(sku)).terminate('history recorded');
    return save(workflowId, 'procurement-received');
  },
};

export const procurementCancelledScenario: HistoryScenario = {
  name: 'procurement-cancelled',
  settings: { inventory: { confirmationTimeout: '1 second', maxConfirmationRetries: 1 } },
  async run({ client, taskQueuePrefix, db, save }) {
    const sku = 'SKU-HISTORY-3';
    await seedReorderRule(db, sku, { reorderPoint: 5, orderUpTo: 30, packMultiple: 1, minOrderQuantity: 1 });
    const workflowId = await startProcurement(client, taskQueuePrefix, sku);
    await client.workflow.getHandle(workflowId).result();
    await client.workflow.getHandle(inventoryWorkflowId(sku)).terminate('history recorded');
    return save(workflowId, 'procurement-cancelled');
  },
};
