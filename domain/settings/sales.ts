/** Order-to-cash settings (DOMAIN.md: order-to-cash, dunning). Defaults are the domain rules'. */
import { z } from 'zod';
import { durationSchema } from './duration';

/** One dunning level: fires `after` past the invoice's due moment while anything is outstanding. */
export const dunningLevelSchema = z
  .object({
    level: z.number().int().min(1).max(3),
    after: durationSchema,
  })
  .strict();

export const salesSettingsSchema = z
  .object({
    /** How long an order over its customer's credit limit waits for approval before it cancels itself. */
    approvalTimeout: durationSchema.default('3 days'),
    /** How long a backordered order waits for replenishment before its backorder policy applies. */
    backorderTimeout: durationSchema.default('14 days'),
    /** Sales tax in basis points (1900 = 19%), applied per line, rounded half-even. */
    taxRateBps: z.number().int().min(0).max(10_000).default(1900),
    /**
     * Dunning levels counted from the due moment (invoice time + net days), fired in this order
     * while the invoice is unpaid: 1 reminder, 2 firm reminder + CRM task, 3 final notice (collections).
     */
    dunningLevels: z
      .array(dunningLevelSchema)
      .max(3)
      .default([
        { level: 1, after: '7 days' },
        { level: 2, after: '14 days' },
        { level: 3, after: '30 days' },
      ]),
  })
  .strict();

export type SalesSettings = z.infer<typeof salesSettingsSchema>;
export type DunningLevelSetting = z.infer<typeof dunningLevelSchema>;
