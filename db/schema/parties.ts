/**
 * Customers and suppliers, upserted from events. `version_event_seq` is the `events.seq` of the last
 * upsert applied: an upsert applies only when its seq is newer, and a trigger refuses to lower it.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, char, check, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { causationColumns, createdAt, currency, currencyCheck, money, updatedAt } from './columns';

/** A customer; `credit_limit` 0 means no limit. */
export const customers = pgTable(
  'customers',
  {
    customerId: text('customer_id').primaryKey(),
    name: text('name').notNull(),
    email: text('email'),
    creditLimit: money('credit_limit').notNull().default(0),
    currency: currency(),
    paymentTermsDays: integer('payment_terms_days').notNull().default(30),
    consent: boolean('consent').notNull().default(false),
    /** 'HH:MM' local to `time_zone`; both or neither. */
    quietHoursStart: text('quiet_hours_start'),
    quietHoursEnd: text('quiet_hours_end'),
    timeZone: text('time_zone'),
    versionEventSeq: bigint('version_event_seq', { mode: 'number' }).notNull(),
    ...causationColumns(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('customers_credit_limit_non_negative', sql`${t.creditLimit} >= 0`),
    currencyCheck('customers', t.currency),
    check('customers_payment_terms_days_range', sql`${t.paymentTermsDays} between 0 and 365`),
    check(
      'customers_quiet_hours_format',
      sql`(${t.quietHoursStart} is null or ${t.quietHoursStart} ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$') and (${t.quietHoursEnd} is null or ${t.quietHoursEnd} ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$')`,
    ),
    check('customers_quiet_hours_pair', sql`(${t.quietHoursStart} is null) = (${t.quietHoursEnd} is null)`),
    check('customers_version_event_seq_non_negative', sql`${t.versionEventSeq} >= 0`),
  ],
);
export type CustomerRow = typeof customers.$inferSelect;
export type NewCustomerRow = typeof customers.$inferInsert;

/** A supplier: its currency, lead time and minimum order quantity feed the reorder rule. */
export const suppliers = pgTable(
  'suppliers',
  {
    supplierId: text('supplier_id').primaryKey(),
    name: text('name').notNull(),
    email: text('email'),
    /** Null until the supplier's currency is known. */
    currency: char('currency', { length: 3 }),
    leadTimeDays: integer('lead_time_days').notNull().default(0),
    minOrderQuantity: integer('min_order_quantity').notNull().default(1),
    versionEventSeq: bigint('version_event_seq', { mode: 'number' }).notNull(),
    ...causationColumns(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    currencyCheck('suppliers', t.currency),
    check('suppliers_lead_time_days_non_negative', sql`${t.leadTimeDays} >= 0`),
    check('suppliers_min_order_quantity_positive', sql`${t.minOrderQuantity} >= 1`),
    check('suppliers_version_event_seq_non_negative', sql`${t.versionEventSeq} >= 0`),
  ],
);
export type SupplierRow = typeof suppliers.$inferSelect;
export type NewSupplierRow = typeof suppliers.$inferInsert;
