/** The domain tables refuse bad writes themselves: balanced append-only journal, amounts, states, keys. */
import { eq } from 'drizzle-orm';
import { DatabaseError, type PoolClient } from 'pg';
import { createDatabase, type Database } from '../../db/client';
import {
  ACCOUNT_CODES,
  crmTickets,
  customers,
  invoices,
  journalEntries,
  journalLines,
  outbox,
  outboxDeliveries,
  paymentAllocations,
  payments,
  purchaseOrderLines,
  purchaseOrders,
  salesOrderLines,
  salesOrders,
  stockLevels,
  suppliers,
} from '../../db/schema';
import { createTestDatabase } from '../support/harness';
import { readContext } from '../support/infrastructure';

const CHECK_VIOLATION = '23514';
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const RESTRICT_VIOLATION = '23001';

const causation = { causationSource: 'test/source', causationId: 'evt-1', correlationId: 'corr-1' };

let database: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  const testDb = await createTestDatabase(readContext());
  drop = testDb.drop;
  database = createDatabase(testDb.url, { max: 3 });
  const { db } = database;
  await db.insert(customers).values({
    customerId: 'C1',
    name: 'Ada',
    currency: 'EUR',
    creditLimit: 100_000,
    versionEventSeq: 10,
    ...causation,
  });
  await db
    .insert(suppliers)
    .values({ supplierId: 'S1', name: 'Acme', currency: 'EUR', versionEventSeq: 1, ...causation });
  await db.insert(stockLevels).values({ sku: 'SKU-A', onHand: 10 });
  await db.insert(salesOrders).values({
    orderId: 'O1',
    customerId: 'C1',
    currency: 'EUR',
    subtotal: 1000,
    tax: 200,
    total: 1200,
    ...causation,
  });
  await db.insert(salesOrderLines).values({
    orderId: 'O1',
    lineNo: 1,
    sku: 'SKU-A',
    quantity: 2,
    unitPrice: 500,
    lineTotal: 1000,
    currency: 'EUR',
  });
  await db.insert(invoices).values({
    invoiceNumber: 'INV-1',
    orderId: 'O1',
    customerId: 'C1',
    currency: 'EUR',
    subtotal: 1000,
    tax: 200,
    total: 1200,
    issuedOn: '2026-11-27',
    dueDate: '2026-12-27',
    ...causation,
  });
  await db.insert(payments).values({
    paymentId: 'P1',
    amount: 1200,
    currency: 'EUR',
    customerId: 'C1',
    reference: 'INV-1',
    receivedAt: new Date('2026-12-01T09:00:00Z'),
    method: 'bank_transfer',
    ...causation,
  });
  await db.insert(purchaseOrders).values({
    purchaseOrderId: 'PO-1',
    supplierId: 'S1',
    currency: 'EUR',
    correlationId: 'sweep-1',
  });
  await db.insert(crmTickets).values({
    ticketId: 'T1',
    customerId: 'C-not-yet-known',
    channel: 'email',
    subject: 'Where is my order?',
    priority: 'high',
    firstResponseDueAt: new Date('2026-12-01T13:00:00Z'),
    resolutionDueAt: new Date('2026-12-03T09:00:00Z'),
    ...causation,
  });
});
afterAll(async () => {
  await database?.close();
  await drop?.();
});

/** The Postgres error a write fails with; fails the test when the write succeeds. */
async function rejection(write: Promise<unknown>): Promise<DatabaseError> {
  try {
    await write;
  } catch (err) {
    if (err instanceof DatabaseError) return err;
    throw err;
  }
  throw new Error('expected the database to reject the write');
}

const query = (text: string, values: unknown[] = []) => database.pool.query(text, values);

async function withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await database.pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}

type Line = { account: string; debit?: number; credit?: number };

