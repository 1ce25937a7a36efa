/**
 * An activity that throws after its database commit: a test-only wrapper (startHarness's
 * wrapActivities; production workers never wrap) runs each writing activity for real on its first
 * attempt and then throws, as a worker losing its connection right after COMMIT would. Temporal
 * retries it; the retry must find the committed effect, write nothing more and answer the first
 * result. Every effect of the orders and the purchase order is then counted once.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { eq, like } from 'drizzle-orm';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import { journalEntries, stockMovements } from '../../db/schema';
import { orderWorkflowId } from '../../domain/names';
import { eventually, startHarness, type Harness } from '../support/harness';
import { addStock, createCustomer, pay, placeOrder, stockOf, waitForStatus } from '../support/orders';
import { reorderHelpers } from '../support/reorder';
import {
  expectCompletedOnce,
  expectJournalBalanced,
  expectStockSane,
  orderEffects,
} from '../support/effects';
import { uniqueKey } from '../support/harness';

/** The activities that write; each throws once, after its first attempt committed. */
const FAULTY = [
  'applyStockChange',
  'acceptOrder',
  'reserveStock',
  'issueInvoice',
  'matchPayment',
  'applyMatch',
  'notifyOrders',
  'readSettlement',
  'shipOrder',
  'completeOrder',
  'createPurchaseOrder',
  'sendPurchaseOrder',
  'confirmPurchaseOrder',
  'recordGoodsReceipt',
  'closePurchaseOrder',
] as const satisfies readonly (keyof Activities)[];

/** Per activity execution (workflow id / activity id): what the committed attempt answered, and the retry. */
const answers = new Map<string, { name: string; first: string; retry?: string }>();

function afterCommitFault(activities: Activities): Activities {
  const wrapped: Record<string, unknown> = { ...activities };
  for (const name of FAULTY) {
    const real = activities[name] as (...args: unknown[]) => Promise<unknown>;
    wrapped[name] = async (...args: unknown[]) => {
      const info = Context.current().info;
      const key = `${info.workflowExecution?.workflowId}/${info.activityId}`;
      const result = await real(...args);
      const seen = stable(result);
      if (info.attempt === 1) {
        answers.set(key, { name, first: seen });
        throw ApplicationFailure.retryable(`injected after the commit of ${name}`, 'InjectedFault');
      }
      const entry = answers.get(key);
      if (entry && entry.retry === undefined) entry.retry = seen;
      return result;
    };
  }
  return wrapped as Activities;
}

/** JSON with sorted keys (a result read back from jsonb has its keys in another order). */
function stable(value: unknown): string {
  return JSON.stringify(value ?? null, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ wrapActivities: afterCommitFault });
});
afterAll(async () => {
  await h?.close();
});

/** Waits until the order's workflow has completed its claimPrepaidPayments activity. */
async function prepaidClaimDone(orderId: string): Promise<void> {
  await eventually(async () => {
    const history = await h.temporal.client.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory();
    const events = history.events ?? [];
    const scheduled = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'claimPrepaidPayments',
    );
    if (!scheduled) return undefined;
    const done = events.some(
      (e) =>
        Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? -1) === Number(scheduled.eventId),
    );
    return done ? true : undefined;
  }, 60_000);
}

it('order-to-cash with every writing activity failing once after its commit: each effect once', async () => {
  const customerId = await createCustomer(h);
  const skus = [uniqueKey('SKU-F1'), uniqueKey('SKU-F2')] as const;
  for (const sku of skus) await addStock(h, sku, 10);
  const orders: { orderId: string; paymentId: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const orderId = await placeOrder(h, {
      customerId,
      lines: [
        { sku: skus[0], quantity: 2, unitPrice: 1250 },
        { sku: skus[1], quantity: 1, unitPrice: 999 },
      ],
    });
    const invoiced = await waitForStatus(h, orderId, 'invoiced', 60_000);
    // pay once the order has looked for payments that came before it: otherwise a payment whose
    // matching failed after recording it could be claimed by the order (also right, but then the
    // reconciliation activities under test would not run)
    await prepaidClaimDone(orderId);
    const { paymentId } = await pay(h, orderId, invoiced.total);
    await waitForStatus(h, orderId, 'shipped', 60_000);
    await request(h.app)
      .post(`/v1/orders/${orderId}/shipment-confirmation`)
      .send({ shipmentId: `SH-${randomUUID().slice(0, 8)}` })
      .expect(200);
    await waitForStatus(h, orderId, 'completed', 60_000);
    orders.push({ orderId, paymentId });
  }

  for (const { orderId, paymentId } of orders) {
    expectCompletedOnce(await orderEffects(h.database.db, orderId), orderId, skus, paymentId);
  }
  expect(await stockOf(h, skus[0])).toEqual({ onHand: 4, reserved: 0 });
  expect(await stockOf(h, skus[1])).toEqual({ onHand: 7, reserved: 0 });
  for (const sku of skus) {
    expect(await h.database.db.select().from(stockMovements).where(eq(stockMovements.sku, sku))).toHaveLength(
      4,
    );
  }
  await expectStockSane(h.database.db, skus);
  await expectJournalBalanced(h.database.db);
}, 300_000);

const { skuWithRule, adjust, onePurchaseOrder, outboxOf } = reorderHelpers(() => h);

it('procurement with every writing activity failing once after its commit: each effect once', async () => {
  const sku = uniqueKey('PROC-F');
  await skuWithRule(sku, { reorderPoint: 5, orderUpTo: 50, packMultiple: 10 });
  await adjust(sku, 2);
  const { po } = await onePurchaseOrder(sku, 'sent');
  const id = po.purchaseOrderId;
  await request(h.app).post(`/v1/purchase-orders/${id}/confirm`).send({}).expect(202);
  await request(h.app)
    .post(`/v1/purchase-orders/${id}/receipts`)
    .send({ receiptId: `${id}-r1`, quantity: 50 })
    .expect(202);
  await onePurchaseOrder(sku, 'closed');
  const moves = await h.database.db.select().from(stockMovements).where(eq(stockMovements.sku, sku));
  expect(moves.map((m) => m.delta).sort((a, b) => a - b)).toEqual([2, 50]);
  const entries = await h.database.db
    .select()
    .from(journalEntries)
    .where(like(journalEntries.idempotencyKey, `goods-received/${id}/%`));
  expect(entries).toHaveLength(1);
  expect(await outboxOf('purchase_order.sent', id)).toHaveLength(1);
  expect(await outboxOf('purchase_order.received', id)).toHaveLength(1);
  expect((await stockOf(h, sku)).onHand).toBe(52);
}, 300_000);

it('each of those activities failed after a commit, and every retry answered what the first attempt did', async () => {
  // the last activities' retries may still be on their way (the effect is visible before)
  await eventually(
    async () => ([...answers.values()].every((a) => a.retry !== undefined) ? true : undefined),
    30_000,
  ).catch(() => undefined);
  const names = new Set([...answers.values()].map((a) => a.name));
  expect([...names].sort()).toEqual([...FAULTY].sort());
  const differing = [...answers.entries()].filter(([, a]) => a.retry !== undefined && a.retry !== a.first);
  expect(differing).toEqual([]);
  expect([...answers.entries()].filter(([, a]) => a.retry === undefined)).toEqual([]);
});
