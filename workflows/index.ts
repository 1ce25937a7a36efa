/** Every workflow type the worker registers. */
export { inventoryItemWorkflow } from './inventory-item';
export { orderWorkflow } from './order';
export { procurementWorkflow } from './procurement';
export { ticketWorkflow } from './ticket';
export { customerFollowUpWorkflow } from './customer-follow-up';
export { webhookSubscriptionWorkflow } from './webhook-subscription';
export { paymentReconciliationWorkflow } from './payment-reconciliation';
export { inventorySweepWorkflow } from './inventory-sweep';
export { receivablesAgeingReportWorkflow } from './receivables-ageing-report';
export { reconciliationBatchWorkflow } from './reconciliation-batch';
export { replayRunWorkflow } from './replay-run';
