/** Inventory and procurement settings (DOMAIN.md: inventory and reorder, procurement). */
import { z } from 'zod';
import { durationSchema } from './duration';

export const CONFIRMATION_TIMEOUT_ACTIONS = ['resend', 'cancel'] as const;

export const inventorySettingsSchema = z
  .object({
    /** A SKU's workflow continues-as-new after this many changes (stock, settings, receipts) in one run. */
    maxChangesPerRun: z.number().int().min(1).default(500),
    /** How long a sent purchase order waits for the supplier's confirmation. */
    confirmationTimeout: durationSchema.default('2 days'),
    /**
     * After a confirmation timeout (a CRM task for purchasing is opened each time): send the order
     * again, or cancel it.
     */
    onConfirmationTimeout: z.enum(CONFIRMATION_TIMEOUT_ACTIONS).default('resend'),
    /** How many times an unconfirmed order is sent again before it is cancelled. */
    maxConfirmationRetries: z.number().int().min(0).default(2),
    /** A purchase order is late (alert) this long after the end of its expected date. */
    lateDeliveryGrace: durationSchema.default('1 day'),
    /**
     * Over-receipt allowed on a new purchase order line, in percent of its quantity (rounded down);
     * 0: a receipt above the ordered quantity is rejected.
     */
    overReceiptTolerancePercent: z.number().int().min(0).max(100).default(0),
    /** Who the purchasing CRM tasks are assigned to. */
    purchasingAssignee: z.string().min(1).default('purchasing'),
    /** Currency of a purchase order when neither the product nor the supplier names one. */
    defaultCurrency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .default('EUR'),
  })
  .strict();

export type InventorySettings = z.infer<typeof inventorySettingsSchema>;
