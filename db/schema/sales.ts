/** Sales orders and their lines, written by the order workflow's activities. */
import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, pgTable, primaryKey, text, unique } from 'drizzle-orm/pg-core';
import {
  optionalCausationColumns,
  causationPairCheck,
  createdAt,
  currency,
  currencyCheck,
  money,
  sqlList,
  updatedAt,
} from './columns';
import { customers } from './parties';
import { BACKORDER_POLICIES } from '../../domain/events/sales';

export const SALES_ORDER_STATUSES = [
  'received',
  'on_credit_hold',
  'reserving',
  'backordered',
  'invoiced',
  'partially_paid',
  'paid',
  'fulfilled',
  'shipped',
  'completed',
  'cancelled',
] as const;
export type SalesOrderStatus = (typeof SALES_ORDER_STATUSES)[number];

/** What to do when stock is short: wait for it, ship what is available, or cancel the order. */
export { BACKORDER_POLICIES };
export type BackorderPolicy = (typeof BACKORDER_POLICIES)[number];

/** One order; `total` = `subtotal` + `tax`, and payments never take `amount_paid` above it. */
export const salesOrders = pgTable(
  'sales_orders',
  {
    orderId: text('order_id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.customerId),
    status: text('status', { enum: SALES_ORDER_STATUSES }).notNull().default('received'),
    currency: currency(),
    subtotal: money('subtotal').notNull(),
    tax: money('tax').notNull().default(0),
    total: money('total').notNull(),
    amountPaid: money('amount_paid').notNull().default(0),
    paymentTermsDays: integer('payment_terms_days').notNull().default(30),
    backorderPolicy: text('backorder_policy', { enum: BACKORDER_POLICIES })
      .notNull()
      .default('ship_available'),
    /** Why the order was cancelled, or why a cancellation was refused. */
    statusReason: text('status_reason'),
    workflowId: text('workflow_id'),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // target of the (order_id, currency) foreign keys that keep lines and invoices in the order's currency
    unique('sales_orders_order_currency_unique').on(t.orderId, t.currency),
    check('sales_orders_status_check', sql`${t.status} in (${sqlList(SALES_ORDER_STATUSES)})`),
    check(
      'sales_orders_backorder_policy_check',
      sql`${t.backorderPolicy} in (${sqlList(BACKORDER_POLICIES)})`,
    ),
    currencyCheck('sales_orders', t.currency),
    check('sales_orders_subtotal_non_negative', sql`${t.subtotal} >= 0`),
    check('sales_orders_tax_non_negative', sql`${t.tax} >= 0`),
    check('sales_orders_total_non_negative', sql`${t.total} >= 0`),
    check('sales_orders_total_is_subtotal_plus_tax', sql`${t.total} = ${t.subtotal} + ${t.tax}`),
    check('sales_orders_amount_paid_non_negative', sql`${t.amountPaid} >= 0`),
    check('sales_orders_amount_paid_le_total', sql`${t.amountPaid} <= ${t.total}`),
    check('sales_orders_payment_terms_days_range', sql`${t.paymentTermsDays} between 0 and 365`),
    causationPairCheck('sales_orders', t.causationSource, t.causationId),
    index('sales_orders_customer_idx').on(t.customerId, t.status),
  ],
);
export type SalesOrderRow = typeof salesOrders.$inferSelect;
export type NewSalesOrderRow = typeof salesOrders.$inferInsert;

/** The lines of an order, in the order's currency; `line_total` = `quantity` × `unit_price`. */
export const salesOrderLines = pgTable(
  'sales_order_lines',
  {
    orderId: text('order_id').notNull(),
    lineNo: integer('line_no').notNull(),
    sku: text('sku').notNull(),
    quantity: integer('quantity').notNull(),
    unitPrice: money('unit_price').notNull(),
    lineTotal: money('line_total').notNull(),
    currency: currency(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.lineNo] }),
    foreignKey({
      name: 'sales_order_lines_order_fk',
      columns: [t.orderId, t.currency],
      foreignColumns: [salesOrders.orderId, salesOrders.currency],
    }),
    check('sales_order_lines_line_no_positive', sql`${t.lineNo} >= 1`),
    check('sales_order_lines_quantity_positive', sql`${t.quantity} > 0`),
    check('sales_order_lines_unit_price_non_negative', sql`${t.unitPrice} >= 0`),
    check('sales_order_lines_line_total_check', sql`${t.lineTotal} = ${t.quantity} * ${t.unitPrice}`),
    currencyCheck('sales_order_lines', t.currency),
    index('sales_order_lines_sku_idx').on(t.sku),
  ],
);
export type SalesOrderLineRow = typeof salesOrderLines.$inferSelect;
export type NewSalesOrderLineRow = typeof salesOrderLines.$inferInsert;
