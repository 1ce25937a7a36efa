/** Inventory event schemas (no I/O). */
import { z } from 'zod';

export const skuSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, underscore and dash only');

/** inventory.stock_adjusted v1: a relative change (delta) or an absolute count (quantity). */
export const stockAdjustedV1 = z
  .object({
    sku: skuSchema,
    delta: z
      .number()
      .int()
      .refine((n) => n !== 0, 'must not be 0')
      .optional(),
    quantity: z.number().int().min(0).optional(),
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
