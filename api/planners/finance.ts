/**
 * Routes of finance events: every received payment starts its reconciliation workflow
 * (`payment-<paymentId>`), which matches it, allocates a sure match or waits for review. A repeat of
 * the same payment joins the running workflow, or finds the payment settled.
 */
import { paymentReconciliationWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../../domain/names';
import type { PaymentReceivedV1 } from '../../domain/events/payments';
import type { EventType } from '../../domain/events/catalogue';
import type { PaymentReconciliationInput } from '../../domain/reconciliation';
import type { RoutePlanner } from '../routing';
import { causeOf } from './plans';

export const financePlanners: Partial<Record<EventType, RoutePlanner>> = {
  'payment.received': (event) => {
    const { paymentId, ...received } = event.data as PaymentReceivedV1;
    const workflowId = paymentReconciliationWorkflowId(paymentId);
    const input: PaymentReconciliationInput = { paymentId, received, cause: causeOf(event) };
    return {
      workflowId,
      async deliver(client, taskQueuePrefix) {
        const handle = await client.workflow.start(WORKFLOW_TYPES.paymentReconciliation, {
          workflowId,
          taskQueue: workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.paymentReconciliation),
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        });
        return { runId: handle.firstExecutionRunId };
      },
    };
  },
};
