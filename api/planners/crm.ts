/**
 * Routes of crm events. support.* go to the ticket's workflow and customer.behaviour to the
 * customer's long-lived workflow, all by signal-with-start: an event for a ticket whose
 * support.requested has not arrived (yet) starts the ticket's workflow, which holds it until the
 * request comes (for at most crm.unknownTicketWait, then drops it with a warning). Workflows ignore
 * an event they already received (same source and id).
 */
import { signalWithStartKeyed } from '../../lib/temporal';
import type { Client } from '@temporalio/client';
import {
  behaviourSignal,
  taskCompletedSignal,
  ticketEventSignal,
  type BehaviourSignal,
  type TaskCompleted,
  type TicketEvent,
} from '../../domain/crm';
import {
  customerFollowUpWorkflowId,
  ticketWorkflowId,
  WORKFLOW_TYPES,
  workflowTaskQueue,
} from '../../domain/names';
import type {
  CustomerBehaviourV1,
  SupportAgentRespondedV1,
  SupportCustomerRepliedV1,
  SupportRequestedV1,
  SupportResolvedV1,
} from '../../domain/events/crm';
import type { EventType } from '../../domain/events/catalogue';
import type { RoutePlan, RoutePlanner } from '../routing';
import { causeOf } from './plans';

/** Signal-with-start of the ticket's workflow with one ticket event. */
export async function sendTicketEvent(
  client: Client,
  taskQueuePrefix: string,
  ticketId: string,
  event: TicketEvent,
): Promise<string> {
  return signalWithStartKeyed(client, {
    type: WORKFLOW_TYPES.ticket,
    workflowId: ticketWorkflowId(ticketId),
    taskQueue: workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.ticket),
    args: [{ ticketId }],
    signal: ticketEventSignal,
    signalArgs: [event],
  });
}

/** Signal-with-start of the customer's follow-up workflow. */
export async function sendToCustomer(
  client: Client,
  taskQueuePrefix: string,
  customerId: string,
  message: { behaviour: BehaviourSignal } | { taskCompleted: TaskCompleted },
): Promise<string> {
  const common = {
    type: WORKFLOW_TYPES.customerFollowUp,
    workflowId: customerFollowUpWorkflowId(customerId),
    taskQueue: workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.customerFollowUp),
    args: [{ customerId }],
  };
  return 'behaviour' in message
    ? signalWithStartKeyed(client, { ...common, signal: behaviourSignal, signalArgs: [message.behaviour] })
    : signalWithStartKeyed(client, {
        ...common,
        signal: taskCompletedSignal,
        signalArgs: [message.taskCompleted],
      });
}

function ticketPlan(ticketEvent: TicketEvent): RoutePlan {
  const ticketId = ticketEvent.kind === 'requested' ? ticketEvent.request.ticketId : ticketEvent.ticketId;
  return {
    workflowId: ticketWorkflowId(ticketId),
    async deliver(client, prefix) {
      return { runId: await sendTicketEvent(client, prefix, ticketId, ticketEvent) };
    },
  };
}

export const crmPlanners: Partial<Record<EventType, RoutePlanner>> = {
  'support.requested': (event) =>
    ticketPlan({ kind: 'requested', request: event.data as SupportRequestedV1, cause: causeOf(event) }),
  'support.agent_responded': (event) => {
    const d = event.data as SupportAgentRespondedV1;
    return ticketPlan({
      kind: 'agent_responded',
      ticketId: d.ticketId,
      agentId: d.agentId,
      at: d.respondedAt,
      ...(d.message ? { message: d.message } : {}),
      cause: causeOf(event),
    });
  },
  'support.customer_replied': (event) => {
    const d = event.data as SupportCustomerRepliedV1;
    return ticketPlan({
      kind: 'customer_replied',
      ticketId: d.ticketId,
      at: d.repliedAt,
      ...(d.message ? { message: d.message } : {}),
      cause: causeOf(event),
    });
  },
  'support.resolved': (event) => {
    const d = event.data as SupportResolvedV1;
    return ticketPlan({
      kind: 'resolved',
      ticketId: d.ticketId,
      resolvedBy: d.resolvedBy,
      at: d.resolvedAt,
      ...(d.resolution ? { resolution: d.resolution } : {}),
      cause: causeOf(event),
    });
  },
  'customer.behaviour': (event) => {
    const d = event.data as CustomerBehaviourV1;
    const behaviour: BehaviourSignal = {
      customerId: d.customerId,
      kind: d.kind,
      ...(d.value !== undefined ? { value: d.value } : {}),
      occurredAt: d.occurredAt,
      cause: causeOf(event),
    };
    return {
      workflowId: customerFollowUpWorkflowId(d.customerId),
      async deliver(client, prefix) {
        return { runId: await sendToCustomer(client, prefix, d.customerId, { behaviour }) };
      },
    };
  },
};