/** Inserts an entry and its lines in one transaction and commits; returns the entry id. */
async function postEntry(key: string, lines: Line[], reversesEntryId: number | null = null): Promise<number> {
  return withClient(async (client) => {
    await client.query('begin');
    try {
      const id = await insertEntry(client, key, lines, reversesEntryId);
      await client.query('commit');
      return id;
    } catch (err) {
      await client.query('rollback');
      throw err;
    }
  });
}

async function insertEntry(
  client: PoolClient,
  key: string,
  lines: Line[],
  reversesEntryId: number | null = null,
): Promise<number> {
  const { rows } = await client.query<{ id: string }>(
    `insert into journal_entries (idempotency_key, occurred_at, description, currency, reverses_entry_id, correlation_id)
     values ($1, now(), 'test', 'EUR', $2, 'corr-1') returning id`,
    [key, reversesEntryId],
  );
  const id = Number(rows[0]!.id);
  for (const line of lines) {
    await client.query(
      `insert into journal_lines (entry_id, account_code, currency, debit, credit, invoice_number)
       values ($1, $2, 'EUR', $3, $4, 'INV-1')`,
      [id, line.account, line.debit ?? 0, line.credit ?? 0],
    );
  }
  return id;
}

const invoicePosting: Line[] = [
  { account: ACCOUNT_CODES.accountsReceivable, debit: 1200 },
  { account: ACCOUNT_CODES.revenue, credit: 1000 },
  { account: ACCOUNT_CODES.taxPayable, credit: 200 },
];

