/**
 * Procurement activities: the purchase order's life in Postgres (draft, sent, confirmed, received,
 * closed or cancelled), goods received into stock and the ledger, and backordered orders told.
 * Every write is idempotent (a primary key, an outbox key or an idempotency record per step).
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq, inArray, sql } from 'drizzle-orm';
import {
  ACCOUNT_CODES,
  goodsReceiptLines,
  goodsReceipts,
  idempotencyRecords,
  journalEntries,
  journalLines,
  products,
  purchaseOrderLines,
  purchaseOrders,
  salesOrderLines,
  salesOrders,
  stockLevels,
  stockMovements,
  suppliers,
} from '../db/schema';
import { appendOutbox } from '../db/queries/outbox';
import { openTask } from '../db/queries/crm';
import { orderWorkflowId, procurementWorkflowId } from '../domain/names';
import { skuReplenishedSignal } from '../domain/inventory';
import type {
  BackorderNotice,
  GoodsReceipt,
  ProcurementInput,
  PurchaseOrderConfirmation,
  PurchaseOrderCreated,
  ReceiptOutcome,
} from '../domain/procurement';
import type { ActivityDeps } from './index';

/** YYYY-MM-DD of `days` after the UTC date of `from`. */
export function addDays(from: Date, days: number): string {
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() + days));
  return d.toISOString().slice(0, 10);
}

const poCause = (purchaseOrderId: string) => ({ correlationId: purchaseOrderId });

