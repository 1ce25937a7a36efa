/**
 * Receivables and the double-entry ledger: invoices, payments and their allocations, the chart of
 * accounts and the append-only journal. The database rejects an unbalanced journal entry at commit
 * and any UPDATE or DELETE of the journal (triggers in the custom migration).
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  date,
  foreignKey,
  index,
  jsonb,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  type AnyPgColumn,
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
import { customers } from './parties';
import { purchaseOrders } from './procurement';
import { salesOrders } from './sales';

export const INVOICE_STATUSES = ['open', 'partially_paid', 'paid', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/**
 * One invoice per order, in the order's currency. Outstanding = `total` − `amount_paid` −
 * `amount_written_off` (tolerance write-offs), never negative.
 */
export const invoices = pgTable(
  'invoices',
  {
    invoiceNumber: text('invoice_number').primaryKey(),
    orderId: text('order_id').notNull(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.customerId),
    currency: currency(),
    subtotal: money('subtotal').notNull(),
    tax: money('tax').notNull().default(0),
    total: money('total').notNull(),
    amountPaid: money('amount_paid').notNull().default(0),
    amountWrittenOff: money('amount_written_off').notNull().default(0),
    status: text('status', { enum: INVOICE_STATUSES }).notNull().default('open'),
    issuedOn: date('issued_on', { mode: 'string' }).notNull(),
    dueDate: date('due_date', { mode: 'string' }).notNull(),
    /** 0 none, 1 reminder (+7 d), 2 firm reminder (+14 d), 3 final notice (+30 d). */
    dunningLevel: integer('dunning_level').notNull().default(0),
    lastDunnedAt: timestamp('last_dunned_at', { withTimezone: true }),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('invoices_order_unique').on(t.orderId),
    // target of the (invoice_number, currency) foreign keys of lines and allocations
    unique('invoices_number_currency_unique').on(t.invoiceNumber, t.currency),
    foreignKey({
      name: 'invoices_order_fk',
      columns: [t.orderId, t.currency],
      foreignColumns: [salesOrders.orderId, salesOrders.currency],
    }),
    check('invoices_status_check', sql`${t.status} in (${sqlList(INVOICE_STATUSES)})`),
    currencyCheck('invoices', t.currency),
    check('invoices_subtotal_non_negative', sql`${t.subtotal} >= 0`),
    check('invoices_tax_non_negative', sql`${t.tax} >= 0`),
    check('invoices_total_is_subtotal_plus_tax', sql`${t.total} = ${t.subtotal} + ${t.tax}`),
    check('invoices_amount_paid_non_negative', sql`${t.amountPaid} >= 0`),
    check('invoices_amount_paid_le_total', sql`${t.amountPaid} <= ${t.total}`),
    check('invoices_amount_written_off_non_negative', sql`${t.amountWrittenOff} >= 0`),
    check('invoices_settled_le_total', sql`${t.amountPaid} + ${t.amountWrittenOff} <= ${t.total}`),
    check('invoices_due_date_not_before_issue', sql`${t.dueDate} >= ${t.issuedOn}`),
    check('invoices_dunning_level_range', sql`${t.dunningLevel} between 0 and 3`),
    causationPairCheck('invoices', t.causationSource, t.causationId),
    index('invoices_customer_status_idx').on(t.customerId, t.status, t.issuedOn),
    index('invoices_open_due_idx')
      .on(t.dueDate)
      .where(sql`${t.status} in ('open', 'partially_paid')`),
  ],
);
export type InvoiceRow = typeof invoices.$inferSelect;
export type NewInvoiceRow = typeof invoices.$inferInsert;

