/** Payment reconciliation and receivables settings (DOMAIN.md: payment reconciliation). */
import { z } from 'zod';
import { durationSchema } from './duration';

export const reconciliationSettingsSchema = z
  .object({
    /** Candidates are open invoices issued within this many days before the payment (18 months). */
    lookBackDays: z.number().int().min(1).max(3650).default(548),
    /**
     * How an invoice number is found in a payment's reference text: a regular expression whose
     * first capture group (or whole match) is the invoice number. Default: the `INV-…` token.
     */
    referencePattern: z
      .string()
      .min(1)
      .max(200)
      .refine(
        (p) => {
          try {
            new RegExp(p, 'g');
            return true;
          } catch {
            return false;
          }
        },
        { message: 'must be a valid regular expression' },
      )
      .default('(?:^|[^A-Za-z0-9])(INV-[A-Za-z0-9][A-Za-z0-9._:/-]*)'),
    /** Rule 4: a payment within this of one candidate's outstanding amount is allocated with a write-off. */
    tolerancePercent: z.number().min(0).max(100).default(0),
    /** Rule 4, in minor units; the larger of the two tolerances applies. */
    toleranceAmount: z.number().int().min(0).default(0),
    /** Auto-allocate only when the match's confidence (0..1) is at least this; below, an exception. */
    confidenceThreshold: z.number().min(0).max(1).default(0.7),
    /** Possible duplicate: the same payer, amount and reference seen within this window. */
    duplicateWindow: durationSchema.default('7 days'),
    /** Amount far above the payer's history: more than this many times their largest earlier payment. */
    historyFactor: z.number().min(1).default(5),
    /** The history check needs at least this many earlier payments from the payer. */
    historyMinPayments: z.number().int().min(1).default(3),
    /** How long an exception waits for an operator before it escalates (alert + finance task). */
    reviewSla: durationSchema.default('2 days'),
    /** Nightly batch: payments matched per page (one transaction, one heartbeat per page). */
    batchPageSize: z.number().int().min(100).max(100_000).default(10_000),
  })
  .strict();

export const financeSettingsSchema = z
  .object({
    reconciliation: reconciliationSettingsSchema.default(() => reconciliationSettingsSchema.parse({})),
  })
  .strict();

export type FinanceSettings = z.infer<typeof financeSettingsSchema>;
export type ReconciliationSettings = z.infer<typeof reconciliationSettingsSchema>;
