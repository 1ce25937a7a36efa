/** Helpers of the reorder and procurement integration tests, over one harness. */
import request from 'supertest';
import { and, eq } from 'drizzle-orm';
import { outbox, purchaseOrderLines, purchaseOrders } from '../../db/schema';
import { inventoryStateQuery, type InventoryItemState } from '../../domain/inventory';
import { inventoryWorkflowId } from '../../domain/names';
import { eventually, stockAdjusted, uniqueKey, type Harness } from './harness';

export function reorderHelpers(harness: () => Harness) {
  const h = () => harness();
  const db = () => h().database.db;
  const skuState = (sku: string) =>
    h().temporal.client.workflow.getHandle(inventoryWorkflowId(sku)).query(inventoryStateQuery);

  async function supplier(): Promise<string> {
    const id = uniqueKey('SUP');
    await request(h().app)
      .put(`/v1/suppliers/${id}`)
      .send({ name: 'Glassworks', currency: 'EUR' })
      .expect(201);
    return id;
  }

  async function product(sku: string, unitPrice = 250): Promise<void> {
    await request(h().app)
      .put(`/v1/products/${sku}`)
      .send({ name: `Product ${sku}`, unitPrice, currency: 'EUR' })
      .expect(201);
  }

  function rule(sku: string, r: Record<string, unknown>) {
    return request(h().app)
      .put(`/v1/inventory/${sku}/reorder-settings`)
      .send({ packMultiple: 1, minOrderQuantity: 1, leadTimeDays: 0, ...r });
  }

  async function adjust(sku: string, delta: number) {
    return request(h().app).post('/v1/events').send(stockAdjusted({ sku, delta })).expect(202);
  }

  async function purchaseOrdersOf(sku: string) {
    return db()
      .select({ po: purchaseOrders, line: purchaseOrderLines })
      .from(purchaseOrderLines)
      .innerJoin(purchaseOrders, eq(purchaseOrders.purchaseOrderId, purchaseOrderLines.purchaseOrderId))
      .where(eq(purchaseOrderLines.sku, sku));
  }

  /** Waits until the SKU has exactly one purchase order in `status`, and returns it. */
  async function onePurchaseOrder(sku: string, status = 'sent') {
    return eventually(async () => {
      const rows = await purchaseOrdersOf(sku);
      return rows.length === 1 && rows[0]?.po.status === status ? rows[0] : undefined;
    }, 30_000);
  }

  async function outboxOf(type: string, aggregateId: string) {
    return db()
      .select()
      .from(outbox)
      .where(and(eq(outbox.type, type), eq(outbox.aggregateId, aggregateId)));
  }

  async function waitForState(sku: string, ok: (s: InventoryItemState) => boolean, timeoutMs = 30_000) {
    return eventually(async () => {
      const s = await skuState(sku);
      return ok(s) ? s : undefined;
    }, timeoutMs);
  }

  /** Sets up a SKU with a known supplier, a product at `unitPrice` and a rule; returns the supplier. */
  async function skuWithRule(sku: string, r: Record<string, unknown>, unitPrice = 250): Promise<string> {
    const sup = await supplier();
    await product(sku, unitPrice);
    await rule(sku, { supplierId: sup, ...r }).expect(201);
    return sup;
  }

  return {
    db,
    skuState,
    supplier,
    product,
    rule,
    adjust,
    purchaseOrdersOf,
    onePurchaseOrder,
    outboxOf,
    waitForState,
    skuWithRule,
  };
}
