/**
 * Worker processes killed with SIGKILL in the middle of order-to-cash and of procurement: a new
 * worker process finishes every execution, and every effect (invoices, journal entries, stock
 * movements, outbox rows, allocations) happened exactly once. The API runs in this process; the
 * workflows and activities run only in the worker processes.
 */
import request from 'supertest';
import { and, eq, like, sql } from 'drizzle-orm';
import { journalEntries, outbox, stockMovements } from '../../db/schema';
import { invoiceNumberFor } from '../../domain/sales';
import { eventually, startHarness, uniqueKey, type Harness } from '../support/harness';
import { addStock, createCustomer, placeOrder, sendPaymentEvent, stockOf } from '../support/orders';
import { reorderHelpers } from '../support/reorder';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import {
  expectCompletedOnce,
  expectJournalBalanced,
  expectStockSane,
  orderEffects,
} from '../support/effects';

let h: Harness;
const running: WorkerProcess[] = [];

beforeAll(async () => {
  h = await startHarness({ workers: false });
});
afterAll(async () => {
  await Promise.all(running.map((w) => w.kill()));
  await h?.close();
});

async function worker(): Promise<WorkerProcess> {
  const w = await startWorkerProcess({
    databaseUrl: h.databaseUrl,
    temporalAddress: h.context.temporalAddress,
    namespace: h.context.namespace,
    taskQueuePrefix: h.taskQueuePrefix,
    workflowBundlePath: h.context.workflowBundlePath,
  });
  running.push(w);
  return w;
}

/** SIGKILL: no graceful shutdown, in-flight activities and workflow tasks die with the process. */
async function kill(w: WorkerProcess): Promise<void> {
  expect(await w.kill('SIGKILL')).toBeNull();
  expect(w.proc.signalCode).toBe('SIGKILL');
}

const count = async (query: ReturnType<typeof sql>) =>
  Number(((await h.database.db.execute(query)).rows[0] as { n: string }).n);

/** A payment.received naming the order's invoice, sent without waiting for its reconciliation. */
const sendPayment = (orderId: string, customerId: string, amount: number, paymentId: string) =>
  sendPaymentEvent(
    h,
    { amount, customerId, reference: `Payment for ${invoiceNumberFor(orderId)}` },
    paymentId,
  );

it('order-to-cash: workers killed after invoicing and while payments ship; a new worker finishes each order once', async () => {
  let w = await worker();
  const customerId = await createCustomer(h);
  const skus = [uniqueKey('SKU-K1'), uniqueKey('SKU-K2')] as const;
  for (const sku of skus) await addStock(h, sku, 100);

  const orders: { orderId: string; q: number }[] = [];
  for (let i = 0; i < 8; i++) {
    const q = (i % 3) + 1;
    const orderId = await placeOrder(h, {
      customerId,
      lines: [
        { sku: skus[0], quantity: q, unitPrice: 1000 + i },
        { sku: skus[1], quantity: 1, unitPrice: 333 },
      ],
    });
    orders.push({ orderId, q });
  }
  const ids = orders.map((o) => o.orderId);
  const invoiced = () =>
    count(
      sql`select count(*) as n from invoices where order_id in (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )})`,
    );
  // the first invoice is written: the others are in flight (reserving, invoicing) when it dies
  await eventually(async () => ((await invoiced()) >= 1 ? true : undefined), 60_000);
  await kill(w);

  w = await worker();
  await eventually(async () => ((await invoiced()) === ids.length ? true : undefined), 90_000);

  const totals = await h.database.db.execute(
    sql`select order_id, total::int from sales_orders where order_id in (${sql.join(
      ids.map((id) => sql`${id}`),
      sql`, `,
    )})`,
  );
  const totalOf = new Map(
    (totals.rows as { order_id: string; total: number }[]).map((r) => [r.order_id, r.total]),
  );
  const paymentOf = new Map(ids.map((id) => [id, uniqueKey('PAY')]));
  for (const id of ids) await sendPayment(id, customerId, totalOf.get(id)!, paymentOf.get(id)!);

  // die again once the first order has shipped: the rest are being matched, allocated, shipped
  const shipped = () =>
    count(
      sql`select count(*) as n from outbox where type = 'order.shipped' and aggregate_id in (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )})`,
    );
  await eventually(async () => ((await shipped()) >= 1 ? true : undefined), 90_000);
  await kill(w);

  w = await worker();
  await eventually(async () => ((await shipped()) === ids.length ? true : undefined), 90_000);
  for (const id of ids) {
    await request(h.app)
      .post(`/v1/orders/${id}/shipment-confirmation`)
      .send({ shipmentId: `SH-${id}` })
      .expect(200);
  }

  for (const { orderId } of orders) {
    expectCompletedOnce(await orderEffects(h.database.db, orderId), orderId, skus, paymentOf.get(orderId)!);
    const allocated = await h.database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.aggregateId, paymentOf.get(orderId)!), eq(outbox.type, 'payment.allocated')));
    expect(allocated).toHaveLength(1);
  }
  const q0 = orders.reduce((s, o) => s + o.q, 0);
  expect(await stockOf(h, skus[0])).toEqual({ onHand: 100 - q0, reserved: 0 });
  expect(await stockOf(h, skus[1])).toEqual({ onHand: 100 - orders.length, reserved: 0 });
  for (const sku of skus) {
    const moves = await h.database.db.select().from(stockMovements).where(eq(stockMovements.sku, sku));
    expect(moves).toHaveLength(1 + orders.length);
  }
  await expectStockSane(h.database.db, skus);
  await expectJournalBalanced(h.database.db);
  await w.kill('SIGTERM');
}, 420_000);