/** The lines of an invoice, in its currency; `line_total` = `quantity` × `unit_price`, before tax. */
export const invoiceLines = pgTable(
  'invoice_lines',
  {
    invoiceNumber: text('invoice_number').notNull(),
    lineNo: integer('line_no').notNull(),
    sku: text('sku').notNull(),
    description: text('description'),
    quantity: integer('quantity').notNull(),
    unitPrice: money('unit_price').notNull(),
    lineTotal: money('line_total').notNull(),
    tax: money('tax').notNull().default(0),
    currency: currency(),
  },
  (t) => [
    primaryKey({ columns: [t.invoiceNumber, t.lineNo] }),
    foreignKey({
      name: 'invoice_lines_invoice_fk',
      columns: [t.invoiceNumber, t.currency],
      foreignColumns: [invoices.invoiceNumber, invoices.currency],
    }),
    check('invoice_lines_line_no_positive', sql`${t.lineNo} >= 1`),
    check('invoice_lines_quantity_positive', sql`${t.quantity} > 0`),
    check('invoice_lines_unit_price_non_negative', sql`${t.unitPrice} >= 0`),
    check('invoice_lines_line_total_check', sql`${t.lineTotal} = ${t.quantity} * ${t.unitPrice}`),
    check('invoice_lines_tax_non_negative', sql`${t.tax} >= 0`),
    currencyCheck('invoice_lines', t.currency),
  ],
);
export type InvoiceLineRow = typeof invoiceLines.$inferSelect;
export type NewInvoiceLineRow = typeof invoiceLines.$inferInsert;

export const PAYMENT_STATUSES = [
  'unallocated',
  'partially_allocated',
  'allocated',
  'exception',
  'refunded',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** A received payment; `customer_id` is null while the payer is unknown. */
export const payments = pgTable(
  'payments',
  {
    paymentId: text('payment_id').primaryKey(),
    amount: money('amount').notNull(),
    currency: currency(),
    customerId: text('customer_id').references(() => customers.customerId),
    payerName: text('payer_name'),
    reference: text('reference'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    method: text('method').notNull(),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull().default('unallocated'),
    amountAllocated: money('amount_allocated').notNull().default(0),
    /** Why the payment needs manual review, and the best candidate found, if any. */
    exceptionReason: text('exception_reason'),
    proposedInvoiceNumber: text('proposed_invoice_number'),
    /** The review an exception waits for: reasons, anomalies, the best proposal and its confidence. */
    exceptionDetail: jsonb('exception_detail'),
    exceptionRaisedAt: timestamp('exception_raised_at', { withTimezone: true }),
    /** When the review SLA passed without a decision (alert raised, finance task opened). */
    escalatedAt: timestamp('escalated_at', { withTimezone: true }),
    /** An operator's decision closed the exception: the matcher does not run on this payment again. */
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
    reviewedBy: text('reviewed_by'),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // target of the (payment_id, currency) foreign key of allocations
    unique('payments_id_currency_unique').on(t.paymentId, t.currency),
    check('payments_status_check', sql`${t.status} in (${sqlList(PAYMENT_STATUSES)})`),
    currencyCheck('payments', t.currency),
    check('payments_amount_positive', sql`${t.amount} > 0`),
    check('payments_amount_allocated_non_negative', sql`${t.amountAllocated} >= 0`),
    check('payments_amount_allocated_le_amount', sql`${t.amountAllocated} <= ${t.amount}`),
    causationPairCheck('payments', t.causationSource, t.causationId),
    index('payments_customer_received_idx').on(t.customerId, t.receivedAt),
    index('payments_status_idx').on(t.status),
  ],
);
export type PaymentRow = typeof payments.$inferSelect;
export type NewPaymentRow = typeof payments.$inferInsert;

export const ALLOCATION_STATUSES = ['active', 'reversed'] as const;
export type AllocationStatus = (typeof ALLOCATION_STATUSES)[number];

/**
 * Part of a payment applied to an invoice of the same currency. At most one active allocation per
 * (payment, invoice); a reversed one stays as history and names its reason.
 */
export const paymentAllocations = pgTable(
  'payment_allocations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    paymentId: text('payment_id').notNull(),
    invoiceNumber: text('invoice_number').notNull(),
    amount: money('amount').notNull(),
    currency: currency(),
    status: text('status', { enum: ALLOCATION_STATUSES }).notNull().default('active'),
    /** The reconciliation rule that matched (reference, exact_amount, oldest_first, tolerance, manual). */
    matchRule: text('match_rule'),
    reversalReason: text('reversal_reason'),
    reversedAt: timestamp('reversed_at', { withTimezone: true }),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    foreignKey({
      name: 'payment_allocations_payment_fk',
      columns: [t.paymentId, t.currency],
      foreignColumns: [payments.paymentId, payments.currency],
    }),
    foreignKey({
      name: 'payment_allocations_invoice_fk',
      columns: [t.invoiceNumber, t.currency],
      foreignColumns: [invoices.invoiceNumber, invoices.currency],
    }),
    uniqueIndex('payment_allocations_active_unique')
      .on(t.paymentId, t.invoiceNumber)
      .where(sql`${t.status} = 'active'`),
    check('payment_allocations_status_check', sql`${t.status} in (${sqlList(ALLOCATION_STATUSES)})`),
    currencyCheck('payment_allocations', t.currency),
    check('payment_allocations_amount_positive', sql`${t.amount} > 0`),
    check(
      'payment_allocations_reversal_has_reason',
      sql`${t.status} <> 'reversed' or ${t.reversalReason} is not null`,
    ),
    causationPairCheck('payment_allocations', t.causationSource, t.causationId),
    index('payment_allocations_invoice_idx').on(t.invoiceNumber),
  ],
);
export type PaymentAllocationRow = typeof paymentAllocations.$inferSelect;
export type NewPaymentAllocationRow = typeof paymentAllocations.$inferInsert;

export const ACCOUNT_TYPES = ['asset', 'liability', 'equity', 'revenue', 'expense'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** The codes of the accounts seeded by the migration, by what the postings call them. */
export const ACCOUNT_CODES = {
  cash: '1000',
  accountsReceivable: '1100',
  inventory: '1200',
  accountsPayable: '2000',
  taxPayable: '2100',
  customerCredit: '2200',
  goodsReceivedNotInvoiced: '2300',
  equity: '3000',
  revenue: '4000',
  costOfGoodsSold: '5000',
  writeOff: '6000',
} as const;
export type AccountCode = (typeof ACCOUNT_CODES)[keyof typeof ACCOUNT_CODES];

/** The chart of accounts (seeded by a migration). */
export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    type: text('type', { enum: ACCOUNT_TYPES }).notNull(),
  },
  (t) => [
    check('ledger_accounts_type_check', sql`${t.type} in (${sqlList(ACCOUNT_TYPES)})`),
    check('ledger_accounts_code_format', sql`${t.code} ~ '^[0-9]{4}$'`),
  ],
);
export type LedgerAccountRow = typeof ledgerAccounts.$inferSelect;

