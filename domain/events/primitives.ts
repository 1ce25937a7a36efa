/** Building blocks shared by the event schemas (no I/O). */
import { z } from 'zod';

/** A business id chosen by the producer (orderId, customerId, paymentId, ...). */
export const idSchema = z
  .string()
  .min(1, { error: 'must not be empty', abort: true })
  .max(100)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/,
    'must start with a letter or digit; letters, digits and . _ : / - only',
  );

/** A stock-keeping unit code. */
export const skuSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, underscore and dash only');

/**
 * Active ISO 4217 codes (List One) that have minor units, so amounts can be integers; the
 * precious metals, bond units, XDR, XSU, XUA, XTS and XXX are left out, as are withdrawn
 * codes (ANG, BGN, CUC, HRK, SLL, ZWL).
 */
export const ISO_4217_CURRENCIES = [
  'AED', 'AFN', 'ALL', 'AMD', 'AOA', 'ARS', 'AUD', 'AWG', 'AZN',
  'BAM', 'BBD', 'BDT', 'BHD', 'BIF', 'BMD', 'BND', 'BOB', 'BOV', 'BRL', 'BSD', 'BTN', 'BWP', 'BYN', 'BZD',
  'CAD', 'CDF', 'CHE', 'CHF', 'CHW', 'CLF', 'CLP', 'CNY', 'COP', 'COU', 'CRC', 'CUP', 'CVE', 'CZK',
  'DJF', 'DKK', 'DOP', 'DZD',
  'EGP', 'ERN', 'ETB', 'EUR',
  'FJD', 'FKP',
  'GBP', 'GEL', 'GHS', 'GIP', 'GMD', 'GNF', 'GTQ', 'GYD',
  'HKD', 'HNL', 'HTG', 'HUF',
  'IDR', 'ILS', 'INR', 'IQD', 'IRR', 'ISK',
  'JMD', 'JOD', 'JPY',
  'KES', 'KGS', 'KHR', 'KMF', 'KPW', 'KRW', 'KWD', 'KYD', 'KZT',
  'LAK', 'LBP', 'LKR', 'LRD', 'LSL', 'LYD',
  'MAD', 'MDL', 'MGA', 'MKD', 'MMK', 'MNT', 'MOP', 'MRU', 'MUR', 'MVR', 'MWK', 'MXN', 'MXV', 'MYR', 'MZN',
  'NAD', 'NGN', 'NIO', 'NOK', 'NPR', 'NZD',
  'OMR',
  'PAB', 'PEN', 'PGK', 'PHP', 'PKR', 'PLN', 'PYG',
  'QAR',
  'RON', 'RSD', 'RUB', 'RWF',
  'SAR', 'SBD', 'SCR', 'SDG', 'SEK', 'SGD', 'SHP', 'SLE', 'SOS', 'SRD', 'SSP', 'STN', 'SVC', 'SYP', 'SZL',
  'THB', 'TJS', 'TMT', 'TND', 'TOP', 'TRY', 'TTD', 'TWD', 'TZS',
  'UAH', 'UGX', 'USD', 'USN', 'UYI', 'UYU', 'UYW', 'UZS',
  'VED', 'VES', 'VND', 'VUV',
  'WST',
  'XAF', 'XCD', 'XCG', 'XOF', 'XPF',
  'YER',
  'ZAR', 'ZMW', 'ZWG',
] as const; // prettier-ignore

export type CurrencyCode = (typeof ISO_4217_CURRENCIES)[number];

const currencyCodes: ReadonlySet<string> = new Set(ISO_4217_CURRENCIES);

/** An ISO 4217 currency code in upper case, from ISO_4217_CURRENCIES. */
export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, { error: 'ISO 4217 code: three upper-case letters', abort: true })
  .refine((code) => currencyCodes.has(code), 'not an active ISO 4217 currency code')
  .describe('ISO 4217 currency code, upper case (EUR, USD)');

/** Money as an integer count of minor units (2500 is 25.00 in EUR). */
export const minorUnits = z
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .describe('money as an integer in minor units of the currency (2500 is 25.00)');

/** Money as a positive integer count of minor units. */
export const positiveMinorUnits = z
  .number()
  .int()
  .min(1)
  .max(Number.MAX_SAFE_INTEGER)
  .describe('money as a positive integer in minor units of the currency (2500 is 25.00)');

/** The largest quantity a stock or order column holds (a Postgres integer). */
export const MAX_QUANTITY = 2_147_483_647;

/** A quantity in the SKU's stock unit: a positive integer. */
export const quantitySchema = z.number().int().min(1).max(MAX_QUANTITY);

/** A quantity in the SKU's stock unit that may be 0. */
export const nonNegativeQuantity = z.number().int().min(0).max(MAX_QUANTITY);

/** A point in time: ISO 8601 with an offset (Z or ±hh:mm). */
export const timestampSchema = z.iso.datetime({
  offset: true,
  error: 'ISO 8601 date-time with an offset, e.g. 2026-11-27T10:00:00Z',
});

/** A calendar date: YYYY-MM-DD. */
export const dateSchema = z.iso.date({ error: 'date as YYYY-MM-DD' });

/** Payment terms: net N days from the invoice date. */
export const paymentTermsSchema = z
  .object({
    netDays: z.number().int().min(0).max(365),
  })
  .strict();

/** An ISO 3166-1 alpha-2 country code in upper case (format only). */
export const countryCodeSchema = z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2: two upper-case letters');

/** An IANA time zone name known to the runtime (Europe/Berlin, UTC). */
export const timeZoneSchema = z
  .string()
  .min(1, { error: 'must not be empty', abort: true })
  .max(100)
  .regex(/^[A-Za-z][A-Za-z0-9_+/-]*$/, { error: 'IANA time zone name, e.g. Europe/Berlin', abort: true })
  .refine(isKnownTimeZone, 'unknown IANA time zone');

function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The fields of a min/max reorder rule, to spread into an event that carries one. */
export const reorderSettingsShape = {
  reorderPoint: nonNegativeQuantity,
  orderUpTo: quantitySchema,
  packMultiple: quantitySchema,
  minOrderQuantity: quantitySchema,
  leadTimeDays: z.number().int().min(0).max(365),
  supplierId: idSchema,
};

/** Refinement for a reorder rule: order-up-to (max) must be above the reorder point (min). */
export function checkOrderUpTo(
  rule: { reorderPoint?: unknown; orderUpTo?: unknown },
  ctx: z.RefinementCtx,
): void {
  const { reorderPoint, orderUpTo } = rule;
  if (typeof reorderPoint === 'number' && typeof orderUpTo === 'number' && orderUpTo <= reorderPoint) {
    ctx.addIssue({ code: 'custom', path: ['orderUpTo'], message: 'must be greater than reorderPoint' });
  }
}

/** A min/max reorder rule for one SKU (DOMAIN.md, Inventory and reorder). */
export const reorderSettingsSchema = z.object(reorderSettingsShape).strict().superRefine(checkOrderUpTo);

export type ReorderSettings = z.infer<typeof reorderSettingsSchema>;
