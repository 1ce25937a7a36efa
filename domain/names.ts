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

export const WORKFLOW_TYPES = {
  inventoryItem: 'inventoryItemWorkflow',
} as const;

/** The domain (and so the task queue) each workflow type runs on. */
export const WORKFLOW_DOMAINS: Record<(typeof WORKFLOW_TYPES)[keyof typeof WORKFLOW_TYPES], Domain> = {
  inventoryItemWorkflow: 'inventory',
};
