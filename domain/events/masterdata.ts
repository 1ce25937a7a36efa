/** Master data event schemas: customers, products, suppliers (no I/O). */
import { z } from 'zod';
import {
  currencySchema,
  idSchema,
  minorUnits,
  paymentTermsSchema,
  quantitySchema,
  reorderSettingsSchema,
  skuSchema,
  timeZoneSchema,
} from './primitives';

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'time of day as HH:MM (00:00 to 23:59)');

const quietHoursSchema = z
  .object({
    start: clockTime,
    end: clockTime,
    timeZone: timeZoneSchema,
  })
  .strict()
  .refine((q) => q.start !== q.end, { path: ['end'], message: 'must differ from start' });

/** customer.upserted v1: a customer was created or changed. */
export const customerUpsertedV1 = z
  .object({
    customerId: idSchema,
    name: z.string().min(1).max(200),
    email: z.email().max(254).optional(),
    creditLimit: minorUnits,
    currency: currencySchema,
    paymentTerms: paymentTermsSchema,
    consent: z.boolean(),
    quietHours: quietHoursSchema.optional(),
  })
  .strict()
  .meta({
    id: 'CustomerUpsertedV1',
    description:
      'A customer was created or changed. creditLimit is in minor units (0 = no limit); consent says ' +
      'whether sales may contact them; quiet hours may span midnight.',
    example: {
      customerId: 'C-42',
      name: 'Acme GmbH',
      email: 'purchasing@acme.example',
      creditLimit: 500000,
      currency: 'EUR',
      paymentTerms: { netDays: 30 },
      consent: true,
      quietHours: { start: '20:00', end: '08:00', timeZone: 'Europe/Berlin' },
    },
  });

export type CustomerUpsertedV1 = z.infer<typeof customerUpsertedV1>;

/** product.upserted v1: a product was created or changed, optionally with its reorder rule. */
export const productUpsertedV1 = z
  .object({
    sku: skuSchema,
    name: z.string().min(1).max(200),
    unitPrice: minorUnits,
    currency: currencySchema,
    supplierId: idSchema.optional(),
    reorderSettings: reorderSettingsSchema.optional(),
    active: z.boolean().optional(),
  })
  .strict()
  .meta({
    id: 'ProductUpsertedV1',
    description: 'A product was created or changed; unitPrice is in minor units of its currency.',
    example: {
      sku: 'SKU-1',
      name: 'Wine glass, 12 pack',
      unitPrice: 1250,
      currency: 'EUR',
      supplierId: 'SUP-9',
      reorderSettings: {
        reorderPoint: 20,
        orderUpTo: 100,
        packMultiple: 12,
        minOrderQuantity: 24,
        leadTimeDays: 5,
        supplierId: 'SUP-9',
      },
      active: true,
    },
  });

export type ProductUpsertedV1 = z.infer<typeof productUpsertedV1>;

/** supplier.upserted v1: a supplier was created or changed. */
export const supplierUpsertedV1 = z
  .object({
    supplierId: idSchema,
    name: z.string().min(1).max(200),
    email: z.email().max(254).optional(),
    currency: currencySchema.optional(),
    leadTimeDays: z.number().int().min(0).max(365).optional(),
    minOrderQuantity: quantitySchema.optional(),
  })
  .strict()
  .meta({
    id: 'SupplierUpsertedV1',
    description: 'A supplier was created or changed, with its default lead time and minimum order quantity.',
    example: {
      supplierId: 'SUP-9',
      name: 'Glaswerk Nord',
      email: 'orders@glaswerk.example',
      currency: 'EUR',
      leadTimeDays: 5,
      minOrderQuantity: 24,
    },
  });

export type SupplierUpsertedV1 = z.infer<typeof supplierUpsertedV1>;
