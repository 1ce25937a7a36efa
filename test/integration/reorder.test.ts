/**
 * The SKU workflow as reorder brain and the procurement it starts, against the real API, workers,
 * Temporal and Postgres: one procurement per threshold crossing, the min/max quantity, confirmation
 * timeouts, receipts (partial, over), continue-as-new, backordered orders told, stock never negative.
 */
import request from 'supertest';
import { and, eq, sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import {
  eventRoutes,
  idempotencyRecords,
  journalEntries,
  journalLines,
  purchaseOrderLines,
  salesOrderLines,
  salesOrders,
  stockLevels,
} from '../../db/schema';
import { purchaseOrderIdFor, stockLevelChangedSignal } from '../../domain/inventory';
import {
  inventoryWorkflowId,
  procurementWorkflowId,
  WORKFLOW_TYPES,
  workflowTaskQueue,
} from '../../domain/names';
import { signalSkuWorkflow } from '../../api/planners/inventory';
import { eventually, startHarness, stockAdjusted, uniqueKey, type Harness } from '../support/harness';
import { reorderHelpers } from '../support/reorder';
import { createCustomer, placeOrder, waitForStatus } from '../support/orders';

const MAX_CHANGES = 7;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    settings: {
      inventory: {
        maxChangesPerRun: MAX_CHANGES,
        lateDeliveryGrace: '1 second',
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const {
  db,
  skuState,
  product,
  rule,
  adjust,
  purchaseOrdersOf,
  onePurchaseOrder,
  outboxOf,
  waitForState,
  skuWithRule,
} = reorderHelpers(() => h);

describe('reorder point', () => {
  it('starts exactly one procurement when 100 concurrent stock events cross the reorder point', async () => {
    const sku = uniqueKey('BURST');
    // stock first: a rule alone counts stock as 0 and would order at once
    await adjust(sku, 110);
    await waitForState(sku, (s) => s.applied === 1 && s.onHand === 110);
    await skuWithRule(sku, { reorderPoint: 20, orderUpTo: 100, packMultiple: 12, minOrderQuantity: 24 });
    await waitForState(sku, (s) => s.rule?.reorderPoint === 20);
    // 100 events at once, each its own request
    await Promise.all(
      Array.from({ length: 100 }, () =>
        request(h.app)
          .post('/v1/events')
          .send(stockAdjusted({ sku, delta: -1 }))
          .expect(202),
      ),
    );
    const state = await waitForState(
      sku,
      (s) => s.applied === 101 && s.pending === 0 && s.onHand === 10,
      90_000,
    );
    expect(state.onHand).toBe(10);
    const { po, line } = await onePurchaseOrder(sku);
    // ordered when projected was somewhere between 10 and 20: up to 100, in packs of 12
    expect(line.quantity % 12).toBe(0);
    expect(line.quantity).toBeGreaterThanOrEqual(80);
    expect(line.quantity).toBeLessThanOrEqual(96);
    expect(po.purchaseOrderId).toBe(purchaseOrderIdFor(sku, 1));
    const settled = await waitForState(sku, (s) => s.procurementsStarted === 1);
    expect(settled.onOrder).toBe(line.quantity);
    expect(await purchaseOrdersOf(sku)).toHaveLength(1);
    expect(await outboxOf('stock.reorder_triggered', sku)).toHaveLength(1);
    const inv = await request(h.app).get(`/v1/inventory/${sku}`).expect(200);
    expect(inv.body).toMatchObject({
      onHand: 10,
      reserved: 0,
      available: 10,
      onOrder: line.quantity,
      reorderSettings: { reorderPoint: 20, orderUpTo: 100, packMultiple: 12, minOrderQuantity: 24 },
      openPurchaseOrders: [
        { purchaseOrderId: po.purchaseOrderId, quantity: line.quantity, received: 0, status: 'sent' },
      ],
      workflow: { id: inventoryWorkflowId(sku), status: 'RUNNING' },
    });
  });

  it('orders order-up-to − projected, at least the MOQ, rounded up to the pack multiple', async () => {
    const sku = uniqueKey('ROUND');
    const sup = await skuWithRule(sku, {
      reorderPoint: 5,
      orderUpTo: 30,
      packMultiple: 12,
      minOrderQuantity: 50,
      leadTimeDays: 3,
    });
    await adjust(sku, 3);
    const { po, line } = await onePurchaseOrder(sku);
    // wanted 27, at least 50, in packs of 12: 60
    expect(line.quantity).toBe(60);
    expect(line.unitCost).toBe(250);
    expect(po.supplierId).toBe(sup);
    const expected = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    expect(po.expectedDate).toBe(expected);
    const [sent] = await outboxOf('purchase_order.sent', po.purchaseOrderId);
    expect(sent?.payload).toMatchObject({ supplierId: sup, attempt: 1, lines: [{ sku, quantity: 60 }] });
  });

  it('raises one alert and orders nothing when the rule names an unknown supplier', async () => {
    const sku = uniqueKey('NOSUP');
    await product(sku);
    await rule(sku, { reorderPoint: 5, orderUpTo: 30, supplierId: uniqueKey('GHOST') }).expect(201);
    for (const d of [3, -1, -1]) await adjust(sku, d);
    await waitForState(sku, (s) => s.applied === 3 && s.pending === 0);
    const alerts = await eventually(async () => {
      const rows = await outboxOf('alert.raised', sku);
      return rows.length > 0 ? rows : undefined;
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.payload).toMatchObject({ kind: 'reorder.no_supplier', sku });
    expect(await purchaseOrdersOf(sku)).toHaveLength(0);
  });

  it('validates the reorder rule', async () => {
    const sku = uniqueKey('BAD');
    const res = await rule(sku, { reorderPoint: 10, orderUpTo: 5, packMultiple: 0, supplierId: 'S' }).expect(
      400,
    );
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['orderUpTo', 'packMultiple']);
  });
});

describe('procurement', () => {
  it('takes partial receipts, rejects an over-receipt unless the tolerance allows it, posts and closes', async () => {
    const sku = uniqueKey('RECV');
    await skuWithRule(sku, { reorderPoint: 5, orderUpTo: 50, packMultiple: 10 });
    await adjust(sku, 2);
    const { po, line } = await onePurchaseOrder(sku);
    const id = po.purchaseOrderId;
    expect(line.quantity).toBe(50);

    const confirmed = await request(h.app)
      .post(`/v1/purchase-orders/${id}/confirm`)
      .send({ supplierReference: 'AB-1' })
      .expect(202);
    expect(confirmed.body.event.routing).toMatchObject({
      status: 'delivered',
      workflowId: procurementWorkflowId(id),
    });
    await onePurchaseOrder(sku, 'confirmed');

    await request(h.app)
      .post(`/v1/purchase-orders/${id}/receipts`)
      .send({ receiptId: `${id}-r1`, quantity: 20 })
      .expect(202);
    await onePurchaseOrder(sku, 'partially_received');
    await eventually(async () => ((await stockOf(sku))?.onHand === 22 ? true : undefined));
    await waitForState(sku, (s) => s.onOrder === 30 && s.onHand === 22);

    // over-receipt: refused by the API at once, and by the workflow when it comes as an event
    const refused = await request(h.app)
      .post(`/v1/purchase-orders/${id}/receipts`)
      .send({ quantity: 31 })
      .expect(409);
    expect(refused.body.detail).toMatch(/exceeds 50 ordered/);
    const over = goodsReceived(id, `${id}-r2`, sku, 33);
    await request(h.app).post('/v1/events').send(over).expect(202);
    const rejected = await eventually(async () => {
      const [rec] = await db()
        .select()
        .from(idempotencyRecords)
        .where(eq(idempotencyRecords.key, `goods-receipt/${id}/${id}-r2`));
      return rec?.outcome;
    });
    expect(rejected).toMatchObject({ status: 'rejected', received: 20 });
    expect(await outboxOf('alert.raised', id)).toHaveLength(1);
    expect((await stockOf(sku))?.onHand).toBe(22);

    // an explicit tolerance of 5 on the line lets 33 in
    await db()
      .update(purchaseOrderLines)
      .set({ overReceiptTolerance: 5 })
      .where(eq(purchaseOrderLines.purchaseOrderId, id));
    const within = goodsReceived(id, `${id}-r3`, sku, 33);
    await request(h.app).post('/v1/events').send(within).expect(202);
    await request(h.app).post('/v1/events').send(within).expect(200); // a duplicate changes nothing
    await onePurchaseOrder(sku, 'closed');
    expect((await stockOf(sku))?.onHand).toBe(55);

    // Dr inventory / Cr GRNI at the unit cost, per applied receipt
    const lines = await db().select().from(journalLines).where(eq(journalLines.purchaseOrderId, id));
    const total = (code: string, side: 'debit' | 'credit') =>
      lines.filter((l) => l.accountCode === code).reduce((s, l) => s + l[side], 0);
    expect(total('1200', 'debit')).toBe(53 * 250);
    expect(total('2300', 'credit')).toBe(53 * 250);
    const entries = await db()
      .select()
      .from(journalEntries)
      .where(sql`${journalEntries.idempotencyKey} like ${`goods-received/${id}/%`}`);
    expect(entries).toHaveLength(2);

    const procurement = await h.temporal.client.workflow.getHandle(procurementWorkflowId(id)).result();
    expect(procurement).toMatchObject({ status: 'closed', received: 53, quantity: 50 });
    expect(procurement.receipts.map((r: { status: string }) => r.status)).toEqual([
      'applied',
      'rejected',
      'applied',
    ]);
    await waitForState(sku, (s) => s.onOrder === 0 && s.onHand === 55 && s.openProcurements.length === 0);

    const view = await request(h.app).get(`/v1/purchase-orders/${id}`).expect(200);
    expect(view.body).toMatchObject({
      purchaseOrderId: id,
      sku,
      quantity: 50,
      received: 53,
      status: 'closed',
    });
    expect(view.body.receipts).toHaveLength(2);
    await request(h.app).post(`/v1/purchase-orders/${id}/receipts`).send({ quantity: 1 }).expect(409);
  });

  it('alerts when a confirmed order is late', async () => {
    const sku = uniqueKey('LATE');
    await skuWithRule(sku, { reorderPoint: 5, orderUpTo: 20 });
    await adjust(sku, 1);
    const { po } = await onePurchaseOrder(sku);
    const yesterday = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    await request(h.app)
      .post(`/v1/purchase-orders/${po.purchaseOrderId}/confirm`)
      .send({ expectedDate: yesterday })
      .expect(202);
    const late = await eventually(async () => {
      const rows = await outboxOf('purchase_order.late', po.purchaseOrderId);
      return rows.length > 0 ? rows : undefined;
    });
    expect(late[0]?.payload).toMatchObject({ purchaseOrderId: po.purchaseOrderId, expectedDate: yesterday });
  });

  it('leaves a confirmation for an unknown purchase order pending, with the reason', async () => {
    const id = uniqueKey('PO-UNKNOWN');
    const res = await request(h.app)
      .post('/v1/events')
      .send({
        specversion: '1.0',
        id: `evt-${randomUUID()}`,
        source: 'test/supplier',
        type: 'purchase_order.confirmed',
        data: {
          purchaseOrderId: id,
          supplierId: 'S',
          expectedDate: '2026-12-04',
          confirmedAt: new Date().toISOString(),
        },
      })
      .expect(202);
    expect(res.body.routing).toMatchObject({ status: 'pending', workflowId: procurementWorkflowId(id) });
    const [route] = await db().select().from(eventRoutes).where(eq(eventRoutes.eventId, res.body.eventId));
    expect(route?.lastError).toMatch(/not found/i);
    await request(h.app).post(`/v1/purchase-orders/${id}/confirm`).send({}).expect(404);
  });
});

describe('continue-as-new and neighbours', () => {
  it('keeps the rule, stock and the open procurement across continue-as-new', async () => {
    const sku = uniqueKey('CAN');
    // stock first, so the rule is evaluated against 5 on hand (a rule alone counts stock as 0)
    await adjust(sku, 5);
    await waitForState(sku, (s) => s.applied === 1 && s.onHand === 5);
    await skuWithRule(sku, { reorderPoint: 10, orderUpTo: 40, packMultiple: 5 });
    const { po, line } = await onePurchaseOrder(sku);
    expect(line.quantity).toBe(35);
    const before = await skuState(sku);
    const runBefore = (await h.temporal.client.workflow.getHandle(inventoryWorkflowId(sku)).describe()).runId;
    // more changes than one run holds
    for (let i = 0; i < MAX_CHANGES + 2; i++) await adjust(sku, 1);
    const after = await waitForState(sku, (s) => s.applied === MAX_CHANGES + 3 && s.pending === 0);
    const runAfter = (await h.temporal.client.workflow.getHandle(inventoryWorkflowId(sku)).describe()).runId;
    expect(runAfter).not.toBe(runBefore);
    expect(
      (await h.temporal.client.workflow.getHandle(inventoryWorkflowId(sku), runBefore).describe()).status
        .name,
    ).toBe('CONTINUED_AS_NEW');
    expect(after).toMatchObject({
      onHand: 5 + MAX_CHANGES + 2,
      rule: before.rule,
      onOrder: 35,
      openProcurements: [{ purchaseOrderId: po.purchaseOrderId, quantity: 35, received: 0 }],
      procurementsStarted: 1,
    });
    // the procurement outlived the run that started it and reports to the new one
    const id = po.purchaseOrderId;
    await request(h.app).post(`/v1/purchase-orders/${id}/receipts`).send({ quantity: 35 }).expect(202);
    await waitForState(sku, (s) => s.onOrder === 0 && s.onHand === 5 + MAX_CHANGES + 2 + 35);
    expect(await purchaseOrdersOf(sku)).toHaveLength(1);
  });

  it('releases a backordered order when its goods arrive', async () => {
    const sku = uniqueKey('BACK');
    await skuWithRule(sku, { reorderPoint: 5, orderUpTo: 20 });
    await adjust(sku, 1);
    const { po, line } = await onePurchaseOrder(sku);
    const customerId = await createCustomer(h);
    const waiting = await placeOrder(h, {
      customerId,
      lines: [{ sku, quantity: 3, unitPrice: 250 }],
      backorderPolicy: 'cancel',
    });
    await waitForStatus(h, waiting, 'backordered');
    // an order marked backordered whose workflow is gone is listed as not found, not an error
    const gone = uniqueKey('O');
    await db().insert(salesOrders).values({
      orderId: gone,
      customerId,
      status: 'backordered',
      currency: 'EUR',
      subtotal: 500,
      total: 500,
      correlationId: gone,
    });
    await db().insert(salesOrderLines).values({
      orderId: gone,
      lineNo: 1,
      sku,
      quantity: 2,
      unitPrice: 250,
      lineTotal: 500,
      currency: 'EUR',
    });

    await request(h.app)
      .post(`/v1/purchase-orders/${po.purchaseOrderId}/receipts`)
      .send({ quantity: line.quantity })
      .expect(202);
    const procurement = await h.temporal.client.workflow
      .getHandle(procurementWorkflowId(po.purchaseOrderId))
      .result();
    expect(procurement.receipts[0]?.notifiedOrders).toEqual([waiting]);
    // the order reserves the rest and goes on to its invoice
    await waitForStatus(h, waiting, 'invoiced');
    expect(await stockOf(sku)).toMatchObject({ onHand: 1 + line.quantity, reserved: 3 });
  });

  it('never lets stock go negative under concurrent reservations and stock changes', async () => {
    const sku = uniqueKey('RACE');
    await adjust(sku, 30);
    await waitForState(sku, (s) => s.applied === 1 && s.onHand === 30);
    const taskQueue = workflowTaskQueue(h.taskQueuePrefix, WORKFLOW_TYPES.inventoryItem);
    // reservations the way an order's activity makes them: a guarded update, then the SKU is told
    const reserve = async (i: number) => {
      const updated = await db()
        .update(stockLevels)
        .set({ reserved: sql`${stockLevels.reserved} + 1` })
        .where(and(eq(stockLevels.sku, sku), sql`${stockLevels.onHand} - ${stockLevels.reserved} >= 1`))
        .returning();
      if (updated.length > 0) {
        await signalSkuWorkflow(h.temporal.client, taskQueue, { sku }, stockLevelChangedSignal, {
          sku,
          reason: 'reserved',
          cause: { source: 'test/orders', id: `reserve-${sku}-${i}`, correlationId: 'race' },
        });
      }
      return updated.length;
    };
    const results = await Promise.all([
      ...Array.from({ length: 25 }, (_, i) => reserve(i)),
      ...Array.from({ length: 25 }, () =>
        request(h.app)
          .post('/v1/events')
          .send(stockAdjusted({ sku, delta: -1 }))
          .expect(202)
          .then(() => 0),
      ),
    ]);
    const reserved = results.reduce((s, n) => s + n, 0);
    await waitForState(sku, (s) => s.applied === 26 && s.pending === 0, 60_000);
    const level = await stockOf(sku);
    expect(level?.reserved).toBe(reserved);
    expect(level?.onHand).toBeGreaterThanOrEqual(level?.reserved ?? 0);
    expect(level?.onHand).toBeGreaterThanOrEqual(0);
    const [{ negative }] = (
      await db().execute<{ negative: number }>(
        sql`select count(*)::int as negative from stock_movements where sku = ${sku} and on_hand_after < 0`,
      )
    ).rows as [{ negative: number }];
    expect(negative).toBe(0);
    // the workflow read the reservations too
    await waitForState(sku, (s) => s.reserved === reserved && s.onHand === level?.onHand);
  });
});

async function stockOf(sku: string) {
  const [row] = await db().select().from(stockLevels).where(eq(stockLevels.sku, sku));
  return row;
}

function goodsReceived(purchaseOrderId: string, receiptId: string, sku: string, quantity: number) {
  return {
    specversion: '1.0',
    id: `evt-${randomUUID()}`,
    source: 'test/supplier',
    type: 'goods.received',
    data: { purchaseOrderId, receiptId, lines: [{ sku, quantity }], receivedAt: new Date().toISOString() },
  };
}
