/**
 * Inventory activities: stock changes applied to Postgres once per causing event, and what the
 * SKU's workflow reads to evaluate its reorder rule.
 */
import { log } from '@temporalio/activity';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type {
  LoadedReorderState,
  OpenProcurement,
  ReorderRule,
  StockChange,
  StockChangeOutcome,
  StockSnapshot,
} from '../domain/inventory';
import { procurementWorkflowId } from '../domain/names';
import { OPEN_PURCHASE_ORDER_STATUSES } from '../domain/procurement';
import {
  idempotencyRecords,
  products,
  purchaseOrderLines,
  purchaseOrders,
  reorderSettings,
  stockLevels,
  stockMovements,
  suppliers,
} from '../db/schema';
import type { Db } from '../db/client';
import { appendOutbox } from '../db/queries/outbox';
import type { ActivityDeps } from './index';

/** The SKU's reorder rule, with its supplier resolved (rule's, else the product's); null if none. */
export async function readRule(db: Db, sku: string): Promise<ReorderRule | null> {
  const [row] = await db
    .select({ rule: reorderSettings, productSupplier: products.supplierId })
    .from(reorderSettings)
    .leftJoin(products, eq(products.sku, reorderSettings.sku))
    .where(eq(reorderSettings.sku, sku));
  if (!row) return null;
  const supplierId = row.rule.supplierId ?? row.productSupplier ?? null;
  const [supplier] = supplierId
    ? await db
        .select({ id: suppliers.supplierId })
        .from(suppliers)
        .where(eq(suppliers.supplierId, supplierId))
    : [];
  return {
    reorderPoint: row.rule.reorderPoint,
    orderUpTo: row.rule.orderUpTo,
    packMultiple: row.rule.packMultiple,
    minOrderQuantity: row.rule.minOrderQuantity,
    leadTimeDays: row.rule.leadTimeDays,
    supplierId,
    supplierKnown: supplier !== undefined,
    version: row.rule.versionEventSeq,
  };
}

export async function readStock(db: Db, sku: string): Promise<StockSnapshot> {
  const [level] = await db.select().from(stockLevels).where(eq(stockLevels.sku, sku));
  return { onHand: level?.onHand ?? 0, reserved: level?.reserved ?? 0 };
}

/** The SKU's purchase orders still expecting goods. */
export async function openPurchaseOrdersOf(db: Db, sku: string): Promise<OpenProcurement[]> {
  const rows = await db
    .select({
      purchaseOrderId: purchaseOrders.purchaseOrderId,
      workflowId: purchaseOrders.workflowId,
      quantity: purchaseOrderLines.quantity,
      received: purchaseOrderLines.received,
    })
    .from(purchaseOrderLines)
    .innerJoin(purchaseOrders, eq(purchaseOrders.purchaseOrderId, purchaseOrderLines.purchaseOrderId))
    .where(
      and(eq(purchaseOrderLines.sku, sku), inArray(purchaseOrders.status, [...OPEN_PURCHASE_ORDER_STATUSES])),
    )
    .orderBy(purchaseOrders.createdAt);
  return rows.map((r) => ({
    purchaseOrderId: r.purchaseOrderId,
    workflowId: r.workflowId ?? procurementWorkflowId(r.purchaseOrderId),
    quantity: r.quantity,
    received: r.received,
  }));
}

export const stockChangeKey = (change: StockChange): string =>
  `stock-change/${change.cause.source}/${change.cause.id}`;

