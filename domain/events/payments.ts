/** Payment event schemas (no I/O). */
import { z } from 'zod';
import { currencySchema, idSchema, positiveMinorUnits, timestampSchema } from './primitives';

export const PAYMENT_METHODS = ['bank_transfer', 'card', 'cash', 'direct_debit', 'cheque', 'other'] as const;

/** payment.received v1: money came in, to be reconciled against open invoices. */
export const paymentReceivedV1 = z
  .object({
    paymentId: idSchema,
    amount: positiveMinorUnits,
    currency: currencySchema,
    customerId: idSchema.optional(),
    payerName: z.string().min(1).max(200).optional(),
    reference: z.string().max(500).optional(),
    receivedAt: timestampSchema,
    method: z.enum(PAYMENT_METHODS),
  })
  .strict()
  .meta({
    id: 'PaymentReceivedV1',
    description: 'A payment was received; the amount is in minor units of its currency.',
    example: {
      paymentId: 'PAY-7781',
      amount: 7490,
      currency: 'EUR',
      customerId: 'C-42',
      payerName: 'Acme GmbH',
      reference: 'Invoice INV-2026-0042',
      receivedAt: '2026-12-02T09:15:00+01:00',
      method: 'bank_transfer',
    },
  });

export type PaymentReceivedV1 = z.infer<typeof paymentReceivedV1>;

/** payment.refunded v1: money went back to the payer. */
export const paymentRefundedV1 = z
  .object({
    paymentId: idSchema,
    refundId: idSchema,
    amount: positiveMinorUnits,
    currency: currencySchema,
    reason: z.string().min(1).max(500),
    refundedAt: timestampSchema,
  })
  .strict()
  .meta({
    id: 'PaymentRefundedV1',
    description: 'Part or all of a payment was refunded; the amount is in minor units of its currency.',
    example: {
      paymentId: 'PAY-7781',
      refundId: 'REF-301',
      amount: 1250,
      currency: 'EUR',
      reason: 'item returned',
      refundedAt: '2026-12-10T11:00:00Z',
    },
  });

export type PaymentRefundedV1 = z.infer<typeof paymentRefundedV1>;