describe('ledger', () => {
  it('has the seeded chart of accounts', async () => {
    const { rows } = await query('select code, type from ledger_accounts order by code');
    expect(rows).toEqual(
      expect.arrayContaining([
        { code: '1000', type: 'asset' },
        { code: '1100', type: 'asset' },
        { code: '1200', type: 'asset' },
        { code: '2000', type: 'liability' },
        { code: '2100', type: 'liability' },
        { code: '2200', type: 'liability' },
        { code: '2300', type: 'liability' },
        { code: '4000', type: 'revenue' },
        { code: '6000', type: 'expense' },
      ]),
    );
    for (const code of Object.values(ACCOUNT_CODES)) {
      expect(rows.map((r: { code: string }) => r.code)).toContain(code);
    }
  });

  it('commits a balanced entry', async () => {
    const id = await postEntry('invoice:INV-1', invoicePosting);
    const lines = await database.db.select().from(journalLines).where(eq(journalLines.entryId, id));
    expect(lines).toHaveLength(3);
    expect(lines.reduce((s, l) => s + l.debit, 0)).toBe(1200);
    expect(lines.reduce((s, l) => s + l.credit, 0)).toBe(1200);
    expect(lines.map((l) => l.accountCode).sort()).toEqual(['1100', '2100', '4000']);
  });

  it('rejects an unbalanced entry at commit, naming the entry and both sums', async () => {
    const err = await withClient(async (client) => {
      await client.query('begin');
      // each statement passes: the check is deferred to commit
      const id = await insertEntry(client, 'unbalanced', [
        { account: ACCOUNT_CODES.accountsReceivable, debit: 1200 },
        { account: ACCOUNT_CODES.revenue, credit: 1000 },
      ]);
      const e = await rejection(client.query('commit'));
      return { e, id };
    });
    expect(err.e.code).toBe(CHECK_VIOLATION);
    expect(err.e.message).toBe(`journal entry ${err.id} is unbalanced: debits 1200 <> credits 1000`);
    const { rows } = await query(`select 1 from journal_entries where idempotency_key = 'unbalanced'`);
    expect(rows).toHaveLength(0);
  });

  it('rejects an entry with a single line, or with none', async () => {
    const single = await rejection(postEntry('single', [{ account: ACCOUNT_CODES.cash, debit: 100 }]));
    expect(single.code).toBe(CHECK_VIOLATION);
    expect(single.message).toMatch(
      /^journal entry \d+ has 1 line\(s\), at least two are required \(debits 100, credits 0\)$/,
    );
    const none = await rejection(postEntry('none', []));
    expect(none.code).toBe(CHECK_VIOLATION);
    expect(none.message).toMatch(/^journal entry \d+ has 0 line\(s\)/);
  });

  it('rejects a line with both a debit and a credit, or with neither', async () => {
    const both = await rejection(
      postEntry('both', [
        { account: ACCOUNT_CODES.cash, debit: 100, credit: 100 },
        { account: ACCOUNT_CODES.revenue, credit: 0, debit: 0 },
      ]),
    );
    expect(both).toMatchObject({ code: CHECK_VIOLATION, constraint: 'journal_lines_one_side' });
    const neither = await rejection(
      postEntry('neither', [
        { account: ACCOUNT_CODES.cash, debit: 0 },
        { account: ACCOUNT_CODES.revenue, credit: 0 },
      ]),
    );
    expect(neither).toMatchObject({ code: CHECK_VIOLATION, constraint: 'journal_lines_one_side' });
    const negative = await rejection(
      postEntry('negative', [
        { account: ACCOUNT_CODES.cash, debit: -100 },
        { account: ACCOUNT_CODES.revenue, credit: -100 },
      ]),
    );
    expect(negative.code).toBe(CHECK_VIOLATION);
  });

  it('rejects a line on an unknown account, or in another currency than its entry', async () => {
    const account = await rejection(
      postEntry('unknown-account', [
        { account: '9999', debit: 100 },
        { account: ACCOUNT_CODES.revenue, credit: 100 },
      ]),
    );
    expect(account).toMatchObject({
      code: FOREIGN_KEY_VIOLATION,
      constraint: 'journal_lines_account_code_ledger_accounts_code_fk',
    });
    const currency = await rejection(
      withClient(async (client) => {
        await client.query('begin');
        try {
          const id = await insertEntry(client, 'usd-line', [{ account: ACCOUNT_CODES.cash, debit: 100 }]);
          await client.query(
            `insert into journal_lines (entry_id, account_code, currency, credit) values ($1, '4000', 'USD', 100)`,
            [id],
          );
        } finally {
          await client.query('rollback');
        }
      }),
    );
    expect(currency).toMatchObject({ code: FOREIGN_KEY_VIOLATION, constraint: 'journal_lines_entry_fk' });
  });

  it('is append-only: UPDATE, DELETE and TRUNCATE of entries and lines are rejected', async () => {
    for (const statement of [
      `update journal_lines set debit = debit + 1`,
      `delete from journal_lines`,
      `update journal_entries set description = 'changed'`,
      `delete from journal_entries`,
      `truncate journal_lines`,
      `truncate journal_entries cascade`,
    ]) {
      const err = await rejection(query(statement));
      expect(err.code).toBe(RESTRICT_VIOLATION);
      expect(err.message).toMatch(/^table journal_(lines|entries) is append-only: (UPDATE|DELETE|TRUNCATE)/);
    }
    const [entry] = await database.db
      .select()
      .from(journalEntries)
      .where(eq(journalEntries.idempotencyKey, 'invoice:INV-1'));
    expect(entry?.description).toBe('test');
  });

  it('corrects by a reversing entry, once per entry and once per idempotency key', async () => {
    const [original] = await database.db
      .select()
      .from(journalEntries)
      .where(eq(journalEntries.idempotencyKey, 'invoice:INV-1'));
    const reversed = invoicePosting.map((l) => ({ account: l.account, debit: l.credit, credit: l.debit }));
    const reversal = await postEntry('credit-note:INV-1', reversed, original!.id);
    const [row] = await database.db.select().from(journalEntries).where(eq(journalEntries.id, reversal));
    expect(row?.reversesEntryId).toBe(original!.id);

    const twice = await rejection(postEntry('credit-note:INV-1:again', reversed, original!.id));
    expect(twice).toMatchObject({
      code: UNIQUE_VIOLATION,
      constraint: 'journal_entries_reverses_entry_unique',
    });
    const sameKey = await rejection(postEntry('invoice:INV-1', invoicePosting));
    expect(sameKey).toMatchObject({
      code: UNIQUE_VIOLATION,
      constraint: 'journal_entries_idempotency_key_unique',
    });
  });
});

