/** Every workflow type the worker registers. */
export { inventoryItemWorkflow } from './inventory-item';
export { ticketWorkflow } from './ticket';
export { customerFollowUpWorkflow } from './customer-follow-up';
