/** Purchase orders to suppliers and the goods received against them. */
import { sql } from 'drizzle-orm';
import {
  check,
  date,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';
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
import { suppliers } from './parties';

export const PURCHASE_ORDER_STATUSES = [
  'draft',
  'sent',
  'confirmed',
  'partially_received',
  'received',
  'closed',
  'cancelled',
] as const;
export type PurchaseOrderStatus = (typeof PURCHASE_ORDER_STATUSES)[number];

/** A purchase order: draft → sent → confirmed → partially received → received → closed, or cancelled. */
export const purchaseOrders = pgTable(
  'purchase_orders',
  {
    purchaseOrderId: text('purchase_order_id').primaryKey(),
    supplierId: text('supplier_id')
      .notNull()
      .references(() => suppliers.supplierId),
    status: text('status', { enum: PURCHASE_ORDER_STATUSES }).notNull().default('draft'),
    currency: currency(),
    expectedDate: date('expected_date', { mode: 'string' }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    workflowId: text('workflow_id'),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // target of the (purchase_order_id, currency) foreign key of lines
    unique('purchase_orders_id_currency_unique').on(t.purchaseOrderId, t.currency),
    check('purchase_orders_status_check', sql`${t.status} in (${sqlList(PURCHASE_ORDER_STATUSES)})`),
    currencyCheck('purchase_orders', t.currency),
    causationPairCheck('purchase_orders', t.causationSource, t.causationId),
    index('purchase_orders_supplier_status_idx').on(t.supplierId, t.status),
    index('purchase_orders_status_expected_idx').on(t.status, t.expectedDate),
  ],
);
export type PurchaseOrderRow = typeof purchaseOrders.$inferSelect;
export type NewPurchaseOrderRow = typeof purchaseOrders.$inferInsert;

/** What a purchase order asks for; `received` never exceeds `quantity` + `over_receipt_tolerance`. */
export const purchaseOrderLines = pgTable(
  'purchase_order_lines',
  {
    purchaseOrderId: text('purchase_order_id').notNull(),
    lineNo: integer('line_no').notNull(),
    sku: text('sku').notNull(),
    quantity: integer('quantity').notNull(),
    received: integer('received').notNull().default(0),
    overReceiptTolerance: integer('over_receipt_tolerance').notNull().default(0),
    /** Cost per unit in the order's currency, when known (values the goods-received posting). */
    unitCost: money('unit_cost'),
    currency: currency(),
  },
  (t) => [
    primaryKey({ columns: [t.purchaseOrderId, t.lineNo] }),
    foreignKey({
      name: 'purchase_order_lines_order_fk',
      columns: [t.purchaseOrderId, t.currency],
      foreignColumns: [purchaseOrders.purchaseOrderId, purchaseOrders.currency],
    }),
    check('purchase_order_lines_line_no_positive', sql`${t.lineNo} >= 1`),
    check('purchase_order_lines_quantity_positive', sql`${t.quantity} > 0`),
    check('purchase_order_lines_received_non_negative', sql`${t.received} >= 0`),
    check('purchase_order_lines_tolerance_non_negative', sql`${t.overReceiptTolerance} >= 0`),
    check(
      'purchase_order_lines_received_within_tolerance',
      sql`${t.received} <= ${t.quantity} + ${t.overReceiptTolerance}`,
    ),
    check('purchase_order_lines_unit_cost_non_negative', sql`${t.unitCost} >= 0`),
    currencyCheck('purchase_order_lines', t.currency),
    index('purchase_order_lines_sku_idx').on(t.sku),
  ],
);
export type PurchaseOrderLineRow = typeof purchaseOrderLines.$inferSelect;
export type NewPurchaseOrderLineRow = typeof purchaseOrderLines.$inferInsert;

/** One delivery against a purchase order; `receipt_id` is the idempotency key of recording it. */
export const goodsReceipts = pgTable(
  'goods_receipts',
  {
    receiptId: text('receipt_id').primaryKey(),
    purchaseOrderId: text('purchase_order_id').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
  },
  (t) => [
    // target of the (receipt_id, purchase_order_id) foreign key of receipt lines
    foreignKey({
      name: 'goods_receipts_purchase_order_fk',
      columns: [t.purchaseOrderId],
      foreignColumns: [purchaseOrders.purchaseOrderId],
    }),
    unique('goods_receipts_receipt_order_unique').on(t.receiptId, t.purchaseOrderId),
    causationPairCheck('goods_receipts', t.causationSource, t.causationId),
    index('goods_receipts_order_idx').on(t.purchaseOrderId),
  ],
);
export type GoodsReceiptRow = typeof goodsReceipts.$inferSelect;
export type NewGoodsReceiptRow = typeof goodsReceipts.$inferInsert;

/** The quantity a receipt delivered for one line of its own purchase order. */
export const goodsReceiptLines = pgTable(
  'goods_receipt_lines',
  {
    receiptId: text('receipt_id').notNull(),
    purchaseOrderId: text('purchase_order_id').notNull(),
    lineNo: integer('line_no').notNull(),
    quantity: integer('quantity').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.receiptId, t.lineNo] }),
    foreignKey({
      name: 'goods_receipt_lines_receipt_fk',
      columns: [t.receiptId, t.purchaseOrderId],
      foreignColumns: [goodsReceipts.receiptId, goodsReceipts.purchaseOrderId],
    }),
    foreignKey({
      name: 'goods_receipt_lines_order_line_fk',
      columns: [t.purchaseOrderId, t.lineNo],
      foreignColumns: [purchaseOrderLines.purchaseOrderId, purchaseOrderLines.lineNo],
    }),
    check('goods_receipt_lines_quantity_positive', sql`${t.quantity} > 0`),
  ],
);
export type GoodsReceiptLineRow = typeof goodsReceiptLines.$inferSelect;
export type NewGoodsReceiptLineRow = typeof goodsReceiptLines.$inferInsert;
