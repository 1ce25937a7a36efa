/** The product catalogue and the min/max reorder rule per SKU, both upserted from events. */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { causationColumns, createdAt, currency, currencyCheck, money, updatedAt } from './columns';

/** A sellable SKU; `version_event_seq` as on customers. */
export const products = pgTable(
  'products',
  {
    sku: text('sku').primaryKey(),
    name: text('name').notNull(),
    unitPrice: money('unit_price').notNull(),
    currency: currency(),
    /** No foreign key: a product may name its supplier before the supplier record arrives. */
    supplierId: text('supplier_id'),
    active: boolean('active').notNull().default(true),
    versionEventSeq: bigint('version_event_seq', { mode: 'number' }).notNull(),
    ...causationColumns(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('products_unit_price_non_negative', sql`${t.unitPrice} >= 0`),
    currencyCheck('products', t.currency),
    check('products_version_event_seq_non_negative', sql`${t.versionEventSeq} >= 0`),
  ],
);
export type ProductRow = typeof products.$inferSelect;
export type NewProductRow = typeof products.$inferInsert;

/**
 * The reorder rule of a SKU. No foreign key to products or suppliers: settings may arrive before
 * the product or the supplier record.
 */
export const reorderSettings = pgTable(
  'reorder_settings',
  {
    sku: text('sku').primaryKey(),
    reorderPoint: integer('reorder_point').notNull(),
    orderUpTo: integer('order_up_to').notNull(),
    packMultiple: integer('pack_multiple').notNull().default(1),
    minOrderQuantity: integer('min_order_quantity').notNull().default(1),
    leadTimeDays: integer('lead_time_days').notNull().default(0),
    supplierId: text('supplier_id'),
    versionEventSeq: bigint('version_event_seq', { mode: 'number' }).notNull(),
    ...causationColumns(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('reorder_settings_reorder_point_non_negative', sql`${t.reorderPoint} >= 0`),
    check('reorder_settings_order_up_to_above_reorder_point', sql`${t.orderUpTo} > ${t.reorderPoint}`),
    check('reorder_settings_pack_multiple_positive', sql`${t.packMultiple} >= 1`),
    check('reorder_settings_min_order_quantity_positive', sql`${t.minOrderQuantity} >= 1`),
    check('reorder_settings_lead_time_days_non_negative', sql`${t.leadTimeDays} >= 0`),
    check('reorder_settings_version_event_seq_non_negative', sql`${t.versionEventSeq} >= 0`),
  ],
);
export type ReorderSettingsRow = typeof reorderSettings.$inferSelect;
export type NewReorderSettingsRow = typeof reorderSettings.$inferInsert;
