/** Every workflow type the worker registers. */
export { inventoryItemWorkflow } from './inventory-item';
export { webhookSubscriptionWorkflow } from './webhook-subscription';
