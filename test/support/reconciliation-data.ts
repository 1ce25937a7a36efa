/**
 * Receivables data for the reconciliation batch's tests and benchmark: customers, orders (status
 * 'fulfilled' unless given, so no order workflow waits), invoices with their journal entries
 * (Dr receivables / Cr revenue, key `invoice/<number>`) and payments, written straight into
 * Postgres. `seedReceivables` writes given rows; `generateReceivables` a data set of any size in a
 * few set-based statements, with a mix of what the rules meet.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';

export interface SeedInvoice {
  invoiceNumber: string;
  orderId: string;
  customerId: string;
  total: number;
  issuedOn: string;
  currency?: string;
  orderStatus?: string;
}

export interface SeedPayment {
  paymentId: string;
  amount: number;
  customerId: string | null;
  payerName?: string;
  reference?: string | null;
  receivedAt: string;
  currency?: string;
}

const addDays = (day: string, n: number): string => {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};

/** Writes the given customers, orders + invoices (+ their journal entries) and payments. */
export async function seedReceivables(
  db: Db,
  data: { customers?: string[]; invoices?: SeedInvoice[]; payments?: SeedPayment[] },
): Promise<void> {
  await db.transaction(async (tx) => {
    for (const c of data.customers ?? []) {
      await tx.execute(sql`
        insert into customers (customer_id, name, currency, version_event_seq, causation_source, causation_id, correlation_id)
        values (${c}, ${'Customer ' + c}, 'EUR', 1, 'test', ${'seed-' + c}, 'seed')`);
    }
    for (const i of data.invoices ?? []) {
      const cur = i.currency ?? 'EUR';
      await tx.execute(sql`
        insert into sales_orders (order_id, customer_id, status, currency, subtotal, tax, total, correlation_id)
        values (${i.orderId}, ${i.customerId}, ${i.orderStatus ?? 'fulfilled'}, ${cur}, ${i.total}, 0, ${i.total}, 'seed')`);
      await tx.execute(sql`
        insert into invoices (invoice_number, order_id, customer_id, currency, subtotal, tax, total, issued_on, due_date, correlation_id)
        values (${i.invoiceNumber}, ${i.orderId}, ${i.customerId}, ${cur}, ${i.total}, 0, ${i.total}, ${i.issuedOn},
                ${addDays(i.issuedOn, 30)}, 'seed')`);
    }
    await postInvoiceEntries(
      tx as unknown as Db,
      (data.invoices ?? []).map((i) => i.invoiceNumber),
    );
    for (const p of data.payments ?? []) {
      await tx.execute(sql`
        insert into payments (payment_id, amount, currency, customer_id, payer_name, reference, received_at, method, correlation_id)
        values (${p.paymentId}, ${p.amount}, ${p.currency ?? 'EUR'}, ${p.customerId}, ${p.payerName ?? null},
                ${p.reference ?? null}, ${p.receivedAt}, 'bank_transfer', 'seed')`);
    }
  });
}

/** The invoices' journal entries (Dr receivables / Cr revenue), set-based. */
async function postInvoiceEntries(db: Db, invoiceNumbers: string[] | null): Promise<void> {
  const filter = invoiceNumbers
    ? sql`i.invoice_number in (select jsonb_array_elements_text(${JSON.stringify(invoiceNumbers)}::jsonb))`
    : sql`not exists (select 1 from journal_entries j where j.idempotency_key = 'invoice/' || i.invoice_number)`;
  await db.execute(sql`
    with e as (
      insert into journal_entries (idempotency_key, occurred_at, description, currency, correlation_id)
      select 'invoice/' || i.invoice_number, i.issued_on::timestamptz, 'Invoice ' || i.invoice_number, i.currency, 'seed'
        from invoices i where ${filter}
      returning id, idempotency_key
    )
    insert into journal_lines (entry_id, account_code, currency, debit, credit, order_id, invoice_number)
    select e.id, l.account, i.currency, l.debit, l.credit, i.order_id, i.invoice_number
      from e join invoices i on e.idempotency_key = 'invoice/' || i.invoice_number
     cross join lateral (values ('1100', i.total, 0::bigint), ('4000', 0::bigint, i.total)) as l(account, debit, credit)`);
}

export interface GeneratedMix {
  customers: number;
  invoices: number;
  payments: number;
  /** Payments by what they were made to meet. */
  kinds: Record<string, number>;
}

/**
 * A data set of `invoices` invoices (5 per customer, oldest k=0) and about as many payments, keys
 * prefixed with `prefix` (letters, digits, '-'). Per customer c and invoice k, by (i·37) mod 100:
 * 65% reference with the exact amount, 3% reference from an unknown payer, 2% reference overpaid
 * (credit), 10% exact amount without reference, 5% short by 3 (tolerance), 8% unmatched (known
 * payer), 4% unmatched (unknown payer), 3% reference paying half. Every 20th customer pays its two
 * oldest invoices with one payment (oldest-first sum); every 100th also sends its third payment
 * twice an hour apart (a possible duplicate); every 200th (+1) has two equal invoices and pays the
 * first without reference (a tie: below the threshold).
 */
