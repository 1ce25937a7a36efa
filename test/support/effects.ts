/**
 * What an order or a purchase order left in the database, counted per business key, for the fault
 * tests: every effect exactly once, however often a worker died or an activity was retried.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { invoiceNumberFor } from '../../domain/sales';

const rows = async <T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> =>
  (await db.execute(query)).rows as T[];

export interface OrderEffects {
  status: string | undefined;
  invoices: number;
  /** Idempotency keys of the journal entries naming the order, sorted. */
  entryKeys: string[];
  /** Stock movements caused by the order, per causation id (`<orderId>/ship/<sku>`). */
  movements: Record<string, number>;
  /** Outbox event types about the order, in order. */
  outbox: string[];
  /** Active allocations to the order's invoice: count and sum. */
  allocations: { count: number; sum: number };
  total: number | undefined;
  amountPaid: number | undefined;
  invoicePaid: number | undefined;
}

export async function orderEffects(db: Db, orderId: string): Promise<OrderEffects> {
  const invoiceNumber = invoiceNumberFor(orderId);
  const [order] = await rows<{ status: string; total: number; amount_paid: number }>(
    db,
    sql`select status, total::int, amount_paid::int from sales_orders where order_id = ${orderId}`,
  );
  const invoices = await rows<{ amount_paid: number }>(
    db,
    sql`select amount_paid::int from invoices where order_id = ${orderId}`,
  );
  const entries = await rows<{ key: string }>(
    db,
    sql`select e.idempotency_key as key from journal_entries e
        where e.id in (select entry_id from journal_lines where order_id = ${orderId}) order by 1`,
  );
  const movements = await rows<{ causation_id: string; n: number }>(
    db,
    sql`select causation_id, count(*)::int as n from stock_movements
        where causation_id like ${`${orderId}/%`} group by causation_id`,
  );
  const outbox = await rows<{ type: string }>(
    db,
    sql`select type from outbox where aggregate_id = ${orderId} order by seq`,
  );
  const [allocations] = await rows<{ count: number; sum: number }>(
    db,
    sql`select count(*)::int as count, coalesce(sum(amount), 0)::int as sum from payment_allocations
        where invoice_number = ${invoiceNumber} and status = 'active'`,
  );
  return {
    status: order?.status,
    invoices: invoices.length,
    entryKeys: entries.map((e) => e.key),
    movements: Object.fromEntries(movements.map((m) => [m.causation_id, m.n])),
    outbox: outbox.map((o) => o.type),
    allocations: allocations ?? { count: 0, sum: 0 },
    total: order?.total,
    amountPaid: order?.amount_paid,
    invoicePaid: invoices[0]?.amount_paid,
  };
}

/** The effects of an order paid in full by one payment, shipped and completed: each exactly once. */
export function expectCompletedOnce(
  e: OrderEffects,
  orderId: string,
  skus: readonly string[],
  paymentId: string,
): void {
  const invoiceNumber = invoiceNumberFor(orderId);
  expect(e).toEqual({
    status: 'completed',
    invoices: 1,
    entryKeys: [`invoice/${invoiceNumber}`, `payment/${paymentId}/${invoiceNumber}`].sort(),
    movements: Object.fromEntries(skus.map((s) => [`${orderId}/ship/${s}`, 1])),
    outbox: ['order.accepted', 'order.invoiced', 'order.paid', 'order.shipped', 'order.completed'],
    allocations: { count: 1, sum: e.total },
    total: e.total,
    amountPaid: e.total,
    invoicePaid: e.total,
  });
}

/** Every stock level: never negative, never more reserved than on hand; no movement went below 0. */
export async function expectStockSane(db: Db, skus: readonly string[]): Promise<void> {
  const bad = await rows<{ sku: string }>(
    db,
    sql`select sku from stock_levels where sku in (${sql.join(
      skus.map((s) => sql`${s}`),
      sql`, `,
    )}) and (on_hand < 0 or reserved < 0 or reserved > on_hand)`,
  );
  expect(bad).toEqual([]);
  const below = await rows<{ id: number }>(db, sql`select id from stock_movements where on_hand_after < 0`);
  expect(below).toEqual([]);
}

/** Journal: every entry balances and so does the whole ledger (the triggers check it too). */
export async function expectJournalBalanced(db: Db): Promise<void> {
  const unbalanced = await rows<{ entry_id: number }>(
    db,
    sql`select entry_id from journal_lines group by entry_id having sum(debit) <> sum(credit)`,
  );
  expect(unbalanced).toEqual([]);
  const [total] = await rows<{ d: string; c: string }>(
    db,
    sql`select coalesce(sum(debit), 0)::text as d, coalesce(sum(credit), 0)::text as c from journal_lines`,
  );
  expect(total?.d).toBe(total?.c);
}
