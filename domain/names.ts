/**
 * Names defined once: domains and their task queues, workflow ids derived from business keys,
 * workflow type names. Sandbox-safe (no I/O): imported by workflows, activities, workers and the API.
 */

/** The business domains; each has its own task queue, so workers can be scaled per domain. */
export const DOMAINS = ['sales', 'inventory', 'finance', 'crm'] as const;
export type Domain = (typeof DOMAINS)[number];

/** The task queue of a domain: `<prefix>-<domain>` (prefix from TEMPORAL_TASK_QUEUE). */
export const taskQueueName = (prefix: string, domain: Domain): string => `${prefix}-${domain}`;

/** The SKU's long-lived inventory workflow. */
export const inventoryWorkflowId = (sku: string): string => `sku-${sku}`;
/** An order's order-to-cash workflow. */
export const orderWorkflowId = (orderId: string): string => `order-${orderId}`;
/** A purchase order's procurement workflow (a child of the SKU's workflow). */
export const procurementWorkflowId = (purchaseOrderId: string): string => `procurement-${purchaseOrderId}`;
/** A support ticket's workflow. */
export const ticketWorkflowId = (ticketId: string): string => `ticket-${ticketId}`;
/** A customer's long-lived follow-up workflow (behaviour scoring, sales follow-ups). */
export const customerFollowUpWorkflowId = (customerId: string): string => `customer-${customerId}`;
/** A webhook subscription's long-lived delivery workflow. */
export const webhookSubscriptionWorkflowId = (subscriptionId: string): string => `webhook-${subscriptionId}`;

/** A received payment's reconciliation (match, or an exception waiting for an operator). */
export const paymentReconciliationWorkflowId = (paymentId: string): string => `payment-${paymentId}`;

/** A selective replay run (re-drives events, resets failed executions; POST /v1/replays). */
export const replayRunWorkflowId = (runId: string): string => `replay-${runId}`;

/** The Temporal Schedules that run batch work, registered at worker start. */
export const SCHEDULE_IDS = {
  reconciliationNightly: 'reconciliation-nightly',
  inventorySweep: 'inventory-sweep',
  receivablesAgeingReport: 'receivables-ageing-report',
} as const;
export type ScheduleId = (typeof SCHEDULE_IDS)[keyof typeof SCHEDULE_IDS];

export const WORKFLOW_TYPES = {
  inventoryItem: 'inventoryItemWorkflow',
  order: 'orderWorkflow',
  procurement: 'procurementWorkflow',
  ticket: 'ticketWorkflow',
  customerFollowUp: 'customerFollowUpWorkflow',
  webhookSubscription: 'webhookSubscriptionWorkflow',
  paymentReconciliation: 'paymentReconciliationWorkflow',
  reconciliationBatch: 'reconciliationBatchWorkflow',
  inventorySweep: 'inventorySweepWorkflow',
  receivablesAgeingReport: 'receivablesAgeingReportWorkflow',
  replayRun: 'replayRunWorkflow',
} as const;
export type WorkflowType = (typeof WORKFLOW_TYPES)[keyof typeof WORKFLOW_TYPES];

/** The domain (and so the task queue) each workflow type runs on. */
export const WORKFLOW_DOMAINS: Record<WorkflowType, Domain> = {
  inventoryItemWorkflow: 'inventory',
  orderWorkflow: 'sales',
  procurementWorkflow: 'inventory',
  ticketWorkflow: 'crm',
  customerFollowUpWorkflow: 'crm',
  // outbound notifications sit with CRM's other outgoing communication; no fifth queue to deploy
  webhookSubscriptionWorkflow: 'crm',
  paymentReconciliationWorkflow: 'finance',
  reconciliationBatchWorkflow: 'finance',
  inventorySweepWorkflow: 'inventory',
  receivablesAgeingReportWorkflow: 'finance',
  // batch work beside the nightly runs; its rate limit keeps it from starving live traffic
  replayRunWorkflow: 'finance',
};

/** The task queue a workflow type runs on, given the configured prefix. */
export const workflowTaskQueue = (prefix: string, type: WorkflowType): string =>
  taskQueueName(prefix, WORKFLOW_DOMAINS[type]);
