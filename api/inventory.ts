/** GET /v1/inventory/:sku: the SKU's stock and its workflow. */
import { Router } from 'express';
import { eq } from 'drizzle-orm';
import { inventoryWorkflowId } from '../domain/names';
import { skuSchema } from '../domain/events/inventory';
import { executionUiLink } from '../lib/temporal';
import { stockLevels } from '../db/schema';
import { Problem, validationProblem, zodFieldErrors } from './problem';
import type { AppDeps } from './app';
import { describeWorkflow } from './workflow-status';

export function inventoryRouter(deps: AppDeps): Router {
  const router = Router();

  /** Stock on hand, reserved and available for one SKU, with a link to its workflow. */
  router.get('/v1/inventory/:sku', async (req, res) => {
    const sku = skuSchema.safeParse(req.params.sku);
    if (!sku.success) throw validationProblem(zodFieldErrors(sku.error, 'sku'));
    const [level] = await deps.db.select().from(stockLevels).where(eq(stockLevels.sku, sku.data));
    if (!level)
      throw new Problem(404, 'not-found', 'SKU not found', `No stock recorded for SKU ${sku.data}.`);
    const workflowId = inventoryWorkflowId(sku.data);
    const workflow = await describeWorkflow(deps, workflowId);
    res.json({
      sku: level.sku,
      onHand: level.onHand,
      reserved: level.reserved,
      available: level.onHand - level.reserved,
      onOrder: 0,
      updatedAt: level.updatedAt.toISOString(),
      workflow,
      links: {
        self: `/v1/inventory/${encodeURIComponent(level.sku)}`,
        temporalUi: executionUiLink(deps.temporal.uiUrl, deps.temporal.namespace, workflowId, workflow.runId),
      },
    });
  });

  return router;
}
