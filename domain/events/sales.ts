/** Sales event schemas: orders and shipments (no I/O). */
import { z } from 'zod';
import {
  countryCodeSchema,
  currencySchema,
  idSchema,
  minorUnits,
  paymentTermsSchema,
  quantitySchema,
  skuSchema,
  timestampSchema,
} from './primitives';

export const BACKORDER_POLICIES = ['cancel', 'ship_available'] as const;

const orderLineSchema = z
  .object({
    sku: skuSchema,
    quantity: quantitySchema,
    unitPrice: minorUnits,
  })
  .strict();

const addressSchema = z
  .object({
    name: z.string().min(1).max(200),
    line1: z.string().min(1).max(200),
    line2: z.string().min(1).max(200).optional(),
    city: z.string().min(1).max(100),
    postalCode: z.string().min(1).max(20),
    region: z.string().min(1).max(100).optional(),
    country: countryCodeSchema,
  })
  .strict();

/** order.placed v1: a customer's order with its lines, priced in one currency. */
export const orderPlacedV1 = z
  .object({
    orderId: idSchema,
    customerId: idSchema,
    currency: currencySchema,
    paymentTerms: paymentTermsSchema,
    lines: z.array(orderLineSchema).min(1).max(500),
    shippingAddress: addressSchema.optional(),
    backorderPolicy: z.enum(BACKORDER_POLICIES).optional(),
    placedAt: timestampSchema.optional(),
  })
  .strict()
  .superRefine((order, ctx) => {
    // the order total must stay an exact integer
    if (!Array.isArray(order.lines)) return;
    let total = 0;
    for (const line of order.lines) {
      if (typeof line?.quantity !== 'number' || typeof line.unitPrice !== 'number') return;
      total += line.quantity * line.unitPrice;
    }
    if (!Number.isSafeInteger(total)) {
      ctx.addIssue({
        code: 'custom',
        path: ['lines'],
        message: 'order total exceeds the largest safe integer',
      });
    }
  })
  .meta({
    id: 'OrderPlacedV1',
    description: 'A customer placed an order; amounts are in minor units of its currency.',
    example: {
      orderId: 'O-1001',
      customerId: 'C-42',
      currency: 'EUR',
      paymentTerms: { netDays: 30 },
      lines: [
        { sku: 'SKU-1', quantity: 2, unitPrice: 1250 },
        { sku: 'SKU-7', quantity: 1, unitPrice: 4990 },
      ],
      shippingAddress: {
        name: 'Acme GmbH',
        line1: 'Hauptstrasse 1',
        city: 'Berlin',
        postalCode: '10115',
        country: 'DE',
      },
      backorderPolicy: 'ship_available',
      placedAt: '2026-11-27T10:00:00Z',
    },
  });

export type OrderPlacedV1 = z.infer<typeof orderPlacedV1>;

/** order.cancel_requested v1: someone asks to cancel an order. */
export const orderCancelRequestedV1 = z
  .object({
    orderId: idSchema,
    reason: z.string().min(1).max(500),
    requestedBy: idSchema.optional(),
  })
  .strict()
  .meta({
    id: 'OrderCancelRequestedV1',
    description: 'Cancellation of an order was requested; refused after shipment.',
    example: { orderId: 'O-1001', reason: 'customer changed their mind', requestedBy: 'user:anna' },
  });

export type OrderCancelRequestedV1 = z.infer<typeof orderCancelRequestedV1>;

/** order.approved v1: an operator approved an order held for credit review. */
export const orderApprovedV1 = z
  .object({
    orderId: idSchema,
    approvedBy: idSchema,
    note: z.string().min(1).max(1000).optional(),
  })
  .strict()
  .meta({
    id: 'OrderApprovedV1',
    description: 'An operator approved an order that was held over its credit limit.',
    example: { orderId: 'O-1001', approvedBy: 'user:finance-lead', note: 'long-standing customer' },
  });

export type OrderApprovedV1 = z.infer<typeof orderApprovedV1>;

/** shipment.confirmed v1: an order's goods left the warehouse. */
export const shipmentConfirmedV1 = z
  .object({
    orderId: idSchema,
    shipmentId: idSchema,
    carrier: z.string().min(1).max(100).optional(),
    trackingNumber: z.string().min(1).max(100).optional(),
    shippedAt: timestampSchema,
  })
  .strict()
  .meta({
    id: 'ShipmentConfirmedV1',
    description: 'The shipment of an order was handed to the carrier.',
    example: {
      orderId: 'O-1001',
      shipmentId: 'SH-5001',
      carrier: 'DHL',
      trackingNumber: '00340434161094042557',
      shippedAt: '2026-11-28T15:30:00+01:00',
    },
  });

export type ShipmentConfirmedV1 = z.infer<typeof shipmentConfirmedV1>;
