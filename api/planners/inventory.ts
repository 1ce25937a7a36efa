/**
 * Routes of inventory events: stock changes and reorder rule changes go to the SKU's long-lived
 * workflow (signal-with-start); a purchase order's confirmation and receipts go to its procurement
 * workflow (signal; it exists only once the SKU's workflow started it).
 */
import { signalWithStartKeyed } from '../../lib/temporal';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import {
  inventoryWorkflowId,
  procurementWorkflowId,
  WORKFLOW_TYPES,
  workflowTaskQueue,
} from '../../domain/names';
import {
  reorderSettingsChangedSignal,
  stockChangedSignal,
  type InventoryItemInput,
  type StockChange,
} from '../../domain/inventory';
import {
  goodsReceivedSignal,
  purchaseOrderConfirmedSignal,
  type ProcurementInput,
  type ProcurementState,
} from '../../domain/procurement';
import type {
  GoodsReceivedV1,
  PurchaseOrderConfirmedV1,
  ReorderSettingsChangedV1,
  StockAdjustedV1,
} from '../../domain/events/inventory';
import type { ProductUpsertedV1 } from '../../domain/events/masterdata';
import type { EventType } from '../../domain/events/catalogue';
import type { RoutePlan, RoutePlanner, StoredEvent } from '../routing';
import { causeOf, signalRunning } from './plans';

/** Tells the SKU's workflow its rule changed (it reads the rule projected in the same transaction). */
function ruleChanged(event: StoredEvent, sku: string): RoutePlan {
  return {
    workflowId: inventoryWorkflowId(sku),
    async deliver(client, prefix) {
      const taskQueue = workflowTaskQueue(prefix, WORKFLOW_TYPES.inventoryItem);
      const runId = await signalSkuWorkflow(client, taskQueue, { sku }, reorderSettingsChangedSignal, {
        sku,
        cause: causeOf(event),
      });
      return { runId };
    },
  };
}

/**
 * Signals a purchase order's procurement workflow. When none is running for that purchase order
 * (an unknown order, or one already closed or cancelled) the route stays pending with the error,
 * visible in the audit log; the relay retries it.
 */
const toProcurement = <T>(purchaseOrderId: string, signal: SignalDefinition<[T]>, payload: T): RoutePlan =>
  signalRunning(procurementWorkflowId(purchaseOrderId), signal, payload);

export const inventoryPlanners: Partial<Record<EventType, RoutePlanner>> = {
  'inventory.stock_adjusted': (event) => {
    const data = event.data as StockAdjustedV1;
    const change: StockChange = {
      sku: data.sku,
      ...(data.delta !== undefined ? { delta: data.delta } : { quantity: data.quantity }),
      reason: data.reason,
      cause: causeOf(event),
    };
    return {
      workflowId: inventoryWorkflowId(data.sku),
      async deliver(client, prefix) {
        const taskQueue = workflowTaskQueue(prefix, WORKFLOW_TYPES.inventoryItem);
        return { runId: await sendStockChange(client, taskQueue, { sku: data.sku }, change) };
      },
    };
  },
  'inventory.reorder_settings_changed': (event) =>
    ruleChanged(event, (event.data as ReorderSettingsChangedV1).sku),
  // a product upsert carrying a reorder rule changes the rule too
  'product.upserted': (event) => {
    const data = event.data as ProductUpsertedV1;
    return data.reorderSettings ? ruleChanged(event, data.sku) : null;
  },
  'purchase_order.confirmed': (event) => {
    const data = event.data as PurchaseOrderConfirmedV1;
    const plan = toProcurement(data.purchaseOrderId, purchaseOrderConfirmedSignal, {
      purchaseOrderId: data.purchaseOrderId,
      expectedDate: data.expectedDate,
      confirmedAt: data.confirmedAt,
      ...(data.supplierReference ? { supplierReference: data.supplierReference } : {}),
      cause: causeOf(event),
    });
    return {
      workflowId: plan.workflowId,
      async deliver(client, prefix) {
        try {
          return await plan.deliver(client, prefix);
        } catch (err) {
          // out of order: the goods came first (they count as the confirmation) and closed the
          // order; the late confirmation has nothing left to confirm and is delivered as a no-op
          const closed =
            err instanceof WorkflowNotFoundError && (await closedByReceipt(client, plan.workflowId));
          if (closed) return { runId: closed };
          throw err;
        }
      },
    };
  },
  'goods.received': (event) => {
    const data = event.data as GoodsReceivedV1;
    return toProcurement(data.purchaseOrderId, goodsReceivedSignal, {
      purchaseOrderId: data.purchaseOrderId,
      receiptId: data.receiptId,
      lines: data.lines,
      receivedAt: data.receivedAt,
      cause: causeOf(event),
    });
  },
};

/** The run id of the procurement when it ended `closed` (fully received), else undefined. */
async function closedByReceipt(client: Client, workflowId: string): Promise<string | undefined> {
  const handle =
    client.workflow.getHandle<(input: ProcurementInput) => Promise<ProcurementState>>(workflowId);
  const described = await handle.describe().catch(() => undefined);
  if (described?.status.name !== 'COMPLETED') return undefined;
  const result = await handle.result();
  return result.status === 'closed' ? described.runId : undefined;
}

/** Signal-with-start of the SKU's workflow: starts it when needed and hands it the signal. */
export async function signalSkuWorkflow<T>(
  client: Client,
  taskQueue: string,
  input: InventoryItemInput,
  signal: SignalDefinition<[T]>,
  payload: T,
): Promise<string> {
  return signalWithStartKeyed(client, {
    type: WORKFLOW_TYPES.inventoryItem,
    workflowId: inventoryWorkflowId(input.sku),
    taskQueue,
    args: [input],
    signal,
    signalArgs: [payload],
  });
}

/** Signal-with-start of the SKU's workflow with one stock change. */
export async function sendStockChange(
  client: Client,
  taskQueue: string,
  input: InventoryItemInput,
  change: StockChange,
): Promise<string> {
  return signalSkuWorkflow(client, taskQueue, input, stockChangedSignal, change);
}