export function createProcurementActivities({ db, settings }: ActivityDeps) {
  const cfg = settings.inventory;

  return {
    /**
     * Creates the purchase order (status draft) with its one line, or returns the one created
     * before. Unit cost: the product's unit price (the only price the catalogue holds), else 0;
     * currency: the product's, else the supplier's, else the configured default.
     */
    async createPurchaseOrder(input: ProcurementInput): Promise<PurchaseOrderCreated> {
      return db.transaction(async (tx) => {
        const existing = await tx
          .select({ po: purchaseOrders, line: purchaseOrderLines })
          .from(purchaseOrders)
          .innerJoin(
            purchaseOrderLines,
            eq(purchaseOrderLines.purchaseOrderId, purchaseOrders.purchaseOrderId),
          )
          .where(eq(purchaseOrders.purchaseOrderId, input.purchaseOrderId));
        if (existing[0]) {
          const { po, line } = existing[0];
          return {
            purchaseOrderId: po.purchaseOrderId,
            expectedDate: po.expectedDate ?? addDays(new Date(), input.leadTimeDays),
            currency: po.currency,
            unitCost: line.unitCost ?? 0,
            overReceiptTolerance: line.overReceiptTolerance,
          };
        }
        const [supplier] = await tx
          .select()
          .from(suppliers)
          .where(eq(suppliers.supplierId, input.supplierId));
        if (!supplier) {
          throw ApplicationFailure.nonRetryable(`supplier ${input.supplierId} is unknown`, 'UnknownSupplier');
        }
        const [product] = await tx.select().from(products).where(eq(products.sku, input.sku));
        const currency = product?.currency ?? supplier.currency ?? cfg.defaultCurrency;
        const unitCost = product?.unitPrice ?? 0;
        const expectedDate = addDays(new Date(), input.leadTimeDays);
        const overReceiptTolerance = Math.floor((input.quantity * cfg.overReceiptTolerancePercent) / 100);
        await tx.insert(purchaseOrders).values({
          purchaseOrderId: input.purchaseOrderId,
          supplierId: input.supplierId,
          status: 'draft',
          currency,
          expectedDate,
          workflowId: procurementWorkflowId(input.purchaseOrderId),
          correlationId: input.purchaseOrderId,
        });
        await tx.insert(purchaseOrderLines).values({
          purchaseOrderId: input.purchaseOrderId,
          lineNo: 1,
          sku: input.sku,
          quantity: input.quantity,
          overReceiptTolerance,
          unitCost,
          currency,
        });
        const payload = {
          purchaseOrderId: input.purchaseOrderId,
          supplierId: input.supplierId,
          sku: input.sku,
          quantity: input.quantity,
          expectedDate,
          currency,
          unitCost,
        };
        await appendOutbox(tx, {
          aggregateType: 'sku',
          aggregateId: input.sku,
          type: 'stock.reorder_triggered',
          payload,
          idempotencyKey: `stock.reorder_triggered/${input.purchaseOrderId}`,
          cause: poCause(input.purchaseOrderId),
        });
        await appendOutbox(tx, {
          aggregateType: 'purchase_order',
          aggregateId: input.purchaseOrderId,
          type: 'purchase_order.created',
          payload,
          idempotencyKey: `purchase_order.created/${input.purchaseOrderId}`,
          cause: poCause(input.purchaseOrderId),
        });
        log.info('purchase order created', payload);
        return {
          purchaseOrderId: input.purchaseOrderId,
          expectedDate,
          currency,
          unitCost,
          overReceiptTolerance,
        };
      });
    },

    /** Sends (attempt 1) or re-sends the order to its supplier: status sent, purchase_order.sent out. */
    async sendPurchaseOrder(input: { purchaseOrderId: string; attempt: number }): Promise<{ sent: boolean }> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .select({ po: purchaseOrders, line: purchaseOrderLines })
          .from(purchaseOrders)
          .innerJoin(
            purchaseOrderLines,
            eq(purchaseOrderLines.purchaseOrderId, purchaseOrders.purchaseOrderId),
          )
          .where(eq(purchaseOrders.purchaseOrderId, input.purchaseOrderId))
          .for('update', { of: purchaseOrders });
        if (!row || !['draft', 'sent'].includes(row.po.status)) return { sent: false };
        await tx
          .update(purchaseOrders)
          .set({ status: 'sent', sentAt: sql`now()`, updatedAt: sql`now()` })
          .where(eq(purchaseOrders.purchaseOrderId, input.purchaseOrderId));
        await appendOutbox(tx, {
          aggregateType: 'purchase_order',
          aggregateId: input.purchaseOrderId,
          type: 'purchase_order.sent',
          payload: {
            purchaseOrderId: input.purchaseOrderId,
            supplierId: row.po.supplierId,
            attempt: input.attempt,
            expectedDate: row.po.expectedDate,
            currency: row.po.currency,
            lines: [
              { lineNo: 1, sku: row.line.sku, quantity: row.line.quantity, unitCost: row.line.unitCost },
            ],
          },
          idempotencyKey: `purchase_order.sent/${input.purchaseOrderId}/${input.attempt}`,
          cause: poCause(input.purchaseOrderId),
        });
        return { sent: true };
      });
    },

    /** Records the supplier's confirmation: status confirmed (unless goods already arrived), expected date. */
    async confirmPurchaseOrder(c: PurchaseOrderConfirmation): Promise<{ expectedDate: string }> {
      return db.transaction(async (tx) => {
        const [po] = await tx
          .select()
          .from(purchaseOrders)
          .where(eq(purchaseOrders.purchaseOrderId, c.purchaseOrderId))
          .for('update');
        if (!po)
          throw ApplicationFailure.nonRetryable(
            `no purchase order ${c.purchaseOrderId}`,
            'UnknownPurchaseOrder',
          );
        if (['draft', 'sent', 'confirmed', 'partially_received'].includes(po.status)) {
          await tx
            .update(purchaseOrders)
            .set({
              status: po.status === 'partially_received' ? po.status : 'confirmed',
              confirmedAt: new Date(c.confirmedAt),
              expectedDate: c.expectedDate,
              updatedAt: sql`now()`,
            })
            .where(eq(purchaseOrders.purchaseOrderId, c.purchaseOrderId));
          await appendOutbox(tx, {
            aggregateType: 'purchase_order',
            aggregateId: c.purchaseOrderId,
            type: 'purchase_order.confirmed',
            payload: {
              purchaseOrderId: c.purchaseOrderId,
              supplierId: po.supplierId,
              expectedDate: c.expectedDate,
              confirmedAt: c.confirmedAt,
              supplierReference: c.supplierReference ?? null,
            },
            idempotencyKey: `purchase_order.confirmed/${c.purchaseOrderId}/${c.cause.source}/${c.cause.id}`,
            cause: c.cause,
          });
        }
        return { expectedDate: c.expectedDate };
      });
    },

    /** A CRM task for purchasing: the supplier has not confirmed in time (once per send attempt). */
    async escalateUnconfirmedPurchaseOrder(input: {
      purchaseOrderId: string;
      attempt: number;
    }): Promise<{ taskId: number }> {
      return db.transaction(async (tx) => {
        const { task } = await openTask(tx, {
          taskKey: `purchasing.confirmation_overdue/${input.purchaseOrderId}/${input.attempt}`,
          type: 'purchasing.confirmation_overdue',
          title: `Purchase order ${input.purchaseOrderId} not confirmed by the supplier (send ${input.attempt})`,
          purchaseOrderId: input.purchaseOrderId,
          assignee: cfg.purchasingAssignee,
          dueAt: new Date(Date.now() + 24 * 3600 * 1000),
          cause: poCause(input.purchaseOrderId),
        });
        return { taskId: task.id };
      });
    },

    /** Cancels an order no goods arrived for: status cancelled, purchase_order.cancelled out. */
    async cancelPurchaseOrder(input: {
      purchaseOrderId: string;
      reason: string;
    }): Promise<{ cancelled: boolean }> {
      return db.transaction(async (tx) => {
        const updated = await tx
          .update(purchaseOrders)
          .set({ status: 'cancelled', updatedAt: sql`now()` })
          .where(
            and(
              eq(purchaseOrders.purchaseOrderId, input.purchaseOrderId),
              inArray(purchaseOrders.status, ['draft', 'sent', 'confirmed']),
            ),
          )
          .returning({ id: purchaseOrders.purchaseOrderId });
        if (updated.length > 0) {
          await appendOutbox(tx, {
            aggregateType: 'purchase_order',
            aggregateId: input.purchaseOrderId,
            type: 'purchase_order.cancelled',
            payload: { purchaseOrderId: input.purchaseOrderId, reason: input.reason },
            idempotencyKey: `purchase_order.cancelled/${input.purchaseOrderId}`,
            cause: poCause(input.purchaseOrderId),
          });
        }
        return { cancelled: updated.length > 0 };
      });
    },

    /** purchase_order.late out (once per order): past its expected date plus the grace period. */
    async raiseLateDelivery(input: {
      purchaseOrderId: string;
      expectedDate: string;
      received: number;
      quantity: number;
    }): Promise<void> {
      await db.transaction(async (tx) => {
        await appendOutbox(tx, {
          aggregateType: 'purchase_order',
          aggregateId: input.purchaseOrderId,
          type: 'purchase_order.late',
          payload: { ...input, outstanding: Math.max(0, input.quantity - input.received) },
          idempotencyKey: `purchase_order.late/${input.purchaseOrderId}`,
          cause: poCause(input.purchaseOrderId),
        });
      });
      log.warn('purchase order late', input);
    },

    /**
     * Records one receipt, once per receipt id: goods into stock (a stock movement), received on the
     * line, the order's status, and Dr inventory / Cr goods received not invoiced at the line's unit
     * cost. A receipt above the ordered quantity plus the line's tolerance, for another SKU, or for
     * an order no longer open is rejected whole (nothing moves; an alert.raised event says why).
     */
    async recordGoodsReceipt(r: GoodsReceipt): Promise<ReceiptOutcome> {
      const key = `goods-receipt/${r.purchaseOrderId}/${r.receiptId}`;
      return db.transaction(async (tx) => {
        const [prior] = await tx.select().from(idempotencyRecords).where(eq(idempotencyRecords.key, key));
        if (prior) return prior.outcome as ReceiptOutcome;

        const [row] = await tx
          .select({ po: purchaseOrders, line: purchaseOrderLines })
          .from(purchaseOrders)
          .innerJoin(
            purchaseOrderLines,
            eq(purchaseOrderLines.purchaseOrderId, purchaseOrders.purchaseOrderId),
          )
          .where(and(eq(purchaseOrders.purchaseOrderId, r.purchaseOrderId), eq(purchaseOrderLines.lineNo, 1)))
          .for('update');
        if (!row)
          throw ApplicationFailure.nonRetryable(
            `no purchase order ${r.purchaseOrderId}`,
            'UnknownPurchaseOrder',
          );
        const { po, line } = row;
        const quantity = r.lines.filter((l) => l.sku === line.sku).reduce((s, l) => s + l.quantity, 0);
        const otherSkus = r.lines.filter((l) => l.sku !== line.sku).map((l) => l.sku);
        const [receiptElsewhere] = await tx
          .select({ po: goodsReceipts.purchaseOrderId })
          .from(goodsReceipts)
          .where(eq(goodsReceipts.receiptId, r.receiptId));

        let reason: string | undefined;
        if (receiptElsewhere)
          reason = `receipt ${r.receiptId} was already recorded for ${receiptElsewhere.po}`;
        else if (otherSkus.length > 0)
          reason = `SKU ${otherSkus.join(', ')} is not on purchase order ${po.purchaseOrderId}`;
        else if (['cancelled', 'closed', 'received'].includes(po.status))
          reason = `purchase order ${po.purchaseOrderId} is ${po.status}`;
        else if (line.received + quantity > line.quantity + line.overReceiptTolerance)
          reason =
            `over-receipt: ${line.received} received + ${quantity} exceeds ${line.quantity} ordered` +
            (line.overReceiptTolerance > 0 ? ` + ${line.overReceiptTolerance} tolerance` : '');

        let outcome: ReceiptOutcome;
        if (reason) {
          outcome = {
            status: 'rejected',
            receiptId: r.receiptId,
            received: line.received,
            quantity: line.quantity,
            reason,
          };
          await appendOutbox(tx, {
            aggregateType: 'purchase_order',
            aggregateId: po.purchaseOrderId,
            type: 'alert.raised',
            payload: {
              kind: 'goods_receipt.rejected',
              purchaseOrderId: po.purchaseOrderId,
              receiptId: r.receiptId,
              reason,
            },
            idempotencyKey: `alert.goods_receipt_rejected/${po.purchaseOrderId}/${r.receiptId}`,
            cause: r.cause,
          });
        } else {
          const received = line.received + quantity;
          const status = received >= line.quantity ? 'received' : 'partially_received';
          const causation = {
            causationSource: r.cause.source,
            causationId: r.cause.id,
            correlationId: r.cause.correlationId,
          };
          await tx.insert(goodsReceipts).values({
            receiptId: r.receiptId,
            purchaseOrderId: po.purchaseOrderId,
            receivedAt: new Date(r.receivedAt),
            ...causation,
          });
          await tx
            .insert(goodsReceiptLines)
            .values({ receiptId: r.receiptId, purchaseOrderId: po.purchaseOrderId, lineNo: 1, quantity });
          await tx
            .update(purchaseOrderLines)
            .set({ received })
            .where(
              and(
                eq(purchaseOrderLines.purchaseOrderId, po.purchaseOrderId),
                eq(purchaseOrderLines.lineNo, 1),
              ),
            );
          await tx
            .update(purchaseOrders)
            .set({ status, updatedAt: sql`now()` })
            .where(eq(purchaseOrders.purchaseOrderId, po.purchaseOrderId));
          // goods in: the stock row (created if needed) and the movement ledger
          await tx.insert(stockLevels).values({ sku: line.sku }).onConflictDoNothing();
          const [level] = await tx
            .update(stockLevels)
            .set({ onHand: sql`${stockLevels.onHand} + ${quantity}`, updatedAt: sql`now()` })
            .where(eq(stockLevels.sku, line.sku))
            .returning();
          await tx.insert(stockMovements).values({
            sku: line.sku,
            delta: quantity,
            onHandAfter: level?.onHand ?? quantity,
            reason: `goods received ${r.receiptId} (${po.purchaseOrderId})`,
            ...causation,
          });
          const value = quantity * (line.unitCost ?? 0);
          let journalEntryId: number | undefined;
          if (value > 0) {
            const [entry] = await tx
              .insert(journalEntries)
              .values({
                idempotencyKey: `goods-received/${po.purchaseOrderId}/${r.receiptId}`,
                occurredAt: new Date(r.receivedAt),
                description: `Goods received ${r.receiptId} for ${po.purchaseOrderId}: ${quantity} × ${line.sku}`,
                currency: po.currency,
                ...causation,
              })
              .returning({ id: journalEntries.id });
            journalEntryId = entry?.id;
            const common = {
              entryId: journalEntryId as number,
              currency: po.currency,
              purchaseOrderId: po.purchaseOrderId,
            };
            await tx.insert(journalLines).values([
              {
                ...common,
                accountCode: ACCOUNT_CODES.inventory,
                debit: value,
                memo: `${quantity} × ${line.sku}`,
              },
              {
                ...common,
                accountCode: ACCOUNT_CODES.goodsReceivedNotInvoiced,
                credit: value,
                memo: r.receiptId,
              },
            ]);
          }
          await appendOutbox(tx, {
            aggregateType: 'purchase_order',
            aggregateId: po.purchaseOrderId,
            type: 'purchase_order.received',
            payload: {
              purchaseOrderId: po.purchaseOrderId,
              receiptId: r.receiptId,
              sku: line.sku,
              quantity,
              received,
              ordered: line.quantity,
              fullyReceived: status === 'received',
            },
            idempotencyKey: `purchase_order.received/${po.purchaseOrderId}/${r.receiptId}`,
            cause: r.cause,
          });
          outcome = {
            status: 'applied',
            receiptId: r.receiptId,
            received,
            quantity: line.quantity,
            ...(journalEntryId !== undefined ? { journalEntryId } : {}),
          };
        }
        await tx.insert(idempotencyRecords).values({
          key,
          scope: 'recordGoodsReceipt',
          outcome,
          causationSource: r.cause.source,
          causationId: r.cause.id,
        });
        log.info(`goods receipt ${outcome.status}`, {
          purchaseOrderId: r.purchaseOrderId,
          receiptId: r.receiptId,
          reason,
        });
        return outcome;
      });
    },

    /**
     * Tells the order workflow of every backordered order with a line for the SKU that its stock
     * went up (skuReplenishedSignal). An order whose workflow is not found is listed, not an error.
     */
    async notifyBackorderedOrders(input: { sku: string }): Promise<BackorderNotice> {
      const orders = await db
        .selectDistinct({ orderId: salesOrders.orderId })
        .from(salesOrders)
        .innerJoin(salesOrderLines, eq(salesOrderLines.orderId, salesOrders.orderId))
        .where(and(eq(salesOrders.status, 'backordered'), eq(salesOrderLines.sku, input.sku)))
        .orderBy(salesOrders.orderId);
      const [level] = await db.select().from(stockLevels).where(eq(stockLevels.sku, input.sku));
      const available = (level?.onHand ?? 0) - (level?.reserved ?? 0);
      const client = Context.current().client;
      const notice: BackorderNotice = { notified: [], notFound: [] };
      for (const { orderId } of orders) {
        try {
          await client.workflow
            .getHandle(orderWorkflowId(orderId))
            .signal(skuReplenishedSignal, { sku: input.sku, available });
          notice.notified.push(orderId);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          notice.notFound.push(orderId);
        }
      }
      if (orders.length > 0)
        log.info('backordered orders told of replenishment', { sku: input.sku, ...notice });
      return notice;
    },

    /** Closes a fully received order. */
    async closePurchaseOrder(input: { purchaseOrderId: string }): Promise<{ closed: boolean }> {
      const updated = await db
        .update(purchaseOrders)
        .set({ status: 'closed', updatedAt: sql`now()` })
        .where(
          and(
            eq(purchaseOrders.purchaseOrderId, input.purchaseOrderId),
            eq(purchaseOrders.status, 'received'),
          ),
        )
        .returning({ id: purchaseOrders.purchaseOrderId });
      if (updated.length > 0) return { closed: true };
      // a retry after the commit finds it closed already and answers as the first attempt did
      const [po] = await db
        .select({ status: purchaseOrders.status })
        .from(purchaseOrders)
        .where(eq(purchaseOrders.purchaseOrderId, input.purchaseOrderId));
      return { closed: po?.status === 'closed' };
    },
  };
}
