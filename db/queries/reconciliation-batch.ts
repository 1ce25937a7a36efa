/**
 * The nightly reconciliation batch in set-based SQL: one page of payments matched by the ranked rules
 * of domain/reconciliation.ts (proposeMatch) in one transaction, with exactly the effects of
 * allocatePayment (db/queries/receivables.ts) for every allocation, so the real-time matcher and the
 * batch can never post the same (payment, invoice) twice: both write the journal key
 * `payment/<paymentId>/<invoiceNumber>`, which is unique.
 *
 * One page:
 *  1. the page's payments (status unallocated or partially_allocated, after the cursor, by payment id),
 *     locked; a payment locked by the real-time matcher is skipped (the next run sees it);
 *  2. anomalies, as the real-time matcher flags them: possible duplicates (same payer, currency, amount
 *     and reference within the duplicate window, an earlier payment exists), an unknown payer, an
 *     amount above the payer's history: exceptions, never allocated;
 *  3. passes, each set-based over the payments still undecided: candidates (open or partially paid
 *     invoices, outstanding > 0, same currency, issued at most lookBackDays before the payment's day,
 *     not already posted for this payment), the rules in order (reference, exact amount, oldest-first
 *     sum of two or more, tolerance) and the confidence of proposeMatch. Contention: an invoice wanted
 *     by several payments of the pass goes to the lowest payment id; a payment that wants an invoice a
 *     lower payment id also wants is decided in the next pass, against the invoices as the lower
 *     payment left them (so, like processing payments one by one in payment-id order). Decided: at or
 *     above the confidence threshold → allocated; below → exception with the proposal; no rule → left
 *     as it is. After MAX_PASSES, what is still contended is left for the next run (`deferred`).
 *  4. the page's result, with its exceptions and the orders to notify, stored under (run, page): a
 *     retry of a committed page reads it and writes nothing.
 */
import fs from 'node:fs';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Db, Tx } from '../client';
import type { ReconciliationSettings } from '../../domain/settings/finance';
import {
  EMPTY_RULE_TOTALS,
  type AmountByCurrency,
  type AutoRule,
  type BatchException,
  type ReconciliationPageResult,
} from '../../domain/reconciliation-batch';
import { CONFIDENCE_WEIGHTS } from '../../domain/reconciliation';
import { ACCOUNT_CODES } from '../schema';

/** Passes per page before contended payments are left for the next run. */
export const MAX_PASSES = 8;

export interface PageRequest {
  runId: string;
  pageNo: number;
  /** Start after this payment id (null: from the first). */
  afterPaymentId: string | null;
  pageSize: number;
  settings: Pick<
    ReconciliationSettings,
    | 'referencePattern'
    | 'lookBackDays'
    | 'tolerancePercent'
    | 'toleranceAmount'
    | 'confidenceThreshold'
    | 'historyFactor'
    | 'historyMinPayments'
  > & { duplicateWindowMs: number };
  /** Correlation id of every row the run writes (`reconciliation-run/<runId>`). */
  correlationId: string;
  /** Called between statements (the activity heartbeats). */
  progress?: (step: string) => void;
}

export type OrderToNotify = {
  orderId: string;
  invoiceNumber: string;
  paymentId: string;
};

const W = CONFIDENCE_WEIGHTS;

/** Statement timings when RECONCILIATION_PROFILE is set (the benchmark prints them). */
export const statementProfile = new Map<string, number>();
const profileDialect = new PgDialect({ casing: 'snake_case' });

/**
 * CPU milliseconds of each statement in its Postgres backend (Linux /proc, when Postgres runs on this
 * machine; 10 ms ticks), when profiling: unlike wall time, hardly moved by other load on the machine.
 */
export const statementCpuProfile = new Map<string, number>();
const backendPids = new WeakMap<object, number | null>();