export async function generateReceivables(
  db: Db,
  opts: { prefix: string; invoices: number; asOf: string },
): Promise<GeneratedMix> {
  const { prefix, invoices: n, asOf } = opts;
  const customers = Math.ceil(n / 5);
  const kinds: Record<string, number> = {};
  await db.transaction(async (tx) => {
    await tx.execute(sql`
      insert into customers (customer_id, name, currency, version_event_seq, causation_source, causation_id, correlation_id)
      select ${prefix} || 'C' || lpad(c::text, 7, '0'), 'Customer ' || ${prefix} || c, 'EUR', 1, 'bench', 'seed-' || c, 'seed'
        from generate_series(0, ${customers - 1}) c`);
    await tx.execute(sql`
      create temp table gen on commit drop as
      select i, (i - 1) / 5 as c, (i - 1) % 5 as k, (i * 37) % 100 as m,
             ${prefix} || 'C' || lpad(((i - 1) / 5)::text, 7, '0') as customer_id,
             ${prefix} || 'O' || lpad(i::text, 7, '0') as order_id,
             'INV-' || ${prefix} || 'O' || lpad(i::text, 7, '0') as invoice_number,
             1000 + (i * 7919) % 90001 as total,
             ${asOf}::date - ((4 - (i - 1) % 5) * 25 + ((i - 1) / 5) % 10) as issued_on
        from generate_series(1, ${n}) i`);
    // ties: the customer's invoices k=3 and k=4 are for the same amount
    await tx.execute(sql`
      update gen g set total = p.total from gen p
       where g.c % 200 = 1 and g.k = 4 and p.i = g.i - 1`);
    await tx.execute(sql`
      insert into sales_orders (order_id, customer_id, status, currency, subtotal, tax, total, correlation_id)
      select order_id, customer_id, 'fulfilled', 'EUR', total, 0, total, 'seed' from gen`);
    await tx.execute(sql`
      insert into invoices (invoice_number, order_id, customer_id, currency, subtotal, tax, total, issued_on, due_date, correlation_id)
      select invoice_number, order_id, customer_id, 'EUR', total, 0, total, issued_on, issued_on + 30, 'seed' from gen`);
    await postInvoiceEntries(tx as unknown as Db, null);
    await tx.execute(sql`
      create temp table gen_pay on commit drop as
      with g as (
        select g.*, lead(total) over (partition by c order by k) as next_total,
               case
                 when c % 20 = 0 and k = 0 then 'oldest_first'
                 when c % 100 = 0 and k = 1 then 'duplicate'
                 when c % 20 = 0 and k = 1 then 'unmatched'
                 when c % 20 = 0 and k = 2 then 'reference'
                 when c % 200 = 1 and k = 3 then 'tie'
                 when c % 200 = 1 and k = 4 then 'reference'
                 when m < 65 then 'reference'
                 when m < 68 then 'reference_unknown_payer'
                 when m < 70 then 'reference_overpaid'
                 when m < 80 then 'exact'
                 when m < 85 then 'tolerance'
                 when m < 93 then 'unmatched'
                 when m < 97 then 'unmatched_unknown_payer'
                 else 'reference_partial'
               end as kind
          from gen g
      )
      select g.i, g.kind, g.customer_id, g.c,
             'P-' || ${prefix} || lpad(g.i::text, 7, '0') as payment_id,
             case g.kind
               when 'oldest_first' then g.total + g.next_total
               when 'duplicate' then g.next_total
               when 'reference_overpaid' then g.total + 250
               when 'tolerance' then g.total - 3
               when 'unmatched' then 50 + g.m
               when 'unmatched_unknown_payer' then 60 + g.m
               when 'reference_partial' then g.total / 2
               else g.total
             end as amount,
             case when g.kind in ('reference_unknown_payer', 'unmatched_unknown_payer') then null else g.customer_id end
               as payer,
             case
               when g.kind in ('reference', 'reference_unknown_payer', 'reference_overpaid', 'reference_partial')
                 then 'Invoice ' || g.invoice_number || ', thank you'
               when g.kind = 'duplicate' then 'Invoice INV-' || ${prefix} || 'O' || lpad((g.i + 1)::text, 7, '0') || ', thank you'
               else null
             end as reference,
             ${asOf}::timestamptz - interval '1 day' + (g.i % 3600) * interval '1 second'
               + case when g.kind = 'duplicate' then interval '1 hour' else interval '0' end as received_at
        from g`);
    await tx.execute(sql`
      insert into payments (payment_id, amount, currency, customer_id, payer_name, reference, received_at, method, correlation_id)
      select payment_id, amount, 'EUR', payer, 'Customer ' || ${prefix} || c, reference, received_at, 'bank_transfer', 'seed'
        from gen_pay`);
    const { rows } = await tx.execute<{ kind: string; n: string }>(
      sql`select kind, count(*)::text as n from gen_pay group by kind order by kind`,
    );
    for (const r of rows) kinds[r.kind] = Number(r.n);
  });
  await db.execute(sql`analyze`);
  const payments = Object.values(kinds).reduce((a, b) => a + b, 0);
  return { customers, invoices: n, payments, kinds };
}
