/**
 * Receivables ageing: what customers owe on open invoices, by how long it is past due, as of a day.
 * Read by the nightly reconciliation report and the daily ageing report. Set-based, one query.
 */
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../client';

export const AGEING_BUCKETS = ['current', 'days1to30', 'days31to60', 'days61to90', 'over90'] as const;
export type AgeingBucket = (typeof AGEING_BUCKETS)[number];

/** Outstanding amounts (minor units) and invoice counts per bucket, for one currency. */
export interface AgeingByCurrency {
  currency: string;
  buckets: Record<AgeingBucket, { amount: number; invoices: number }>;
  total: number;
}

/**
 * Buckets by days past the due date on `asOf` (a YYYY-MM-DD day): current (not yet due, or due that
 * day), 1-30, 31-60, 61-90, over 90. Outstanding = total − paid − written off, on open and partially
 * paid invoices; one entry per currency, amounts are never summed across currencies.
 */
export async function receivablesAgeing(db: Db | Tx, asOf: string): Promise<AgeingByCurrency[]> {
  const { rows } = await db.execute<{
    currency: string;
    bucket: AgeingBucket;
    amount: string;
    invoices: string;
  }>(sql`
    select currency,
           case
             when ${asOf}::date - due_date <= 0 then 'current'
             when ${asOf}::date - due_date <= 30 then 'days1to30'
             when ${asOf}::date - due_date <= 60 then 'days31to60'
             when ${asOf}::date - due_date <= 90 then 'days61to90'
             else 'over90'
           end as bucket,
           sum(total - amount_paid - amount_written_off)::text as amount,
           count(*)::text as invoices
      from invoices
     where status in ('open', 'partially_paid')
       and total - amount_paid - amount_written_off > 0
     group by 1, 2
     order by 1, 2`);
  const byCurrency = new Map<string, AgeingByCurrency>();
  for (const r of rows) {
    let entry = byCurrency.get(r.currency);
    if (!entry) {
      const buckets = Object.fromEntries(AGEING_BUCKETS.map((b) => [b, { amount: 0, invoices: 0 }]));
      entry = { currency: r.currency, buckets: buckets as AgeingByCurrency['buckets'], total: 0 };
      byCurrency.set(r.currency, entry);
    }
    entry.buckets[r.bucket] = { amount: Number(r.amount), invoices: Number(r.invoices) };
    entry.total += Number(r.amount);
  }
  return [...byCurrency.values()];
}