const { skuWithRule, adjust, onePurchaseOrder, outboxOf } = reorderHelpers(() => h);

it('procurement: a worker killed after sending and while a receipt is booked; a new worker closes it once', async () => {
  let w = await worker();
  const sku = uniqueKey('PROC');
  await skuWithRule(sku, { reorderPoint: 5, orderUpTo: 50, packMultiple: 10 });
  await adjust(sku, 2);
  const { po } = await onePurchaseOrder(sku, 'sent');
  const id = po.purchaseOrderId;
  await kill(w);

  // with no worker alive: the confirmation and the first receipt wait in the workflow's history
  await request(h.app)
    .post(`/v1/purchase-orders/${id}/confirm`)
    .send({ supplierReference: 'AB-1' })
    .expect(202);
  await request(h.app)
    .post(`/v1/purchase-orders/${id}/receipts`)
    .send({ receiptId: `${id}-r1`, quantity: 20 })
    .expect(202);
  w = await worker();
  await request(h.app)
    .post(`/v1/purchase-orders/${id}/receipts`)
    .send({ receiptId: `${id}-r2`, quantity: 30 })
    .expect(202);
  // killed while the receipts are being booked
  await eventually(
    async () => ((await outboxOf('purchase_order.received', id)).length >= 1 ? true : undefined),
    60_000,
  );
  await kill(w);

  w = await worker();
  await onePurchaseOrder(sku, 'closed');
  await eventually(async () => ((await stockOf(h, sku)).onHand === 52 ? true : undefined), 60_000);

  const moves = await h.database.db.select().from(stockMovements).where(eq(stockMovements.sku, sku));
  expect(moves.map((m) => m.delta).sort((a, b) => a - b)).toEqual([2, 20, 30]);
  const entries = await h.database.db
    .select()
    .from(journalEntries)
    .where(like(journalEntries.idempotencyKey, `goods-received/${id}/%`));
  expect(entries.map((e) => e.idempotencyKey).sort()).toEqual([
    `goods-received/${id}/${id}-r1`,
    `goods-received/${id}/${id}-r2`,
  ]);
  expect(await outboxOf('purchase_order.sent', id)).toHaveLength(1);
  expect(await outboxOf('purchase_order.received', id)).toHaveLength(2);
  expect(await outboxOf('purchase_order.cancelled', id)).toHaveLength(0);
  await expectStockSane(h.database.db, [sku]);
  await expectJournalBalanced(h.database.db);
  await w.kill('SIGTERM');
}, 300_000);
