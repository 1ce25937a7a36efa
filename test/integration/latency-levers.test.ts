/**
 * The latency levers of issue 10 keep the business outcome: with tuning.localActivities the order's
 * credit check and reservation and a SKU's stock change run as local activities (markers in the
 * history, no activity tasks) and write the same rows; the order's reservation update answers once
 * the first reservation is done, also through update-with-start.
 */
import { eq } from 'drizzle-orm';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { reservations, stockLevels } from '../../db/schema';
import { inventoryWorkflowId, orderWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../../domain/names';
import { reservationUpdate, type OrderWorkflowInput } from '../../domain/sales';
import { eventually, startHarness, uniqueKey, type Harness } from '../support/harness';
import { addStock, createCustomer, placeOrder, waitForStatus } from '../support/orders';

let local: Harness;
let remote: Harness;
beforeAll(async () => {
  [local, remote] = await Promise.all([
    startHarness({ settings: { tuning: { localActivities: true } } }),
    startHarness(),
  ]);
});
afterAll(async () => {
  await Promise.all([local?.close(), remote?.close()]);
});

/** Activity types the history ran as activity tasks, and as local activities (markers). */
async function activitiesOf(h: Harness, workflowId: string) {
  const history = await h.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled: string[] = [];
  let markers = 0;
  for (const e of history.events ?? []) {
    const type = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (type) scheduled.push(type);
    if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') markers++;
  }
  return { scheduled, markers };
}

describe('tuning.localActivities', () => {
  it('runs the credit check and the reservation as local activities, with the same rows', async () => {
    const customerId = await createCustomer(local);
    const sku = uniqueKey('SKU');
    await addStock(local, sku, 5);
    const orderId = await placeOrder(local, { customerId, lines: [{ sku, quantity: 2, unitPrice: 1000 }] });
    await waitForStatus(local, orderId, 'invoiced');

    const [held] = await local.database.db
      .select()
      .from(reservations)
      .where(eq(reservations.orderId, orderId));
    expect(held).toMatchObject({ sku, quantity: 2, status: 'reserved' });
    const [level] = await local.database.db.select().from(stockLevels).where(eq(stockLevels.sku, sku));
    expect(level).toMatchObject({ onHand: 5, reserved: 2 });

    const order = await activitiesOf(local, orderWorkflowId(orderId));
    expect(order.scheduled).not.toContain('acceptOrder');
    expect(order.scheduled).not.toContain('reserveStock');
    expect(order.scheduled).toContain('issueInvoice');
    // settings, credit check, reservation
    expect(order.markers).toBeGreaterThanOrEqual(3);

    const item = await activitiesOf(local, inventoryWorkflowId(sku));
    expect(item.scheduled).not.toContain('applyStockChange');
  });

  it('is off by default: the same steps run as activity tasks', async () => {
    const customerId = await createCustomer(remote);
    const sku = uniqueKey('SKU');
    await addStock(remote, sku, 5);
    const orderId = await placeOrder(remote, { customerId, lines: [{ sku, quantity: 1, unitPrice: 1000 }] });
    await waitForStatus(remote, orderId, 'invoiced');
    const order = await activitiesOf(remote, orderWorkflowId(orderId));
    expect(order.scheduled).toEqual(expect.arrayContaining(['acceptOrder', 'reserveStock', 'issueInvoice']));
    const item = await activitiesOf(remote, inventoryWorkflowId(sku));
    expect(item.scheduled).toContain('applyStockChange');
  });
});

describe('the reservation update', () => {
  const input = (orderId: string, customerId: string, sku: string, quantity: number): OrderWorkflowInput => ({
    order: {
      orderId,
      customerId,
      currency: 'EUR',
      paymentTerms: { netDays: 30 },
      lines: [{ sku, quantity, unitPrice: 1000 }],
    },
    cause: { source: 'test/latency', id: `evt-${orderId}`, correlationId: orderId },
  });

  it.each([
    ['reserved', 3],
    ['backordered', 9],
  ] as const)(
    'answers %s to an update-with-start once the first reservation is done',
    async (stock, quantity) => {
      const h = local;
      const customerId = await createCustomer(h);
      const sku = uniqueKey('SKU');
      await addStock(h, sku, 5);
      const orderId = uniqueKey('O');
      const op = new WithStartWorkflowOperation(WORKFLOW_TYPES.order, {
        workflowId: orderWorkflowId(orderId),
        taskQueue: workflowTaskQueue(h.taskQueuePrefix, WORKFLOW_TYPES.order),
        args: [input(orderId, customerId, sku, quantity)],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      const outcome = await h.temporal.client.workflow.executeUpdateWithStart(reservationUpdate, {
        startWorkflowOperation: op,
      });
      expect(outcome.stock).toBe(stock);
      const rows = await h.database.db.select().from(reservations).where(eq(reservations.orderId, orderId));
      expect(rows.map((r) => r.quantity)).toEqual([Math.min(quantity, 5)]);
      // a later caller gets the same answer from the running order
      const again = await h.temporal.client.workflow
        .getHandle(orderWorkflowId(orderId))
        .executeUpdate(reservationUpdate);
      expect(again.stock).toBe(stock);
      await eventually(async () =>
        (await op.workflowHandle()).workflowId === orderWorkflowId(orderId) ? true : undefined,
      );
    },
  );
});
