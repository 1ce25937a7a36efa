/**
 * Routes of sales events: order.placed starts the order's workflow (once: a second order.placed for
 * the same order finds it started, which counts as delivered); order.approved, order.cancel_requested
 * and shipment.confirmed reach it as its updates.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  type Client,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { orderWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../../domain/names';
import {
  approveUpdate,
  cancelUpdate,
  confirmShipmentUpdate,
  type OrderWorkflowInput,
} from '../../domain/sales';
import type {
  OrderApprovedV1,
  OrderCancelRequestedV1,
  OrderPlacedV1,
  ShipmentConfirmedV1,
} from '../../domain/events/sales';
import type { EventType } from '../../domain/events/catalogue';
import type { RoutePlan, RoutePlanner, StoredEvent } from '../routing';
import { causeOf } from './plans';

/**
 * Starts the order's workflow unless one was ever started for it (reuse policy REJECT_DUPLICATE,
 * conflict policy USE_EXISTING); answers the run that has the order.
 */
export async function startOrderWorkflow(
  client: Client,
  taskQueuePrefix: string,
  input: OrderWorkflowInput,
): Promise<string> {
  const workflowId = orderWorkflowId(input.order.orderId);
  try {
    const handle = await client.workflow.start(WORKFLOW_TYPES.order, {
      workflowId,
      taskQueue: workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.order),
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return handle.firstExecutionRunId;
  } catch (err) {
    // the order's workflow ran before (and closed): the order was already placed
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return (await client.workflow.getHandle(workflowId).describe()).runId;
  }
}

/**
 * Delivers an event as an update of the order's workflow, waiting only until it is accepted (or
 * refused by the workflow's validator). A refusal, or a workflow that already closed, counts as
 * delivered: the workflow answered, and the event stays in the store. The event's key is the update
 * id, so a delivery repeated after a lost acknowledgement is the same update.
 */
async function deliverUpdate<Arg>(
  client: Client,
  workflowId: string,
  update: UpdateDefinition<unknown, [Arg]>,
  arg: Arg,
  event: StoredEvent,
): Promise<string> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const accepted = await handle.startUpdate(update, {
      args: [arg],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
      updateId: `${event.source}/${event.id}`,
    });
    return accepted.workflowRunId ?? (await handle.describe()).runId;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return (await handle.describe()).runId;
    const description = await handle.describe().catch(() => null);
    if (description && description.status.name !== 'RUNNING') return description.runId;
    throw err;
  }
}

/** A route that delivers the event as `update` of the order's workflow. */
function updateOrder<Arg>(
  event: StoredEvent,
  orderId: string,
  update: UpdateDefinition<unknown, [Arg]>,
  arg: Arg,
): RoutePlan {
  const workflowId = orderWorkflowId(orderId);
  return {
    workflowId,
    async deliver(client) {
      return { runId: await deliverUpdate(client, workflowId, update, arg, event) };
    },
  };
}

export const salesPlanners: Partial<Record<EventType, RoutePlanner>> = {
  'order.placed': (event) => {
    const order = event.data as OrderPlacedV1;
    return {
      workflowId: orderWorkflowId(order.orderId),
      async deliver(client, prefix) {
        return { runId: await startOrderWorkflow(client, prefix, { order, cause: causeOf(event) }) };
      },
    };
  },
  'order.approved': (event) => {
    const data = event.data as OrderApprovedV1;
    const arg = { approvedBy: data.approvedBy, note: data.note, cause: causeOf(event) };
    return updateOrder(event, data.orderId, approveUpdate, arg);
  },
  'order.cancel_requested': (event) => {
    const data = event.data as OrderCancelRequestedV1;
    const arg = { reason: data.reason, requestedBy: data.requestedBy, cause: causeOf(event) };
    return updateOrder(event, data.orderId, cancelUpdate, arg);
  },
  'shipment.confirmed': (event) => {
    const data = event.data as ShipmentConfirmedV1;
    return updateOrder(event, data.orderId, confirmShipmentUpdate, {
      shipmentId: data.shipmentId,
      carrier: data.carrier,
      trackingNumber: data.trackingNumber,
      shippedAt: data.shippedAt,
      cause: causeOf(event),
    });
  },
};