/**
 * A journal entry, once per `idempotency_key`; append-only. A correction is a new entry that
 * names the entry it reverses (at most one reversal per entry).
 */
export const journalEntries = pgTable(
  'journal_entries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    idempotencyKey: text('idempotency_key').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    description: text('description').notNull(),
    currency: currency(),
    reversesEntryId: bigint('reverses_entry_id', { mode: 'number' }).references(
      (): AnyPgColumn => journalEntries.id,
    ),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('journal_entries_idempotency_key_unique').on(t.idempotencyKey),
    unique('journal_entries_reverses_entry_unique').on(t.reversesEntryId),
    // target of the (entry_id, currency) foreign key of lines
    unique('journal_entries_id_currency_unique').on(t.id, t.currency),
    check('journal_entries_not_self_reversing', sql`${t.reversesEntryId} <> ${t.id}`),
    currencyCheck('journal_entries', t.currency),
    causationPairCheck('journal_entries', t.causationSource, t.causationId),
    index('journal_entries_occurred_idx').on(t.occurredAt),
  ],
);
export type JournalEntryRow = typeof journalEntries.$inferSelect;
export type NewJournalEntryRow = typeof journalEntries.$inferInsert;

/**
 * One side of a journal entry, in the entry's currency: exactly one of `debit` and `credit` is
 * positive. Append-only; at commit every entry has two or more lines and its debits equal its credits.
 */
