/** Inventory event schemas: stock, reorder rules, purchase orders, receipts (no I/O). */
import { z } from 'zod';
import {
  checkOrderUpTo,
  dateSchema,
  idSchema,
  MAX_QUANTITY,
  nonNegativeQuantity,
  quantitySchema,
  reorderSettingsShape,
  skuSchema,
  timestampSchema,
} from './primitives';

export { skuSchema };

/** inventory.stock_adjusted v1: a relative change (delta) or an absolute count (quantity). */
export const stockAdjustedV1 = z
  .object({
    sku: skuSchema,
    delta: z
      .number()
      .int()
      .min(-MAX_QUANTITY)
      .max(MAX_QUANTITY)
      .refine((n) => n !== 0, 'must not be 0')
      .optional(),
    quantity: nonNegativeQuantity.optional(),
    reason: z.string().min(1).max(200),
  })
  .strict()
  .superRefine((d, ctx) => {
    const given = (d.delta !== undefined ? 1 : 0) + (d.quantity !== undefined ? 1 : 0);
    if (given !== 1) {
      for (const path of ['delta', 'quantity']) {
        ctx.addIssue({
          code: 'custom',
          path: [path],
          message: 'exactly one of delta and quantity is required',
        });
      }
    }
  })
  .meta({
    id: 'InventoryStockAdjustedV1',
    description: 'Stock of one SKU changed by a delta, or counted to an absolute quantity.',
    example: { sku: 'SKU-1', delta: -2, reason: 'damaged' },
  });

export type StockAdjustedV1 = z.infer<typeof stockAdjustedV1>;

/** inventory.reorder_settings_changed v1: the min/max reorder rule of one SKU was set. */
export const reorderSettingsChangedV1 = z
  .object({ sku: skuSchema, ...reorderSettingsShape })
  .strict()
  .superRefine(checkOrderUpTo)
  .meta({
    id: 'InventoryReorderSettingsChangedV1',
    description: 'The reorder rule of one SKU (reorder point, order-up-to, pack, MOQ, lead time) was set.',
    example: {
      sku: 'SKU-1',
      reorderPoint: 20,
      orderUpTo: 100,
      packMultiple: 12,
      minOrderQuantity: 24,
      leadTimeDays: 5,
      supplierId: 'SUP-9',
    },
  });

export type ReorderSettingsChangedV1 = z.infer<typeof reorderSettingsChangedV1>;

/** purchase_order.confirmed v1: the supplier confirmed a purchase order and its delivery date. */
export const purchaseOrderConfirmedV1 = z
  .object({
    purchaseOrderId: idSchema,
    supplierId: idSchema,
    expectedDate: dateSchema,
    confirmedAt: timestampSchema,
    supplierReference: z.string().min(1).max(100).optional(),
  })
  .strict()
  .meta({
    id: 'PurchaseOrderConfirmedV1',
    description: 'A supplier confirmed a purchase order with an expected delivery date.',
    example: {
      purchaseOrderId: 'PO-2026-0107',
      supplierId: 'SUP-9',
      expectedDate: '2026-12-04',
      confirmedAt: '2026-11-27T14:05:00+01:00',
      supplierReference: 'AB-55812',
    },
  });

export type PurchaseOrderConfirmedV1 = z.infer<typeof purchaseOrderConfirmedV1>;

/** goods.received v1: goods of a purchase order arrived (all or part of it). */
export const goodsReceivedV1 = z
  .object({
    purchaseOrderId: idSchema,
    receiptId: idSchema,
    lines: z
      .array(z.object({ sku: skuSchema, quantity: quantitySchema }).strict())
      .min(1)
      .max(500),
    receivedAt: timestampSchema,
  })
  .strict()
  .meta({
    id: 'GoodsReceivedV1',
    description: 'Goods of a purchase order were received into stock, in full or in part.',
    example: {
      purchaseOrderId: 'PO-2026-0107',
      receiptId: 'GR-880',
      lines: [{ sku: 'SKU-1', quantity: 48 }],
      receivedAt: '2026-12-04T08:40:00+01:00',
    },
  });

export type GoodsReceivedV1 = z.infer<typeof goodsReceivedV1>;