async function backendCpuMs(tx: Tx): Promise<number | null> {
  let pid = backendPids.get(tx);
  if (pid === undefined) {
    const [r] = (await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`)).rows;
    pid = r?.pid ?? null;
    backendPids.set(tx, pid);
  }
  if (!pid) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, USER_HZ 100
  } catch {
    return null;
  }
}

async function exec(tx: Tx, q: SQL) {
  if (!process.env.RECONCILIATION_PROFILE) return tx.execute(q);
  const cpu0 = await backendCpuMs(tx);
  const t0 = Date.now();
  const text = profileDialect.sqlToQuery(q).sql.replace(/\s+/g, ' ').trim();
  try {
    if (
      process.env.RECONCILIATION_PROFILE === 'explain' &&
      /^(insert|update|with|create temp table \w+ on commit drop as)/i.test(text)
    ) {
      const { rows } = await tx.execute<{ 'QUERY PLAN': string }>(sql`explain (analyze) ${q}`);
      if (Date.now() - t0 > 200) {
        console.log(
          `---- ${Date.now() - t0} ms ${text.slice(0, 90)}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`,
        );
      }
      return { rows: [] } as unknown as Awaited<ReturnType<Tx['execute']>>;
    }
    return await tx.execute(q);
  } finally {
    const key = text.slice(0, 90);
    statementProfile.set(key, (statementProfile.get(key) ?? 0) + Date.now() - t0);
    const cpu1 = await backendCpuMs(tx);
    if (cpu0 !== null && cpu1 !== null) {
      statementCpuProfile.set(key, (statementCpuProfile.get(key) ?? 0) + cpu1 - cpu0);
    }
  }
}

/** Reads a stored page result, if the page was committed before. */
async function storedPage(tx: Tx, runId: string, pageNo: number): Promise<ReconciliationPageResult | null> {
  const { rows } = await tx.execute<{ result: ReconciliationPageResult }>(
    sql`select result from reconciliation_run_pages where run_id = ${runId} and page_no = ${pageNo}`,
  );
  return rows[0] ? { ...rows[0].result, repeated: true } : null;
}

/** Matches one page of payments; see the module comment. Run inside one transaction. */
export async function reconcilePage(tx: Tx, req: PageRequest): Promise<ReconciliationPageResult> {
  const t0 = Date.now();
  const prior = await storedPage(tx, req.runId, req.pageNo);
  if (prior) return prior;
  const s = req.settings;
  const timings: Record<string, number> = {
    read: 0,
    propose: 0,
    apply: 0,
    exceptions: 0,
    ledgerCheck: 0,
  };
  let mark = Date.now();
  const step = (name: string, phase?: string) => {
    const now = Date.now();
    if (phase) timings[phase] = (timings[phase] ?? 0) + (now - mark);
    mark = now;
    req.progress?.(name);
  };
  const run = (q: SQL) => exec(tx, q);

  // ---- 1. the page ------------------------------------------------------------------------------
  await run(sql`
    create temp table rb_pay (
      payment_id text primary key, unallocated bigint not null, amount bigint not null, currency char(3) not null,
      customer_id text, payer_name text, reference text, received_at timestamptz not null, day date not null,
      decided boolean not null default false
    ) on commit drop`);
  await run(sql`
    insert into rb_pay (payment_id, unallocated, amount, currency, customer_id, payer_name, reference, received_at, day)
    select payment_id, amount - amount_allocated, amount, currency, customer_id, payer_name, reference, received_at,
           (received_at at time zone 'UTC')::date
      from payments
     where status in ('unallocated', 'partially_allocated')
       and (${req.afterPaymentId}::text is null or payment_id > ${req.afterPaymentId}::text)
     order by payment_id
     limit ${req.pageSize}
       for update skip locked`);
  await run(sql`analyze rb_pay`);
  const [page] = (
    await tx.execute<{ scanned: string; cursor: string | null }>(
      sql`select count(*)::text as scanned, max(payment_id) as cursor from rb_pay`,
    )
  ).rows;
  const scanned = Number(page?.scanned ?? 0);
  step('page read');

  // the decisions of the page, filled pass by pass
  await run(sql`
    create temp table rb_alloc (
      payment_id text not null, invoice_number text not null, order_id text not null, currency char(3) not null,
      inv_customer_id text not null, pay_customer_id text not null, rule text not null, ordinal int not null,
      amount bigint not null, write_off bigint not null, credit bigint not null, pass int not null,
      primary key (payment_id, invoice_number)
    ) on commit drop`);
  await run(sql`
    create temp table rb_notify (order_id text, invoice_number text, payment_id text) on commit drop`);
  await run(sql`
    create temp table rb_exc (
      payment_id text primary key, anomalies text[] not null, reasons text[] not null,
      proposal jsonb, proposed_invoice_number text
    ) on commit drop`);

  // ---- 2. possible duplicates: an earlier payment of the same payer, amount and reference -------
  // by the payer's index (customer, received) for known payers, by payer name for unknown ones
  const window = sql`${s.duplicateWindowMs} * interval '1 millisecond'`;
  await run(sql`
    insert into rb_exc (payment_id, anomalies, reasons)
    select d.payment_id, array['possible_duplicate'],
           array['possible duplicate of payment ' || min(d.earlier) || ' (same payer, amount and reference within '
                 || ${String(Math.round(s.duplicateWindowMs / 1000))} || ' s)']
      from (
        select p.payment_id, q.payment_id as earlier, q.received_at, q.status, q.reference, q.amount, q.currency,
               p.received_at as p_received_at, p.reference as p_reference, p.amount as p_amount, p.currency as p_currency
          from rb_pay p
          join payments q on q.customer_id = p.customer_id
                         and q.received_at between p.received_at - ${window} and p.received_at
         where p.customer_id is not null
        union all
        select p.payment_id, q.payment_id, q.received_at, q.status, q.reference, q.amount, q.currency,
               p.received_at, p.reference, p.amount, p.currency
          from rb_pay p
          join payments q on q.payer_name = p.payer_name and q.customer_id is null
                         and q.received_at between p.received_at - ${window} and p.received_at
         where p.customer_id is null and p.payer_name is not null
      ) d
     where d.earlier <> d.payment_id
       and d.currency = d.p_currency
       and d.amount = d.p_amount
       and d.reference is not distinct from d.p_reference
       and d.status <> 'refunded'
       and (d.received_at < d.p_received_at or d.earlier < d.payment_id)
     group by d.payment_id`);
  step('duplicates', 'read');

  // the other anomalies of the real-time matcher (db/queries/reconciliation.ts anomaliesOf): an
  // unknown payer, and an amount far above the payer's largest earlier payment; never allocated
  await run(sql`
    insert into rb_exc (payment_id, anomalies, reasons)
    select p.payment_id, array['unknown_payer'],
           array[case when p.payer_name is null then 'the payer is not named'
                      else 'payer "' || p.payer_name || '" is not a known customer' end]
      from rb_pay p
     where p.customer_id is null
    on conflict (payment_id) do update
       set anomalies = rb_exc.anomalies || excluded.anomalies, reasons = rb_exc.reasons || excluded.reasons`);
  await run(sql`
    insert into rb_exc (payment_id, anomalies, reasons)
    select p.payment_id, array['amount_above_history'],
           array['amount ' || p.amount || ' is more than ' || ${String(s.historyFactor)} || '× the payer''s largest of '
                 || h.n || ' earlier payments (' || h.largest || ')']
      from rb_pay p
      cross join lateral (
        select count(*) as n, max(q.amount) as largest from payments q
         where q.customer_id = p.customer_id and q.payment_id <> p.payment_id
           and q.currency = p.currency and q.received_at < p.received_at) h
     where p.customer_id is not null
       and h.n >= ${s.historyMinPayments}
       and p.amount > h.largest * ${s.historyFactor}::numeric
    on conflict (payment_id) do update
       set anomalies = rb_exc.anomalies || excluded.anomalies, reasons = rb_exc.reasons || excluded.reasons`);
  step('anomalies', 'read');

  // reference tokens: the first capture group of the pattern, or its whole match (as invoiceNumbersIn)
  await run(sql`
    create temp table rb_tok on commit drop as
    select distinct p.payment_id, coalesce(m[2], m[1]) as token
      from rb_pay p, regexp_matches(p.reference, '(' || ${s.referencePattern}::text || ')', 'g') as m
     where p.reference is not null and coalesce(m[2], m[1]) <> ''`);

  let passes = 0;
  let deferred = 0;
  for (let pass = 1; pass <= MAX_PASSES; pass++) {
    const [{ n } = { n: '0' }] = (
      await tx.execute<{ n: string }>(sql`select count(*)::text as n from rb_pay where not decided`)
    ).rows;
    if (Number(n) === 0) break;
    passes = pass;
    step(`pass ${pass}`, 'read');
    await matchPass(tx, req, pass, () => step(`pass ${pass} proposed`, 'propose'));
    step(`pass ${pass} applied`, 'apply');
  }
  {
    const [{ n } = { n: '0' }] = (
      await tx.execute<{ n: string }>(sql`select count(*)::text as n from rb_pay where not decided`)
    ).rows;
    deferred = Number(n);
  }

  // ---- 4. the page's exceptions (payments), result and notifications ------------------------------
  await run(sql`
    update payments p
       set status = 'exception',
           exception_reason = left(array_to_string(e.reasons, '; '), 1000),
           proposed_invoice_number = e.proposed_invoice_number,
           updated_at = now()
      from rb_exc e
     where p.payment_id = e.payment_id`);

  const exceptions = (
    await tx.execute<BatchException & Record<string, unknown>>(sql`
      select payment_id as "paymentId",
             jsonb_build_object('reasons', to_jsonb(reasons), 'anomalies', to_jsonb(anomalies), 'proposal', proposal) as review
        from rb_exc order by payment_id`)
  ).rows;

  const totals = await pageTotals(tx);
  const notify = (
    await tx.execute<
      OrderToNotify & Record<string, unknown>
    >(sql`select order_id as "orderId", invoice_number as "invoiceNumber",
      payment_id as "paymentId" from rb_notify order by payment_id, invoice_number`)
  ).rows;

  step('exceptions', 'exceptions');
  // the deferred ledger checks (every entry balanced, two lines or more) run here instead of at
  // commit, so their cost is measured; nothing is weakened, they still run in this transaction
  await run(sql`set constraints all immediate`);
  step('ledger checked', 'ledgerCheck');

  const result: ReconciliationPageResult = {
    pageNo: req.pageNo,
    scanned,
    cursor: page?.cursor ?? req.afterPaymentId,
    done: scanned < req.pageSize,
    passes,
    ...totals,
    exceptions: {
      belowThreshold: exceptions.filter((e) => e.review.anomalies.length === 0).length,
      possibleDuplicates: exceptions.filter((e) => e.review.anomalies.includes('possible_duplicate')).length,
      anomalies: exceptions.filter((e) => e.review.anomalies.length > 0).length,
    },
    deferred,
    ordersToNotify: notify.length,
    dbMs: Date.now() - t0,
    timings,
    repeated: false,
  };
  await run(sql`
    insert into reconciliation_run_pages (run_id, page_no, after_payment_id, result, exceptions, notify)
    values (${req.runId}, ${req.pageNo}, ${req.afterPaymentId}, ${JSON.stringify(result)}::jsonb,
            ${JSON.stringify(exceptions)}::jsonb, ${JSON.stringify(notify)}::jsonb)`);
  req.progress?.('stored');
  return result;
}

/** One pass over the undecided payments of the page: propose, resolve contention, apply. */
async function matchPass(tx: Tx, req: PageRequest, pass: number, proposed: () => void): Promise<void> {
  const s = req.settings;
  const run = (q: SQL) => exec(tx, q);
  const threshold = s.confidenceThreshold;

  // ---- candidates -------------------------------------------------------------------------------
  await run(sql`drop table if exists rb_cand, rb_prop, rb_palloc, rb_decided, rb_acc`);
  await run(sql`
    create temp table rb_cand on commit drop as
    with p as (select * from rb_pay where not decided),
    pairs as (
      select payment_id, invoice_number, bool_or(referenced) as referenced
        from (
          select t.payment_id, t.token as invoice_number, true as referenced
            from rb_tok t join p using (payment_id)
          union all
          select p.payment_id, i.invoice_number, false
            from p join invoices i on i.customer_id = p.customer_id and i.status in ('open', 'partially_paid')
           where p.customer_id is not null
        ) x
       group by payment_id, invoice_number
    )
    select pr.payment_id, i.invoice_number, i.customer_id, i.order_id, i.currency, i.issued_on,
           i.total - i.amount_paid - i.amount_written_off as outstanding,
           pr.referenced,
           coalesce(i.customer_id = p.customer_id, false) as own
      from pairs pr
      join p using (payment_id)
      join invoices i on i.invoice_number = pr.invoice_number
     where i.currency = p.currency
       and i.status in ('open', 'partially_paid')
       and i.total - i.amount_paid - i.amount_written_off > 0
       and i.issued_on >= p.day - ${s.lookBackDays}::int
       and not exists (select 1 from journal_entries j
                        where j.idempotency_key = 'payment/' || pr.payment_id || '/' || i.invoice_number)`);
  await run(sql`analyze rb_cand`);

  // ---- proposals: rb_prop (one per payment, the first rule that fires) + rb_palloc (its allocations)
  // rule 1: the referenced candidates, oldest first; the rest is credit when the payer is known and
  // every referenced invoice is theirs
  await run(sql`
    create temp table rb_palloc (
      payment_id text not null, invoice_number text not null, order_id text not null, currency char(3) not null,
      inv_customer_id text not null, rule text not null, ordinal int not null,
      amount bigint not null, write_off bigint not null default 0, credit bigint not null default 0
    ) on commit drop`);
  await run(sql`create index on rb_palloc (payment_id)`);
  await run(sql`create index on rb_palloc (invoice_number)`);
  await run(sql`
    create temp table rb_prop (
      payment_id text primary key, rule text not null, confidence numeric not null, reasons text[] not null
    ) on commit drop`);

  await run(sql`
    with r as (
      select c.*, p.unallocated, p.customer_id as payer,
             sum(c.outstanding) over w as cum, row_number() over w as ordinal,
             count(*) over (partition by c.payment_id) as referenced_count
        from rb_cand c join rb_pay p using (payment_id)
       where c.referenced
      window w as (partition by c.payment_id order by c.issued_on, c.invoice_number collate "C"
                   rows between unbounded preceding and current row)
    ),
    agg as (
      select payment_id, sum(outstanding) as due, max(unallocated) as unallocated,
             bool_and(payer is not null and customer_id = payer) as party
        from r group by payment_id
    ),
    ins as (
      insert into rb_prop (payment_id, rule, confidence, reasons)
      select payment_id, 'reference',
             least(1, ${W.reference}::numeric + case when party then ${W.party}::numeric else 0 end
                      + case when due = unallocated then ${W.amount}::numeric else 0 end),
             array['reference names the invoice']
               || case when party then array['payer is the invoiced customer'] else array[]::text[] end
               || case when due = unallocated then array['amount matches'] else array[]::text[] end
        from agg
      returning payment_id
    )
    insert into rb_palloc (payment_id, invoice_number, order_id, currency, inv_customer_id, rule, ordinal, amount, credit)
    select r.payment_id, r.invoice_number, r.order_id, r.currency, r.customer_id, 'reference', r.ordinal,
           least(r.outstanding, r.unallocated - (r.cum - r.outstanding)),
           -- the rest rides on the last allocation (as allocatePayment with overpaymentToCredit)
           -- (the last: ordinal = the count of the payment's referenced candidates; a window, not a
           -- subquery per row, which scanned the whole CTE once per overpaying payment)
           case when a.party and r.cum < r.unallocated and r.ordinal = r.referenced_count
                then r.unallocated - r.cum else 0 end
      from r join agg a using (payment_id)
     where r.unallocated - (r.cum - r.outstanding) > 0`);

  // rules 2-4 on the payer's own candidates, for payments rule 1 did not take
  await run(sql`
    create temp table rb_own on commit drop as
    select c.*, p.unallocated,
           sum(c.outstanding) over w as cum, row_number() over w as ordinal,
           abs(c.outstanding - p.unallocated)
             <= greatest(${s.toleranceAmount}::bigint,
                         floor(c.outstanding::float8 * ${s.tolerancePercent}::float8 / 100)::bigint) as near
      from rb_cand c join rb_pay p using (payment_id)
     where c.own and p.customer_id is not null
       and not exists (select 1 from rb_prop x where x.payment_id = c.payment_id)
    window w as (partition by c.payment_id order by c.issued_on, c.invoice_number collate "C"
                 rows between unbounded preceding and current row)`);

  // rule 2: exactly one invoice's outstanding (the oldest on a tie, with the tie's weight)
  await run(sql`
    with e as (
      select *, count(*) over (partition by payment_id) as n,
             row_number() over (partition by payment_id order by ordinal) as k
        from rb_own where outstanding = unallocated
    ),
    ins as (
      insert into rb_prop (payment_id, rule, confidence, reasons)
      select payment_id, 'exact_amount',
             ${W.party}::numeric + ${W.amount}::numeric + case when n > 1 then ${W.tie}::numeric else 0 end,
             array['payer is the invoiced customer', 'amount matches']
               || case when n > 1 then array['several invoices fit equally'] else array[]::text[] end
        from e where k = 1
    )
    insert into rb_palloc (payment_id, invoice_number, order_id, currency, inv_customer_id, rule, ordinal, amount)
    select payment_id, invoice_number, order_id, currency, customer_id, 'exact_amount', 1, unallocated
      from e where k = 1`);

  // rule 3: the oldest two or more whose outstanding adds up to the amount
  await run(sql`
    with hit as (
      select o.payment_id, min(o.ordinal) as upto
        from rb_own o
       where o.ordinal >= 2 and o.cum = o.unallocated
         and not exists (select 1 from rb_prop x where x.payment_id = o.payment_id)
       group by o.payment_id
    ),
    ins as (
      insert into rb_prop (payment_id, rule, confidence, reasons)
      select payment_id, 'oldest_first', ${W.party}::numeric + ${W.amount}::numeric,
             array['payer is the invoiced customer', 'amount matches']
        from hit
    )
    insert into rb_palloc (payment_id, invoice_number, order_id, currency, inv_customer_id, rule, ordinal, amount)
    select o.payment_id, o.invoice_number, o.order_id, o.currency, o.customer_id, 'oldest_first', o.ordinal, o.outstanding
      from rb_own o join hit h on h.payment_id = o.payment_id and o.ordinal <= h.upto`);

  // rule 4: within tolerance of one invoice (the oldest that fits): short → write-off, over → credit
  await run(sql`
    with e as (
      select o.*, count(*) over (partition by o.payment_id) as n,
             row_number() over (partition by o.payment_id order by o.ordinal) as k
        from rb_own o
       where o.near and not exists (select 1 from rb_prop x where x.payment_id = o.payment_id)
    ),
    ins as (
      insert into rb_prop (payment_id, rule, confidence, reasons)
      select payment_id, 'tolerance',
             ${W.party}::numeric + ${W.amount}::numeric + case when n > 1 then ${W.tie}::numeric else 0 end,
             array['payer is the invoiced customer', 'amount matches']
               || case when n > 1 then array['several invoices fit equally'] else array[]::text[] end
        from e where k = 1
    )
    insert into rb_palloc (payment_id, invoice_number, order_id, currency, inv_customer_id, rule, ordinal,
                           amount, write_off, credit)
    select payment_id, invoice_number, order_id, currency, customer_id, 'tolerance', 1,
           least(unallocated, outstanding), greatest(0, outstanding - unallocated),
           unallocated - least(unallocated, outstanding)
      from e where k = 1`);
  await run(sql`drop table rb_own`);
  await run(sql`analyze rb_palloc`);

  // ---- contention: an invoice goes to the lowest payment id that wants it in this pass ------------
  // decided now: payments with no proposal, and payments none of whose invoices a lower id wants
  await run(sql`
    create temp table rb_decided on commit drop as
    select p.payment_id, pr.rule, pr.confidence, pr.reasons
      from rb_pay p left join rb_prop pr using (payment_id)
     where not p.decided
       and not exists (
         select 1 from rb_palloc a join rb_palloc b on b.invoice_number = a.invoice_number
          where a.payment_id = p.payment_id and b.payment_id < a.payment_id)`);

  // below the threshold (and not a duplicate): an exception with the proposal
  await run(sql`
    insert into rb_exc (payment_id, anomalies, reasons, proposal, proposed_invoice_number)
    select d.payment_id, array[]::text[],
           array['confidence ' || d.confidence || ' below the threshold ' || ${String(threshold)}::text
                 || ' (' || d.rule || ': ' || array_to_string(d.reasons, ', ') || ')'],
           ${proposalJson(sql`d`)},
           (select a.invoice_number from rb_palloc a where a.payment_id = d.payment_id order by a.ordinal limit 1)
      from rb_decided d
     where d.rule is not null and d.confidence < ${threshold}::numeric
       and not exists (select 1 from rb_exc e where e.payment_id = d.payment_id)`);
  // a flagged payment keeps the rules' proposal for the operator
  await run(sql`
    update rb_exc e
       set proposal = ${proposalJson(sql`d`)},
           proposed_invoice_number = (select a.invoice_number from rb_palloc a where a.payment_id = d.payment_id
                                       order by a.ordinal limit 1)
      from rb_decided d
     where e.payment_id = d.payment_id and d.rule is not null and e.proposal is null
       and cardinality(e.anomalies) > 0`);

  // at or above the threshold, no anomaly: allocated
  await run(sql`
    insert into rb_alloc (payment_id, invoice_number, order_id, currency, inv_customer_id, pay_customer_id, rule,
                          ordinal, amount, write_off, credit, pass)
    select a.payment_id, a.invoice_number, a.order_id, a.currency, a.inv_customer_id,
           coalesce(p.customer_id, first_value(a.inv_customer_id) over (partition by a.payment_id order by a.ordinal)),
           a.rule, a.ordinal, a.amount, a.write_off, a.credit, ${pass}
      from rb_palloc a
      join rb_decided d using (payment_id)
      join rb_pay p using (payment_id)
     where d.confidence >= ${threshold}::numeric
       and not exists (select 1 from rb_exc e where e.payment_id = a.payment_id)`);
  await run(sql`update rb_pay p set decided = true from rb_decided d where p.payment_id = d.payment_id`);
  proposed();
  await applyAllocations(tx, req, pass);
}

/** The Proposal (domain/reconciliation.ts) of a decided payment `d`, as jsonb. */
function proposalJson(d: SQL): SQL {
  return sql`case when ${d}.rule is null then null else jsonb_build_object(
      'rule', ${d}.rule,
      'allocations', (select coalesce(jsonb_agg(jsonb_build_object('invoiceNumber', a.invoice_number, 'amount', a.amount)
                               order by a.ordinal), '[]'::jsonb)
                        from rb_palloc a where a.payment_id = ${d}.payment_id),
      'credit', (select coalesce(sum(a.credit), 0) from rb_palloc a where a.payment_id = ${d}.payment_id),
      'confidence', ${d}.confidence,
      'reasons', to_jsonb(${d}.reasons))
    || coalesce((select jsonb_build_object('writeOff', jsonb_build_object('invoiceNumber', a.invoice_number,
                                                                          'amount', a.write_off))
                   from rb_palloc a where a.payment_id = ${d}.payment_id and a.write_off > 0 limit 1), '{}'::jsonb)
    end`;
}

/**
 * The effects of allocatePayment for the allocations decided in `pass`, set-based: allocation rows,
 * invoices, payments, one journal entry per (payment, invoice), write-off entries, outbox rows and
 * the orders' paid amounts.
 */
async function applyAllocations(tx: Tx, req: PageRequest, pass: number): Promise<void> {
  const run = (q: SQL) => exec(tx, q);
  const corr = req.correlationId;
  const A = ACCOUNT_CODES;
  await run(sql`
    create temp table rb_acc on commit drop as
    select * from rb_alloc where pass = ${pass}`);

  await run(sql`
    insert into payment_allocations (payment_id, invoice_number, amount, currency, match_rule, correlation_id)
    select payment_id, invoice_number, amount, currency, rule, ${corr}
      from rb_acc where amount > 0 order by payment_id, ordinal`);

  // the orders waiting for this payment (before their status moves), to be signalled after the run
  await run(sql`
    insert into rb_notify
    select o.order_id, a.invoice_number, a.payment_id
      from rb_acc a join sales_orders o on o.order_id = a.order_id
     where o.status in ('invoiced', 'partially_paid') and a.amount > 0`);

  await run(sql`drop table if exists rb_inv`);
  await run(sql`
    create temp table rb_inv on commit drop as
    with a as (select invoice_number, sum(amount) as amount, sum(write_off) as write_off from rb_acc group by 1),
    u as (
      update invoices i
         set amount_paid = i.amount_paid + a.amount,
             amount_written_off = i.amount_written_off + a.write_off,
             status = case when i.amount_paid + a.amount + i.amount_written_off + a.write_off >= i.total
                           then 'paid' else 'partially_paid' end,
             updated_at = now()
        from a
       where i.invoice_number = a.invoice_number
      returning i.invoice_number, i.order_id, i.total, i.amount_paid, i.amount_written_off, i.status
    )
    select * from u`);

  await run(sql`
    with a as (
      select payment_id, sum(amount) as amount, sum(credit) as credit, min(pay_customer_id) as customer_id
        from rb_acc group by 1
    )
    update payments p
       set amount_allocated = p.amount_allocated + a.amount,
           status = case when a.amount + a.credit = p.amount - p.amount_allocated then 'allocated'
                         else 'partially_allocated' end,
           customer_id = coalesce(p.customer_id, a.customer_id),
           updated_at = now()
      from a
     where p.payment_id = a.payment_id`);

  // one entry per (payment, invoice): Dr cash allocated + credited / Cr receivables / Cr customer credit
  await run(sql`
    with e as (
      insert into journal_entries (idempotency_key, occurred_at, description, currency, correlation_id)
      select 'payment/' || payment_id || '/' || invoice_number, now(),
             'Payment ' || payment_id || ' for invoice ' || invoice_number, currency, ${corr}
        from rb_acc order by payment_id, ordinal
      returning id, idempotency_key
    )
    insert into journal_lines (entry_id, account_code, currency, debit, credit, memo, order_id, invoice_number, payment_id)
    select e.id, l.account, a.currency, l.debit, l.credit, l.memo, a.order_id, l.invoice_number, a.payment_id
      from e
      join rb_acc a on e.idempotency_key = 'payment/' || a.payment_id || '/' || a.invoice_number
     cross join lateral (values
       (${A.cash}, a.amount + a.credit, 0::bigint, null::text, null::text),
       (${A.accountsReceivable}, 0::bigint, a.amount, a.invoice_number, null::text),
       (${A.customerCredit}, 0::bigint, a.credit, null::text, 'credit of customer ' || a.pay_customer_id)
     ) as l(account, debit, credit, invoice_number, memo)
     where l.debit > 0 or l.credit > 0
     order by e.id`);

  // tolerance write-offs: Dr write-off / Cr receivables
  await run(sql`
    with e as (
      insert into journal_entries (idempotency_key, occurred_at, description, currency, correlation_id)
      select 'writeoff/' || payment_id || '/' || invoice_number, now(),
             'Write-off of ' || write_off || ' on invoice ' || invoice_number || ' (payment ' || payment_id
               || ' short within tolerance)', currency, ${corr}
        from rb_acc where write_off > 0 order by payment_id
      returning id, idempotency_key
    )
    insert into journal_lines (entry_id, account_code, currency, debit, credit, memo, order_id, invoice_number, payment_id)
    select e.id, l.account, a.currency, l.debit, l.credit, 'tolerance write-off', a.order_id, a.invoice_number, a.payment_id
      from e
      join rb_acc a on e.idempotency_key = 'writeoff/' || a.payment_id || '/' || a.invoice_number
     cross join lateral (values (${A.writeOff}, a.write_off, 0::bigint), (${A.accountsReceivable}, 0::bigint, a.write_off))
       as l(account, debit, credit)
     order by e.id`);

  // outbox: payment.allocated per allocation, customer.credit_added per credit (as allocatePayment)
  await run(sql`
    insert into outbox (aggregate_type, aggregate_id, type, payload, idempotency_key, correlation_id)
    select x.aggregate_type, x.aggregate_id, x.type, x.payload, x.key, ${corr}
      from (
        select 'payment' as aggregate_type, a.payment_id as aggregate_id, 'payment.allocated' as type,
               jsonb_build_object('paymentId', a.payment_id, 'invoiceNumber', a.invoice_number, 'orderId', a.order_id,
                                  'customerId', a.pay_customer_id, 'currency', a.currency, 'amount', a.amount,
                                  'matchRule', a.rule,
                                  'invoiceOutstanding', i.total - i.amount_paid - i.amount_written_off) as payload,
               'payment.allocated/' || a.payment_id || '/' || a.invoice_number as key,
               a.payment_id as p, a.ordinal as o, 1 as k
          from rb_acc a join rb_inv i using (invoice_number)
        union all
        select 'customer', a.pay_customer_id, 'customer.credit_added',
               jsonb_build_object('paymentId', a.payment_id, 'invoiceNumber', a.invoice_number, 'orderId', a.order_id,
                                  'customerId', a.pay_customer_id, 'currency', a.currency, 'amount', a.credit),
               'customer.credit_added/' || a.payment_id || '/' || a.invoice_number,
               a.payment_id, a.ordinal, 2
          from rb_acc a where a.credit > 0
      ) x
     order by x.p, x.o, x.k
        on conflict (idempotency_key) do nothing`);

  // the order's paid amount follows its invoice; an order waiting for payment moves on
  await run(sql`
    update sales_orders o
       set amount_paid = i.amount_paid,
           status = case when o.status in ('invoiced', 'partially_paid')
                         then case when i.status = 'paid' then 'paid' else 'partially_paid' end
                         else o.status end,
           updated_at = now()
      from rb_inv i
     where o.order_id = i.order_id`);
}

/** Counts and amounts of the page, from its decisions. */
async function pageTotals(
  tx: Tx,
): Promise<Pick<ReconciliationPageResult, 'matched' | 'writeOffs' | 'credits' | 'unmatched'>> {
  const matched = EMPTY_RULE_TOTALS();
  const byRule = (
    await tx.execute<{
      rule: AutoRule;
      currency: string;
      payments: string;
      allocations: string;
      amount: string;
    }>(sql`
      select rule, currency, count(distinct payment_id)::text as payments, count(*)::text as allocations,
             sum(amount)::text as amount
        from rb_alloc group by rule, currency`)
  ).rows;
  for (const r of byRule) {
    const t = matched[r.rule];
    t.payments += Number(r.payments);
    t.allocations += Number(r.allocations);
    t.amount[r.currency] = (t.amount[r.currency] ?? 0) + Number(r.amount);
  }
  const sums = (
    await tx.execute<{ kind: string; currency: string; n: string; amount: string }>(sql`
      select 'writeoff' as kind, currency, count(*)::text as n, sum(write_off)::text as amount
        from rb_alloc where write_off > 0 group by currency
      union all
      select 'credit', currency, count(*)::text, sum(credit)::text from rb_alloc where credit > 0 group by currency
      union all
      select 'unmatched', p.currency, count(*)::text, sum(p.unallocated)::text
        from rb_pay p
       where p.decided
         and not exists (select 1 from rb_alloc a where a.payment_id = p.payment_id)
         and not exists (select 1 from rb_exc e where e.payment_id = p.payment_id)
       group by p.currency`)
  ).rows;
  const pick = (kind: string) => {
    let count = 0;
    const amount: AmountByCurrency = {};
    for (const r of sums.filter((x) => x.kind === kind)) {
      count += Number(r.n);
      amount[r.currency] = Number(r.amount);
    }
    return { count, amount };
  };
  const unmatched = pick('unmatched');
  return {
    matched,
    writeOffs: pick('writeoff'),
    credits: pick('credit'),
    unmatched: { payments: unmatched.count, amount: unmatched.amount },
  };
}

/** The exceptions and the orders to notify recorded by a run's pages. */
export async function runPageLists(
  tx: Db | Tx,
  runId: string,
): Promise<{ exceptions: BatchException[]; notify: OrderToNotify[] }> {
  const { rows } = await tx.execute<{ exceptions: BatchException[]; notify: OrderToNotify[] }>(sql`
    select exceptions, notify from reconciliation_run_pages where run_id = ${runId} order by page_no`);
  return { exceptions: rows.flatMap((r) => r.exceptions), notify: rows.flatMap((r) => r.notify) };
}
