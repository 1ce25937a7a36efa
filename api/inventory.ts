/**
 * Inventory over REST: a SKU's stock, what is on order and its workflow (GET /v1/inventory/:sku),
 * and its reorder rule (PUT /v1/inventory/:sku/reorder-settings, the same upsert event as
 * PUT /v1/products/:sku/reorder-settings, which also tells the SKU's workflow).
 */
import { Router } from 'express';
import { and, eq, inArray } from 'drizzle-orm';
import { inventoryWorkflowId } from '../domain/names';
import { skuSchema } from '../domain/events/inventory';
import { executionUiLink } from '../lib/temporal';
import { purchaseOrderLines, purchaseOrders, reorderSettings, stockLevels } from '../db/schema';
import { OPEN_PURCHASE_ORDER_STATUSES } from '../domain/procurement';
import { Problem, pathParam } from './problem';
import { command } from './idempotency';
import { reorderSettingsView, saved, upsertThroughEvent } from './masterdata';
import type { AppDeps } from './app';
import { describeWorkflow } from './workflow-status';

export function inventoryRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;

  /** Stock on hand, reserved, available and on order for one SKU, its rule, open orders and workflow. */
  router.get('/v1/inventory/:sku', async (req, res) => {
    const sku = pathParam(req, 'sku', skuSchema);
    const [[level], [rule], open] = await Promise.all([
      db.select().from(stockLevels).where(eq(stockLevels.sku, sku)),
      db.select().from(reorderSettings).where(eq(reorderSettings.sku, sku)),
      db
        .select({ po: purchaseOrders, line: purchaseOrderLines })
        .from(purchaseOrderLines)
        .innerJoin(purchaseOrders, eq(purchaseOrders.purchaseOrderId, purchaseOrderLines.purchaseOrderId))
        .where(
          and(
            eq(purchaseOrderLines.sku, sku),
            inArray(purchaseOrders.status, [...OPEN_PURCHASE_ORDER_STATUSES]),
          ),
        )
        .orderBy(purchaseOrders.createdAt),
    ]);
    if (!level && !rule)
      throw new Problem(
        404,
        'not-found',
        'SKU not found',
        `No stock or reorder rule recorded for SKU ${sku}.`,
      );
    const onHand = level?.onHand ?? 0;
    const reserved = level?.reserved ?? 0;
    const workflowId = inventoryWorkflowId(sku);
    const workflow = await describeWorkflow(deps, workflowId);
    res.json({
      sku,
      onHand,
      reserved,
      available: onHand - reserved,
      onOrder: open.reduce((sum, { line }) => sum + Math.max(0, line.quantity - line.received), 0),
      reorderSettings: rule
        ? {
            reorderPoint: rule.reorderPoint,
            orderUpTo: rule.orderUpTo,
            packMultiple: rule.packMultiple,
            minOrderQuantity: rule.minOrderQuantity,
            leadTimeDays: rule.leadTimeDays,
            supplierId: rule.supplierId,
          }
        : null,
      openPurchaseOrders: open.map(({ po, line }) => ({
        purchaseOrderId: po.purchaseOrderId,
        supplierId: po.supplierId,
        quantity: line.quantity,
        received: line.received,
        status: po.status,
        expectedDate: po.expectedDate,
        links: { self: `/v1/purchase-orders/${encodeURIComponent(po.purchaseOrderId)}` },
      })),
      updatedAt: (level?.updatedAt ?? rule?.updatedAt ?? new Date()).toISOString(),
      workflow,
      links: {
        self: `/v1/inventory/${encodeURIComponent(sku)}`,
        temporalUi: executionUiLink(deps.temporal.uiUrl, deps.temporal.namespace, workflowId, workflow.runId),
      },
    });
  });

  /**
   * Sets the SKU's reorder rule: stored as inventory.reorder_settings_changed from erp-api/rest,
   * projected, and signalled to the SKU's workflow, which re-evaluates at once.
   */
  router.put(
    '/v1/inventory/:sku/reorder-settings',
    command(deps, 'PUT /v1/inventory/:sku/reorder-settings', async (req) => {
      const sku = pathParam(req, 'sku', skuSchema);
      await upsertThroughEvent(deps, req, 'inventory.reorder_settings_changed', { field: 'sku', value: sku });
      const [row] = await db.select().from(reorderSettings).where(eq(reorderSettings.sku, sku));
      if (!row) throw new Error(`reorder rule of ${sku} not stored`);
      const view = reorderSettingsView(row);
      return saved(row, view, view.links.self);
    }),
  );

  return router;
}
