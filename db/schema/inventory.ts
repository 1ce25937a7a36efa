/** Stock levels, the append-only stock movement ledger and the stock reserved for orders. */
import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, pgTable, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { optionalCausationColumns, causationPairCheck, createdAt, sqlList, updatedAt } from './columns';
import { salesOrders } from './sales';

/** Current stock per SKU; never negative. */
export const stockLevels = pgTable(
  'stock_levels',
  {
    sku: text('sku').primaryKey(),
    onHand: integer('on_hand').notNull().default(0),
    reserved: integer('reserved').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('stock_levels_on_hand_non_negative', sql`${t.onHand} >= 0`),
    check('stock_levels_reserved_non_negative', sql`${t.reserved} >= 0`),
    check('stock_levels_reserved_le_on_hand', sql`${t.reserved} <= ${t.onHand}`),
  ],
);
export type StockLevelRow = typeof stockLevels.$inferSelect;

/** One row per applied stock change; the causing event is unique, so a change applies once. */
export const stockMovements = pgTable(
  'stock_movements',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sku: text('sku')
      .notNull()
      .references(() => stockLevels.sku),
    delta: integer('delta').notNull(),
    onHandAfter: integer('on_hand_after').notNull(),
    reason: text('reason').notNull(),
    causationSource: text('causation_source').notNull(),
    causationId: text('causation_id').notNull(),
    correlationId: text('correlation_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('stock_movements_causation_unique').on(t.causationSource, t.causationId),
    check('stock_movements_on_hand_after_non_negative', sql`${t.onHandAfter} >= 0`),
    index('stock_movements_sku_idx').on(t.sku, t.id),
  ],
);
export type StockMovementRow = typeof stockMovements.$inferSelect;

export const RESERVATION_STATUSES = ['reserved', 'released', 'shipped'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** Stock held for an order line: one row per (order, SKU), released or shipped in place. */
export const reservations = pgTable(
  'reservations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orderId: text('order_id')
      .notNull()
      .references(() => salesOrders.orderId),
    sku: text('sku')
      .notNull()
      .references(() => stockLevels.sku),
    quantity: integer('quantity').notNull(),
    status: text('status', { enum: RESERVATION_STATUSES }).notNull().default('reserved'),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('reservations_order_sku_unique').on(t.orderId, t.sku),
    check('reservations_quantity_positive', sql`${t.quantity} > 0`),
    check('reservations_status_check', sql`${t.status} in (${sqlList(RESERVATION_STATUSES)})`),
    causationPairCheck('reservations', t.causationSource, t.causationId),
    index('reservations_sku_idx').on(t.sku, t.status),
  ],
);
export type ReservationRow = typeof reservations.$inferSelect;
export type NewReservationRow = typeof reservations.$inferInsert;
