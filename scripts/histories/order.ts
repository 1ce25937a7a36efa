/**
 * orderWorkflow, one scenario per path: paid in parts and shipped; credit hold approved and
 * overpaid; credit hold timed out; backordered, replenished, then cancelled after a payment
 * (refund, credit note, release); dunned twice then paid; unknown customer; and, recorded with the
 * `order-claims-prepaid-payments` patch, a payment that came before its order taken once it invoices.
 */
import { orderWorkflowId } from '../../domain/names';
import { skuReplenishedSignal } from '../../domain/inventory';
import {
  approveUpdate,
  cancelUpdate,
  confirmShipmentUpdate,
  orderStatusQuery,
  orderTimelineQuery,
  paymentReceivedSignal,
  type OrderWorkflowInput,
  type PaymentReceived,
} from '../../domain/sales';
import type { OrderStatus } from '../../domain/sales';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client';
import { customers, payments, stockLevels } from '../../db/schema';
import { startOrderWorkflow } from '../../api/planners/sales';
import type { BusinessSettingsInput } from '../../domain/settings';
import type { HistoryScenario, ScenarioContext } from './scenario';

const CAUSE = { source: 'record-histories', correlationId: 'history-scenario' };

const SETTINGS: BusinessSettingsInput = {
  sales: {
    taxRateBps: 1000,
    approvalTimeout: '2 seconds',
    backorderTimeout: '1 minute',
    dunningLevels: [
      { level: 1, after: '1 second' },
      { level: 2, after: '2 seconds' },
      { level: 3, after: '1 hour' },
    ],
  },
};

async function customer(
  db: Db,
  customerId: string,
  creditLimit = 0,
  quietHours?: { start: string; end: string },
): Promise<void> {
  await db
    .insert(customers)
    .values({
      customerId,
      name: `History customer ${customerId}`,
      creditLimit,
      currency: 'EUR',
      paymentTermsDays: 30,
      consent: true,
      ...(quietHours
        ? { quietHoursStart: quietHours.start, quietHoursEnd: quietHours.end, timeZone: 'UTC' }
        : {}),
      versionEventSeq: 0,
      causationSource: CAUSE.source,
      causationId: `customer-${customerId}`,
      correlationId: CAUSE.correlationId,
    })
    .onConflictDoNothing();
}

async function stock(db: Db, sku: string, onHand: number): Promise<void> {
  await db
    .insert(stockLevels)
    .values({ sku, onHand })
    .onConflictDoUpdate({ target: stockLevels.sku, set: { onHand } });
}

async function start(ctx: ScenarioContext, input: Omit<OrderWorkflowInput, 'cause'>) {
  const order = { ...input.order };
  await startOrderWorkflow(ctx.client, ctx.taskQueuePrefix, {
    order,
    cause: { ...CAUSE, id: `order-placed-${order.orderId}` },
  });
  return ctx.client.workflow.getHandle(orderWorkflowId(order.orderId));
}

const payment = (orderId: string, paymentId: string, amount: number): PaymentReceived => ({
  paymentId,
  amount,
  currency: 'EUR',
  reference: `INV-${orderId}`,
  receivedAt: '2026-11-27T10:00:00Z',
  method: 'bank_transfer',
  cause: { ...CAUSE, id: `payment-${paymentId}` },
});

async function until(client: Client, orderId: string, status: OrderStatus): Promise<void> {
  const handle = client.workflow.getHandle(orderWorkflowId(orderId));
  for (let i = 0; i < 300; i++) {
    if ((await handle.query(orderStatusQuery)) === status) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`order ${orderId} never reached ${status}`);
}

const order = (orderId: string, customerId: string, sku: string, quantity: number, netDays = 30) => ({
  orderId,
  customerId,
  currency: 'EUR',
  paymentTerms: { netDays },
  lines: [{ sku, quantity, unitPrice: 1000 }],
});

function scenario(
  name: string,
  run: (ctx: ScenarioContext, orderId: string) => Promise<void>,
): HistoryScenario {
  return {
    name,
    settings: SETTINGS,
    async run(ctx) {
      const orderId = `O-HISTORY-${name}`;
      await run(ctx, orderId);
      await ctx.client.workflow.getHandle(orderWorkflowId(orderId)).result();
      return ctx.save(orderWorkflowId(orderId), name);
    },
  };
}

