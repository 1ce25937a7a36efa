/** Order-to-cash settings (DOMAIN.md: order-to-cash, dunning). Defaults are the domain rules'. */
import { z } from 'zod';
import { durationSchema } from './duration';

export const salesSettingsSchema = z
  .object({
    /** How long an order over its customer's credit limit waits for approval before it cancels itself. */
    approvalTimeout: durationSchema.default('3 days'),
    /** How long a backordered order waits for replenishment before its backorder policy applies. */
    backorderTimeout: durationSchema.default('14 days'),
    /** Sales tax in basis points (1900 = 19%), applied per line, rounded half-even. */
    taxRateBps: z.number().int().min(0).max(10_000).default(1900),
  })
  .strict();

export type SalesSettings = z.infer<typeof salesSettingsSchema>;