describe('receivables', () => {
  it('rejects an invoice paid above its total, due before it is issued, or a second invoice per order', async () => {
    const overpaid = await rejection(
      query(`update invoices set amount_paid = total + 1 where invoice_number = 'INV-1'`),
    );
    expect(overpaid).toMatchObject({ code: CHECK_VIOLATION, constraint: 'invoices_amount_paid_le_total' });
    const early = await rejection(
      query(`update invoices set due_date = issued_on - 1 where invoice_number = 'INV-1'`),
    );
    expect(early).toMatchObject({ code: CHECK_VIOLATION, constraint: 'invoices_due_date_not_before_issue' });
    const second = await rejection(
      query(
        `insert into invoices (invoice_number, order_id, customer_id, currency, subtotal, tax, total, issued_on, due_date, correlation_id)
         values ('INV-2', 'O1', 'C1', 'EUR', 1000, 200, 1200, '2026-11-27', '2026-12-27', 'corr-1')`,
      ),
    );
    expect(second).toMatchObject({ code: UNIQUE_VIOLATION, constraint: 'invoices_order_unique' });

    await query(`update invoices set amount_paid = total, status = 'paid' where invoice_number = 'INV-1'`);
    const [invoice] = await database.db.select().from(invoices).where(eq(invoices.invoiceNumber, 'INV-1'));
    expect(invoice).toMatchObject({ amountPaid: 1200, total: 1200, status: 'paid' });
    await query(`update invoices set amount_paid = 0, status = 'open' where invoice_number = 'INV-1'`);
  });

  it('rejects a payment allocated above its amount', async () => {
    const err = await rejection(query(`update payments set amount_allocated = 1201 where payment_id = 'P1'`));
    expect(err).toMatchObject({ code: CHECK_VIOLATION, constraint: 'payments_amount_allocated_le_amount' });
    const zero = await rejection(
      query(
        `insert into payments (payment_id, amount, currency, received_at, method, correlation_id)
         values ('P0', 0, 'EUR', now(), 'card', 'corr-1')`,
      ),
    );
    expect(zero).toMatchObject({ code: CHECK_VIOLATION, constraint: 'payments_amount_positive' });
  });

  it('allows one active allocation per (payment, invoice); a reversed one makes room for a new one', async () => {
    const allocate = (amount: number, currency = 'EUR') =>
      database.db
        .insert(paymentAllocations)
        .values({ paymentId: 'P1', invoiceNumber: 'INV-1', amount, currency, ...causation })
        .returning();
    const [first] = await allocate(500);
    const duplicate = await rejection(
      query(
        `insert into payment_allocations (payment_id, invoice_number, amount, currency, correlation_id)
         values ('P1', 'INV-1', 700, 'EUR', 'corr-1')`,
      ),
    );
    expect(duplicate).toMatchObject({
      code: UNIQUE_VIOLATION,
      constraint: 'payment_allocations_active_unique',
    });

    const noReason = await rejection(
      query(`update payment_allocations set status = 'reversed' where id = $1`, [first!.id]),
    );
    expect(noReason).toMatchObject({
      code: CHECK_VIOLATION,
      constraint: 'payment_allocations_reversal_has_reason',
    });
    await query(
      `update payment_allocations set status = 'reversed', reversal_reason = 'wrong invoice', reversed_at = now() where id = $1`,
      [first!.id],
    );
    const [second] = await allocate(1200);
    const rows = await database.db
      .select()
      .from(paymentAllocations)
      .where(eq(paymentAllocations.paymentId, 'P1'))
      .orderBy(paymentAllocations.id);
    expect(rows.map((r) => [r.id, r.status, r.amount])).toEqual([
      [first!.id, 'reversed', 500],
      [second!.id, 'active', 1200],
    ]);

    const zero = await rejection(
      query(
        `insert into payment_allocations (payment_id, invoice_number, amount, currency, status, reversal_reason, correlation_id)
         values ('P1', 'INV-1', 0, 'EUR', 'reversed', 'x', 'corr-1')`,
      ),
    );
    expect(zero).toMatchObject({ code: CHECK_VIOLATION, constraint: 'payment_allocations_amount_positive' });
  });

  it('rejects an allocation in another currency than the payment and the invoice', async () => {
    const err = await rejection(
      query(
        `insert into payment_allocations (payment_id, invoice_number, amount, currency, status, reversal_reason, correlation_id)
         values ('P1', 'INV-1', 10, 'USD', 'reversed', 'x', 'corr-1')`,
      ),
    );
    expect(err.code).toBe(FOREIGN_KEY_VIOLATION);
    expect(err.constraint).toMatch(/^payment_allocations_(payment|invoice)_fk$/);
  });
});

