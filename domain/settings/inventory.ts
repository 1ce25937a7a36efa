/** Inventory and procurement settings (DOMAIN.md: inventory and reorder, procurement). */
import { z } from 'zod';
import { durationSchema } from './duration';

export const inventorySettingsSchema = z
  .object({
    /** A SKU's workflow continues-as-new after this many stock changes in one run. */
    maxChangesPerRun: z.number().int().min(1).default(500),
    /** How long a sent purchase order waits for the supplier's confirmation. */
    confirmationTimeout: durationSchema.default('2 days'),
  })
  .strict();

export type InventorySettings = z.infer<typeof inventorySettingsSchema>;
