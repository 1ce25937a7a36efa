/**
 * Names defined once: workflow ids derived from business keys, workflow type names.
 * Sandbox-safe (no I/O): imported by workflows, activities, workers and the API.
 */

/** The SKU's long-lived inventory workflow. */
export const inventoryWorkflowId = (sku: string): string => `sku-${sku}`;

export const WORKFLOW_TYPES = {
  inventoryItem: 'inventoryItemWorkflow',
} as const;