describe('orders, stock, procurement, CRM, outbox', () => {
  it('rejects an unknown status on orders, purchase orders and tickets', async () => {
    expect(
      await rejection(query(`update sales_orders set status = 'lost' where order_id = 'O1'`)),
    ).toMatchObject({
      code: CHECK_VIOLATION,
      constraint: 'sales_orders_status_check',
    });
    expect(
      await rejection(
        query(`update purchase_orders set status = 'shipped' where purchase_order_id = 'PO-1'`),
      ),
    ).toMatchObject({ code: CHECK_VIOLATION, constraint: 'purchase_orders_status_check' });
    expect(
      await rejection(query(`update crm_tickets set status = 'pending' where ticket_id = 'T1'`)),
    ).toMatchObject({ code: CHECK_VIOLATION, constraint: 'crm_tickets_status_check' });
    await query(`update sales_orders set status = 'on_credit_hold' where order_id = 'O1'`);
    const [order] = await database.db.select().from(salesOrders).where(eq(salesOrders.orderId, 'O1'));
    expect(order?.status).toBe('on_credit_hold');
  });

  it('rejects an order line for an unknown order, and order totals that do not add up', async () => {
    const err = await rejection(
      query(
        `insert into sales_order_lines (order_id, line_no, sku, quantity, unit_price, line_total, currency)
         values ('NO-SUCH-ORDER', 1, 'SKU-A', 1, 100, 100, 'EUR')`,
      ),
    );
    expect(err).toMatchObject({ code: FOREIGN_KEY_VIOLATION, constraint: 'sales_order_lines_order_fk' });
    const total = await rejection(query(`update sales_orders set total = 999 where order_id = 'O1'`));
    expect(total).toMatchObject({
      code: CHECK_VIOLATION,
      constraint: 'sales_orders_total_is_subtotal_plus_tax',
    });
    const unknownCustomer = await rejection(
      query(
        `insert into sales_orders (order_id, customer_id, currency, subtotal, total, correlation_id)
         values ('O2', 'NO-SUCH-CUSTOMER', 'EUR', 0, 0, 'corr-1')`,
      ),
    );
    expect(unknownCustomer).toMatchObject({
      code: FOREIGN_KEY_VIOLATION,
      constraint: 'sales_orders_customer_id_customers_customer_id_fk',
    });
  });

  it('reserves a positive quantity, once per (order, SKU)', async () => {
    const zero = await rejection(
      query(
        `insert into reservations (order_id, sku, quantity, correlation_id) values ('O1', 'SKU-A', 0, 'corr-1')`,
      ),
    );
    expect(zero).toMatchObject({ code: CHECK_VIOLATION, constraint: 'reservations_quantity_positive' });
    await query(
      `insert into reservations (order_id, sku, quantity, correlation_id) values ('O1', 'SKU-A', 2, 'corr-1')`,
    );
    const twice = await rejection(
      query(
        `insert into reservations (order_id, sku, quantity, correlation_id) values ('O1', 'SKU-A', 2, 'corr-1')`,
      ),
    );
    expect(twice).toMatchObject({ code: UNIQUE_VIOLATION, constraint: 'reservations_order_sku_unique' });
    const { rows } = await query(`select quantity, status from reservations where order_id = 'O1'`);
    expect(rows).toEqual([{ quantity: 2, status: 'reserved' }]);
  });

  it('never receives more than ordered plus the over-receipt tolerance', async () => {
    await database.db.insert(purchaseOrderLines).values({
      purchaseOrderId: 'PO-1',
      lineNo: 1,
      sku: 'SKU-A',
      quantity: 10,
      overReceiptTolerance: 2,
      currency: 'EUR',
    });
    await query(`update purchase_order_lines set received = 12 where purchase_order_id = 'PO-1'`);
    const err = await rejection(
      query(`update purchase_order_lines set received = 13 where purchase_order_id = 'PO-1'`),
    );
    expect(err).toMatchObject({
      code: CHECK_VIOLATION,
      constraint: 'purchase_order_lines_received_within_tolerance',
    });
    const [line] = await database.db
      .select()
      .from(purchaseOrderLines)
      .where(eq(purchaseOrderLines.purchaseOrderId, 'PO-1'));
    expect(line).toMatchObject({ quantity: 10, received: 12, overReceiptTolerance: 2 });
  });

  it('keeps the outbox append-only, while delivery status changes', async () => {
    const [row] = await database.db
      .insert(outbox)
      .values({
        aggregateType: 'order',
        aggregateId: 'O1',
        type: 'order.invoiced.v1',
        payload: { orderId: 'O1', invoiceNumber: 'INV-1' },
        ...causation,
      })
      .returning();
    expect(row?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(row?.seq).toBeGreaterThan(0);
    for (const statement of [
      `update outbox set type = 'x'`,
      `delete from outbox`,
      `truncate outbox cascade`,
    ]) {
      const err = await rejection(query(statement));
      expect(err.code).toBe(RESTRICT_VIOLATION);
      expect(err.message).toMatch(/^table outbox is append-only/);
    }
    await database.db.insert(outboxDeliveries).values({ outboxId: row!.id, destination: 'webhook' });
    await query(
      `update outbox_deliveries set status = 'delivered', attempts = 1, delivered_at = now() where outbox_id = $1`,
      [row!.id],
    );
    const [delivery] = await database.db.select().from(outboxDeliveries);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1 });
    const missingCorrelation = await rejection(
      query(
        `insert into outbox (aggregate_type, aggregate_id, type, payload) values ('order', 'O1', 't', '{}')`,
      ),
    );
    expect(missingCorrelation).toMatchObject({ code: '23502', column: 'correlation_id' });
  });

  it('never lets an older upsert roll back a newer one', async () => {
    const stale = await rejection(
      query(`update customers set version_event_seq = 9 where customer_id = 'C1'`),
    );
    expect(stale.code).toBe(CHECK_VIOLATION);
    expect(stale.message).toBe('stale write to customers: version_event_seq 9 is older than the stored 10');
    // how an upsert skips a stale event: the conditional ON CONFLICT leaves the row alone
    await query(
      `insert into customers (customer_id, name, currency, version_event_seq, causation_source, causation_id, correlation_id)
       values ('C1', 'Old name', 'EUR', 5, 's', 'e0', 'c')
       on conflict (customer_id) do update set name = excluded.name, version_event_seq = excluded.version_event_seq
       where customers.version_event_seq < excluded.version_event_seq`,
    );
    const [customer] = await database.db.select().from(customers).where(eq(customers.customerId, 'C1'));
    expect(customer).toMatchObject({ name: 'Ada', versionEventSeq: 10 });
  });
});