export function createInventoryActivities({ db }: ActivityDeps) {
  return {
    /**
     * Everything the SKU's workflow needs on a fresh start: its rule, stock, the purchase orders
     * still open, and the next purchase order sequence (one above the highest used for the SKU).
     */
    async loadReorderState(sku: string): Promise<LoadedReorderState> {
      const [rule, stock, open] = await Promise.all([
        readRule(db, sku),
        readStock(db, sku),
        openPurchaseOrdersOf(db, sku),
      ]);
      const ids = await db
        .select({ id: purchaseOrderLines.purchaseOrderId })
        .from(purchaseOrderLines)
        .where(eq(purchaseOrderLines.sku, sku));
      const prefix = `PO-${sku}-`;
      let highest = 0;
      for (const { id } of ids) {
        if (!id.startsWith(prefix)) continue;
        const n = Number(id.slice(prefix.length));
        if (Number.isInteger(n) && n > highest) highest = n;
      }
      return { rule, stock, open, nextPurchaseOrderSeq: highest + 1 };
    },

    /** The SKU's reorder rule as stored now (null when it has none). */
    async readReorderRule(sku: string): Promise<ReorderRule | null> {
      return readRule(db, sku);
    },

    /** The SKU's stock row as stored now (zeros when it has none). */
    async readStockLevel(sku: string): Promise<StockSnapshot> {
      return readStock(db, sku);
    },

    /**
     * An alert that the SKU needs reordering but its rule names no known supplier: one alert.raised
     * outbox event per SKU and rule version, however often it is asked.
     */
    async raiseNoSupplierAlert(input: {
      sku: string;
      supplierId: string | null;
      ruleVersion: number;
      projected: number;
    }): Promise<{ created: boolean }> {
      const created = await db.transaction(async (tx) => {
        const { created } = await appendOutbox(tx, {
          aggregateType: 'sku',
          aggregateId: input.sku,
          type: 'alert.raised',
          payload: {
            kind: 'reorder.no_supplier',
            sku: input.sku,
            supplierId: input.supplierId,
            projected: input.projected,
            message: input.supplierId
              ? `SKU ${input.sku} is at or below its reorder point, but supplier ${input.supplierId} is unknown`
              : `SKU ${input.sku} is at or below its reorder point, but no supplier is set`,
          },
          idempotencyKey: `alert.reorder_no_supplier/${input.sku}/${input.ruleVersion}`,
          cause: { correlationId: `sku-${input.sku}` },
        });
        return created;
      });
      log.warn('reorder blocked: no known supplier', { ...input });
      return { created };
    },

    /**
     * Applies one stock change. Idempotent: the causing event is the key (a unique record written in
     * the same transaction as the effect), so a retry or a re-delivered event returns the first
     * outcome and changes nothing. A change that would make stock negative is rejected, not applied.
     */
    async applyStockChange(change: StockChange): Promise<StockChangeOutcome> {
      const key = stockChangeKey(change);
      const cause = {
        sku: change.sku,
        eventSource: change.cause.source,
        eventId: change.cause.id,
        correlationId: change.cause.correlationId,
      };
      const result = await db.transaction(async (tx) => {
        const [prior] = await tx.select().from(idempotencyRecords).where(eq(idempotencyRecords.key, key));
        if (prior) return { outcome: prior.outcome as StockChangeOutcome, repeated: true };

        await tx.insert(stockLevels).values({ sku: change.sku }).onConflictDoNothing();
        const [level] = await tx
          .select()
          .from(stockLevels)
          .where(eq(stockLevels.sku, change.sku))
          .for('update');
        const current = level?.onHand ?? 0;
        const delta = change.delta ?? (change.quantity ?? current) - current;
        const next = current + delta;

        let outcome: StockChangeOutcome;
        if (next < 0 || next < (level?.reserved ?? 0)) {
          outcome = {
            status: 'rejected',
            onHand: current,
            reason: `would leave ${next} on hand with ${level?.reserved ?? 0} reserved`,
          };
        } else {
          await tx
            .update(stockLevels)
            .set({ onHand: next, updatedAt: sql`now()` })
            .where(eq(stockLevels.sku, change.sku));
          await tx.insert(stockMovements).values({
            sku: change.sku,
            delta,
            onHandAfter: next,
            reason: change.reason,
            causationSource: change.cause.source,
            causationId: change.cause.id,
            correlationId: change.cause.correlationId,
          });
          outcome = { status: 'applied', onHand: next };
        }
        await tx.insert(idempotencyRecords).values({
          key,
          scope: 'applyStockChange',
          outcome,
          causationSource: change.cause.source,
          causationId: change.cause.id,
        });
        return { outcome, repeated: false };
      });
      log.info(result.repeated ? 'stock change already applied' : `stock change ${result.outcome.status}`, {
        ...cause,
        onHand: result.outcome.onHand,
      });
      return result.outcome;
    },
  };
}