export const journalLines = pgTable(
  'journal_lines',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    entryId: bigint('entry_id', { mode: 'number' }).notNull(),
    accountCode: text('account_code')
      .notNull()
      .references(() => ledgerAccounts.code),
    currency: currency(),
    debit: money('debit').notNull().default(0),
    credit: money('credit').notNull().default(0),
    memo: text('memo'),
    orderId: text('order_id').references(() => salesOrders.orderId),
    invoiceNumber: text('invoice_number').references(() => invoices.invoiceNumber),
    paymentId: text('payment_id').references(() => payments.paymentId),
    purchaseOrderId: text('purchase_order_id'),
  },
  (t) => [
    foreignKey({
      name: 'journal_lines_entry_fk',
      columns: [t.entryId, t.currency],
      foreignColumns: [journalEntries.id, journalEntries.currency],
    }),
    foreignKey({
      name: 'journal_lines_purchase_order_fk',
      columns: [t.purchaseOrderId],
      foreignColumns: [purchaseOrders.purchaseOrderId],
    }),
    check('journal_lines_debit_non_negative', sql`${t.debit} >= 0`),
    check('journal_lines_credit_non_negative', sql`${t.credit} >= 0`),
    check(
      'journal_lines_one_side',
      sql`(${t.debit} > 0 and ${t.credit} = 0) or (${t.credit} > 0 and ${t.debit} = 0)`,
    ),
    currencyCheck('journal_lines', t.currency),
    index('journal_lines_entry_idx').on(t.entryId),
    index('journal_lines_account_idx').on(t.accountCode, t.currency),
    index('journal_lines_invoice_idx').on(t.invoiceNumber),
    index('journal_lines_order_idx').on(t.orderId),
  ],
);
export type JournalLineRow = typeof journalLines.$inferSelect;
export type NewJournalLineRow = typeof journalLines.$inferInsert;

/**
 * A credit note: the whole invoice reversed when its order is cancelled. One per invoice;
 * names the reversing journal entry it posted.
 */
export const creditNotes = pgTable(
  'credit_notes',
  {
    creditNoteNumber: text('credit_note_number').primaryKey(),
    invoiceNumber: text('invoice_number').notNull(),
    orderId: text('order_id').notNull(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.customerId),
    currency: currency(),
    subtotal: money('subtotal').notNull(),
    tax: money('tax').notNull().default(0),
    total: money('total').notNull(),
    reason: text('reason').notNull(),
    journalEntryId: bigint('journal_entry_id', { mode: 'number' }).references(() => journalEntries.id),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('credit_notes_invoice_unique').on(t.invoiceNumber),
    foreignKey({
      name: 'credit_notes_invoice_fk',
      columns: [t.invoiceNumber, t.currency],
      foreignColumns: [invoices.invoiceNumber, invoices.currency],
    }),
    currencyCheck('credit_notes', t.currency),
    check('credit_notes_subtotal_non_negative', sql`${t.subtotal} >= 0`),
    check('credit_notes_tax_non_negative', sql`${t.tax} >= 0`),
    check('credit_notes_total_is_subtotal_plus_tax', sql`${t.total} = ${t.subtotal} + ${t.tax}`),
    causationPairCheck('credit_notes', t.causationSource, t.causationId),
  ],
);
export type CreditNoteRow = typeof creditNotes.$inferSelect;
export type NewCreditNoteRow = typeof creditNotes.$inferInsert;

/** Money paid back to a payer, once per refund id; names the journal entry it posted. */
export const refunds = pgTable(
  'refunds',
  {
    refundId: text('refund_id').primaryKey(),
    paymentId: text('payment_id').notNull(),
    orderId: text('order_id'),
    amount: money('amount').notNull(),
    currency: currency(),
    reason: text('reason').notNull(),
    journalEntryId: bigint('journal_entry_id', { mode: 'number' }).references(() => journalEntries.id),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
  },
  (t) => [
    foreignKey({
      name: 'refunds_payment_fk',
      columns: [t.paymentId, t.currency],
      foreignColumns: [payments.paymentId, payments.currency],
    }),
    currencyCheck('refunds', t.currency),
    check('refunds_amount_positive', sql`${t.amount} > 0`),
    causationPairCheck('refunds', t.causationSource, t.causationId),
    index('refunds_payment_idx').on(t.paymentId),
  ],
);
export type RefundRow = typeof refunds.$inferSelect;
export type NewRefundRow = typeof refunds.$inferInsert;
