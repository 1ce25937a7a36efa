/** A purchase order the supplier never confirms: CRM tasks for purchasing, a re-send, then cancel. */
import request from 'supertest';
import { eq } from 'drizzle-orm';
import { crmTasks } from '../../db/schema';
import { eventually, startHarness, uniqueKey, type Harness } from '../support/harness';
import { reorderHelpers } from '../support/reorder';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    settings: {
      inventory: {
        confirmationTimeout: '3 seconds',
        onConfirmationTimeout: 'resend',
        maxConfirmationRetries: 1,
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const { db, adjust, onePurchaseOrder, outboxOf, waitForState, skuWithRule } = reorderHelpers(() => h);

describe('confirmation timeout', () => {
  it('escalates an unconfirmed order to purchasing, sends it again, then cancels it', async () => {
    const sku = uniqueKey('UNCONF');
    await skuWithRule(sku, { reorderPoint: 5, orderUpTo: 20 });
    await adjust(sku, 1);
    const { po } = await onePurchaseOrder(sku);
    const id = po.purchaseOrderId;
    const tasks = await eventually(async () => {
      const rows = await db().select().from(crmTasks).where(eq(crmTasks.purchaseOrderId, id));
      return rows.length === 2 ? rows : undefined;
    }, 40_000);
    expect(tasks.map((t) => t.taskKey).sort()).toEqual([
      `purchasing.confirmation_overdue/${id}/1`,
      `purchasing.confirmation_overdue/${id}/2`,
    ]);
    expect(tasks[0]).toMatchObject({
      type: 'purchasing.confirmation_overdue',
      assignee: 'purchasing',
      status: 'open',
    });
    await onePurchaseOrder(sku, 'cancelled');
    expect(await outboxOf('purchase_order.sent', id)).toHaveLength(2);
    expect(await outboxOf('purchase_order.cancelled', id)).toHaveLength(1);
    // the SKU's workflow no longer counts it as on order
    await waitForState(sku, (s) => s.onOrder === 0 && s.openProcurements.length === 0);
    await request(h.app).post(`/v1/purchase-orders/${id}/confirm`).send({}).expect(409);
  });
});