export const orderScenarios: HistoryScenario[] = [
  scenario('order-paid-in-parts', async (ctx, orderId) => {
    await customer(ctx.db, 'C-HISTORY-1');
    await stock(ctx.db, 'SKU-HISTORY-ORDER-1', 10);
    const handle = await start(ctx, { order: order(orderId, 'C-HISTORY-1', 'SKU-HISTORY-ORDER-1', 2) });
    await until(ctx.client, orderId, 'invoiced');
    await handle.signal(paymentReceivedSignal, payment(orderId, 'PAY-H1', 1000));
    await handle.signal(paymentReceivedSignal, payment(orderId, 'PAY-H1', 1000));
    await handle.signal(paymentReceivedSignal, payment(orderId, 'PAY-H2', 1200));
    await until(ctx.client, orderId, 'shipped');
    await handle.executeUpdate(confirmShipmentUpdate, {
      args: [{ shipmentId: 'SH-H1', shippedAt: '2026-11-28T10:00:00Z' }],
    });
  }),
  scenario('order-credit-hold-approved', async (ctx, orderId) => {
    await customer(ctx.db, 'C-HISTORY-2', 500);
    await stock(ctx.db, 'SKU-HISTORY-ORDER-2', 10);
    const handle = await start(ctx, { order: order(orderId, 'C-HISTORY-2', 'SKU-HISTORY-ORDER-2', 1) });
    await until(ctx.client, orderId, 'on_credit_hold');
    await handle.executeUpdate(approveUpdate, { args: [{ approvedBy: 'user:finance' }] });
    await until(ctx.client, orderId, 'invoiced');
    await handle.signal(paymentReceivedSignal, payment(orderId, 'PAY-H3', 1500));
    await until(ctx.client, orderId, 'shipped');
    await handle.executeUpdate(confirmShipmentUpdate, {
      args: [{ shipmentId: 'SH-H2', shippedAt: '2026-11-28T10:00:00Z' }],
    });
  }),
  scenario('order-credit-hold-timeout', async (ctx, orderId) => {
    await customer(ctx.db, 'C-HISTORY-3', 500);
    await stock(ctx.db, 'SKU-HISTORY-ORDER-3', 10);
    await start(ctx, { order: order(orderId, 'C-HISTORY-3', 'SKU-HISTORY-ORDER-3', 1) });
  }),
  scenario('order-backorder-then-cancelled', async (ctx, orderId) => {
    await customer(ctx.db, 'C-HISTORY-4');
    await stock(ctx.db, 'SKU-HISTORY-ORDER-4', 1);
    const handle = await start(ctx, { order: order(orderId, 'C-HISTORY-4', 'SKU-HISTORY-ORDER-4', 3) });
    await until(ctx.client, orderId, 'backordered');
    await stock(ctx.db, 'SKU-HISTORY-ORDER-4', 5);
    await handle.signal(skuReplenishedSignal, { sku: 'SKU-HISTORY-ORDER-4', available: 4 });
    await until(ctx.client, orderId, 'invoiced');
    await handle.signal(paymentReceivedSignal, payment(orderId, 'PAY-H4', 1000));
    await until(ctx.client, orderId, 'partially_paid');
    await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'customer changed their mind' }] });
  }),
  scenario('order-dunned-then-paid', async (ctx, orderId) => {
    await customer(ctx.db, 'C-HISTORY-5');
    await stock(ctx.db, 'SKU-HISTORY-ORDER-5', 10);
    const handle = await start(ctx, { order: order(orderId, 'C-HISTORY-5', 'SKU-HISTORY-ORDER-5', 1, 0) });
    await until(ctx.client, orderId, 'invoiced');
    await new Promise((r) => setTimeout(r, 3500));
    await handle.signal(paymentReceivedSignal, payment(orderId, 'PAY-H5', 1100));
    await until(ctx.client, orderId, 'shipped');
    await handle.executeUpdate(confirmShipmentUpdate, {
      args: [{ shipmentId: 'SH-H5', shippedAt: '2026-11-28T10:00:00Z' }],
    });
  }),
  scenario('order-dunning-deferred', async (ctx, orderId) => {
    // quiet hours around now: the first reminder waits for their end, and the payment comes first
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const quiet = { start: hhmm(Date.now() - 7_200_000), end: hhmm(Date.now() + 7_200_000) };
    await customer(ctx.db, 'C-HISTORY-7', 0, quiet);
    await stock(ctx.db, 'SKU-HISTORY-ORDER-7', 10);
    const handle = await start(ctx, { order: order(orderId, 'C-HISTORY-7', 'SKU-HISTORY-ORDER-7', 1, 0) });
    for (let i = 0; i < 300; i++) {
      const timeline = await handle.query(orderTimelineQuery);
      if (timeline.some((t) => t.step === 'dunning_deferred')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await handle.signal(paymentReceivedSignal, payment(orderId, 'PAY-H7', 1100));
    await until(ctx.client, orderId, 'shipped');
    await handle.executeUpdate(confirmShipmentUpdate, {
      args: [{ shipmentId: 'SH-H7', shippedAt: '2026-11-28T10:00:00Z' }],
    });
  }),
  scenario('order-prepaid-claimed', async (ctx, orderId) => {
    // what reconciliation leaves for a payment naming the invoice of an order not placed yet
    await customer(ctx.db, 'C-HISTORY-8');
    await stock(ctx.db, 'SKU-HISTORY-ORDER-8', 10);
    await ctx.db
      .insert(payments)
      .values({
        paymentId: 'PAY-H8',
        amount: 1100,
        currency: 'EUR',
        customerId: 'C-HISTORY-8',
        reference: `INV-${orderId}`,
        receivedAt: new Date('2026-11-27T09:00:00Z'),
        method: 'bank_transfer',
        causationSource: CAUSE.source,
        causationId: 'payment-PAY-H8',
        correlationId: CAUSE.correlationId,
      })
      .onConflictDoNothing();
    const handle = await start(ctx, { order: order(orderId, 'C-HISTORY-8', 'SKU-HISTORY-ORDER-8', 1) });
    await until(ctx.client, orderId, 'shipped');
    await handle.executeUpdate(confirmShipmentUpdate, {
      args: [{ shipmentId: 'SH-H8', shippedAt: '2026-11-28T10:00:00Z' }],
    });
  }),
  scenario('order-unknown-customer', async (ctx, orderId) => {
    await start(ctx, { order: order(orderId, 'C-HISTORY-NOBODY', 'SKU-HISTORY-ORDER-6', 1) });
  }),
];
