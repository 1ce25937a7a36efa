/**
 * The hourly safety-net sweep, triggered through the schedules API against the real dev server,
 * workers and Postgres: a SKU whose stock dropped below its reorder point without an event (written
 * straight into Postgres) gets its procurement; a SKU with an open purchase order gets no second one;
 * a SKU whose workflow never ran is started and reorders; a rule without a supplier gets an alert.
 */
import request from 'supertest';
import { eq, sql } from 'drizzle-orm';
import { stockLevels } from '../../db/schema';
import { purchaseOrderIdFor, reorderCheckRequestedSignal } from '../../domain/inventory';
import { inventoryWorkflowId, procurementWorkflowId, SCHEDULE_IDS } from '../../domain/names';
import type { InventorySweepResult } from '../../domain/reports';
import { seedReorderRule } from '../../scripts/histories/reorder-fixtures';
import { deleteSchedules, registerSchedules, type ScheduleTarget } from '../../workers/schedules';
import { eventually, startHarness, uniqueKey, type Harness } from '../support/harness';
import { reorderHelpers } from '../support/reorder';

let h: Harness;
let target: ScheduleTarget;
beforeAll(async () => {
  h = await startHarness();
  target = { taskQueuePrefix: h.taskQueuePrefix, idPrefix: h.scheduleIdPrefix };
  await registerSchedules(h.temporal.client, target);
});
afterAll(async () => {
  if (h) await deleteSchedules(h.temporal.client, target).catch(() => undefined);
  await h?.close();
});

const {
  db,
  skuState,
  adjust,
  purchaseOrdersOf,
  onePurchaseOrder,
  outboxOf,
  waitForState,
  skuWithRule,
  rule,
  product,
} = reorderHelpers(() => h);

const SWEEP = SCHEDULE_IDS.inventorySweep;

/** Triggers the sweep through the API and returns its result once its workflow completed. */
async function sweep(): Promise<InventorySweepResult> {
  const before = (await h.temporal.client.schedule.getHandle(`${h.scheduleIdPrefix}${SWEEP}`).describe()).info
    .numActionsTaken;
  await request(h.app).post(`/v1/schedules/${SWEEP}/trigger`).expect(202);
  const workflowId = await eventually(async () => {
    const d = await h.temporal.client.schedule.getHandle(`${h.scheduleIdPrefix}${SWEEP}`).describe();
    if (d.info.numActionsTaken <= before) return undefined;
    return d.info.recentActions[d.info.recentActions.length - 1]?.action.workflow.workflowId;
  });
  return h.temporal.client.workflow.getHandle(workflowId).result() as Promise<InventorySweepResult>;
}

/** Stock written straight into Postgres: the change no event (and so no workflow) ever saw. */
async function setStockBehindTheWorkflowsBack(sku: string, onHand: number): Promise<void> {
  await db()
    .update(stockLevels)
    .set({ onHand, updatedAt: sql`now()` })
    .where(eq(stockLevels.sku, sku));
}

describe('inventory sweep', () => {
  it('starts a procurement for a SKU whose stock event was lost, and no second one while it is open', async () => {
    const sku = uniqueKey('SKU');
    await skuWithRule(sku, { reorderPoint: 5, orderUpTo: 20 });
    await adjust(sku, 30);
    await waitForState(sku, (s) => s.onHand === 30 && s.rule !== null);
    // the event that took stock down to 2 was lost: the workflow still thinks 30
    await setStockBehindTheWorkflowsBack(sku, 2);
    expect(await purchaseOrdersOf(sku)).toHaveLength(0);

    const result = await sweep();
    expect(result.skus).toContain(sku);
    expect(result.found).toBeGreaterThanOrEqual(1);
    expect(result.signalled).toBe(result.found);
    expect(result.skusWithoutSupplier).not.toContain(sku);

    // the SKU's workflow re-read stock and ordered up to 20: 18
    const po = await onePurchaseOrder(sku);
    expect(po.po.purchaseOrderId).toBe(purchaseOrderIdFor(sku, 1));
    expect(po.line.quantity).toBe(18);
    const procurement = await h.temporal.client.workflow
      .getHandle(procurementWorkflowId(purchaseOrderIdFor(sku, 1)))
      .describe();
    expect(procurement.status.name).toBe('RUNNING');
    const state = await waitForState(sku, (s) => s.onHand === 2 && s.onOrder === 18);
    expect(state.procurementsStarted).toBe(1);

    // the purchase order is open: the next sweep leaves the SKU alone
    const again = await sweep();
    expect(again.skus).not.toContain(sku);
    // and a re-check asked directly changes nothing either (18 on order: projected 20 > 5)
    await h.temporal.client.workflow.getHandle(inventoryWorkflowId(sku)).signal(reorderCheckRequestedSignal, {
      sku,
      cause: { source: 'test', id: uniqueKey('check'), correlationId: 'test' },
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await purchaseOrdersOf(sku)).toHaveLength(1);
    expect((await skuState(sku)).procurementsStarted).toBe(1);
  });

  it('starts the workflow of a SKU that never had one, which then reorders', async () => {
    const sku = uniqueKey('SKU');
    // master data written straight into Postgres, as if every event about it were lost
    await seedReorderRule(db(), sku, {
      reorderPoint: 3,
      orderUpTo: 10,
      packMultiple: 5,
      minOrderQuantity: 1,
    });
    await expect(h.temporal.client.workflow.getHandle(inventoryWorkflowId(sku)).describe()).rejects.toThrow();

    const result = await sweep();
    expect(result.skus).toContain(sku);
    const po = await onePurchaseOrder(sku);
    // 10 − 0 rounded up to packs of 5
    expect(po.line.quantity).toBe(10);
  });

  it('raises one alert for a SKU whose rule names no supplier, however often it sweeps', async () => {
    const sku = uniqueKey('SKU');
    await product(sku);
    await rule(sku, { reorderPoint: 5, orderUpTo: 20, supplierId: uniqueKey('GHOST') }).expect(201);
    const alerts = async () =>
      (await outboxOf('alert.raised', sku)).filter(
        (r) => (r.payload as { kind?: string }).kind === 'reorder.no_supplier',
      );
    // the rule's own event already made the workflow raise it
    await eventually(async () => ((await alerts()).length === 1 ? true : undefined), 30_000);

    const first = await sweep();
    expect(first.skusWithoutSupplier).toContain(sku);
    const second = await sweep();
    expect(second.skusWithoutSupplier).toContain(sku);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await alerts()).toHaveLength(1);
    expect(await purchaseOrdersOf(sku)).toHaveLength(0);
  });
});
