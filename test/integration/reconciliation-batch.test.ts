/**
 * The nightly reconciliation batch through a real worker, Temporal and Postgres: each rule in SQL,
 * exceptions (a tie below the threshold, a possible duplicate), contention for one invoice, a retried
 * page, a generated data set with its totals, and agreement with the TypeScript rules (proposeMatch).
 */
import request from 'supertest';
import { sql } from 'drizzle-orm';
import { WORKFLOW_TYPES, paymentReconciliationWorkflowId, workflowTaskQueue } from '../../domain/names';
import { proposeMatch, type Candidate } from '../../domain/reconciliation';
import type { ReconciliationRunReport } from '../../domain/reconciliation-batch';
import { reconcilePage } from '../../db/queries/reconciliation-batch';
import { startHarness, uniqueKey, type Harness } from '../support/harness';
import { generateReceivables, seedReceivables, type SeedInvoice } from '../support/reconciliation-data';

const AS_OF = '2026-11-27';
const SETTINGS = { finance: { reconciliation: { toleranceAmount: 5, batchPageSize: 500 } } };

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ settings: SETTINGS });
});
afterAll(async () => {
  // the reviews the batch started belong to the real-time matcher's workflow: stop them here
  if (h) {
    const rows = await q<{ payment_id: string }>(
      sql`select payment_id from payments where status = 'exception'`,
    );
    for (const r of rows) {
      await h.temporal.client.workflow
        .getHandle(paymentReconciliationWorkflowId(r.payment_id))
        .terminate('test done')
        .catch(() => undefined);
    }
  }
  await h?.close();
});

const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>): Promise<T[]> =>
  (await h.database.db.execute<T>(query)).rows as T[];

async function runBatch(): Promise<{ runId: string; report: ReconciliationRunReport }> {
  return h.temporal.client.workflow.execute(WORKFLOW_TYPES.reconciliationBatch, {
    taskQueue: workflowTaskQueue(h.taskQueuePrefix, WORKFLOW_TYPES.reconciliationBatch),
    workflowId: uniqueKey('reconciliation-batch'),
    args: [{ asOf: AS_OF }],
  });
}

const invoice = (
  prefix: string,
  n: number,
  customerId: string,
  total: number,
  issuedOn: string,
): SeedInvoice => ({
  invoiceNumber: `INV-${prefix}-O${n}`,
  orderId: `${prefix}-O${n}`,
  customerId,
  total,
  issuedOn,
});

const payment = (id: string, amount: number, customerId: string | null, reference: string | null = null) => ({
  paymentId: id,
  amount,
  customerId,
  payerName: customerId ? `Customer ${customerId}` : 'Someone',
  reference,
  receivedAt: '2026-11-26T10:00:00Z',
});

async function paymentRow(id: string) {
  const [row] = await q<{
    status: string;
    amount_allocated: string;
    customer_id: string | null;
    exception_reason: string | null;
    proposed_invoice_number: string | null;
  }>(
    sql`select status, amount_allocated::text, customer_id, exception_reason, proposed_invoice_number
          from payments where payment_id = ${id}`,
  );
  return row;
}

async function allocationsOf(paymentId: string) {
  return q<{ invoice_number: string; amount: string; match_rule: string }>(
    sql`select invoice_number, amount::text, match_rule from payment_allocations
         where payment_id = ${paymentId} and status = 'active' order by invoice_number`,
  );
}

async function ledgerBalanced(): Promise<boolean> {
  const [row] = await q<{ unbalanced: string; d: string; c: string }>(sql`
    select (select count(*) from (select entry_id from journal_lines group by entry_id
                                   having sum(debit) <> sum(credit)) x)::text as unbalanced,
           (select sum(debit) from journal_lines)::text as d, (select sum(credit) from journal_lines)::text as c`);
  return row?.unbalanced === '0' && row.d === row.c;
}

describe('nightly reconciliation batch', () => {
  it('matches by each rule with the effects of allocatePayment', async () => {
    const x = uniqueKey('R');
    const [ca, cb, cc, cd] = ['A', 'B', 'C', 'D'].map((s) => `${x}-${s}`) as [string, string, string, string];
    await seedReceivables(h.database.db, {
      customers: [ca, cb, cc, cd],
      invoices: [
        // an order waiting for payment: it moves to paid and its workflow is told (none runs here)
        { ...invoice(x, 1, ca, 10_000, '2026-10-01'), orderStatus: 'invoiced' },
        invoice(x, 2, ca, 7_777, '2026-10-05'),
        invoice(x, 3, cb, 3_000, '2026-09-01'),
        invoice(x, 4, cb, 4_500, '2026-09-15'),
        invoice(x, 5, cb, 9_999, '2026-10-15'),
        invoice(x, 6, cc, 8_000, '2026-10-01'),
        invoice(x, 7, cd, 5_000, '2026-10-01'),
      ],
      payments: [
        payment(`P-${x}-1`, 10_000, ca, `Payment INV-${x}-O1 thanks`),
        payment(`P-${x}-2`, 7_777, ca),
        payment(`P-${x}-3`, 7_500, cb),
        payment(`P-${x}-4`, 7_997, cc),
        payment(`P-${x}-5`, 5_100, cd, `INV-${x}-O7`),
      ],
    });
    const { runId, report } = await runBatch();

    expect(await allocationsOf(`P-${x}-1`)).toEqual([
      { invoice_number: `INV-${x}-O1`, amount: '10000', match_rule: 'reference' },
    ]);
    expect(await allocationsOf(`P-${x}-2`)).toEqual([
      { invoice_number: `INV-${x}-O2`, amount: '7777', match_rule: 'exact_amount' },
    ]);
    expect(await allocationsOf(`P-${x}-3`)).toEqual([
      { invoice_number: `INV-${x}-O3`, amount: '3000', match_rule: 'oldest_first' },
      { invoice_number: `INV-${x}-O4`, amount: '4500', match_rule: 'oldest_first' },
    ]);
    expect(await allocationsOf(`P-${x}-4`)).toEqual([
      { invoice_number: `INV-${x}-O6`, amount: '7997', match_rule: 'tolerance' },
    ]);
    expect(await allocationsOf(`P-${x}-5`)).toEqual([
      { invoice_number: `INV-${x}-O7`, amount: '5000', match_rule: 'reference' },
    ]);
    for (const i of [1, 2, 3, 4, 5]) expect((await paymentRow(`P-${x}-${i}`))?.status).toBe('allocated');

    const inv = await q<{
      invoice_number: string;
      status: string;
      amount_paid: string;
      amount_written_off: string;
    }>(sql`
      select invoice_number, status, amount_paid::text, amount_written_off::text from invoices
       where invoice_number like ${`INV-${x}-%`} order by invoice_number`);
    expect(
      inv.map((i) => [i.invoice_number.slice(-2), i.status, i.amount_paid, i.amount_written_off]),
    ).toEqual([
      ['O1', 'paid', '10000', '0'],
      ['O2', 'paid', '7777', '0'],
      ['O3', 'paid', '3000', '0'],
      ['O4', 'paid', '4500', '0'],
      ['O5', 'open', '0', '0'],
      ['O6', 'paid', '7997', '3'],
      ['O7', 'paid', '5000', '0'],
    ]);
    // the orders' paid amount follows the invoice
    const [order6] = await q<{ amount_paid: string }>(
      sql`select amount_paid::text from sales_orders where order_id = ${`${x}-O6`}`,
    );
    expect(order6?.amount_paid).toBe('7997');
    const [order1] = await q<{ status: string; amount_paid: string }>(
      sql`select status, amount_paid::text from sales_orders where order_id = ${`${x}-O1`}`,
    );
    expect(order1).toEqual({ status: 'paid', amount_paid: '10000' });
    expect(report.ordersNotified.notRunning).toBeGreaterThanOrEqual(1);

    // one entry per (payment, invoice), the write-off and the credit
    const lines = await q<{ key: string; account_code: string; debit: string; credit: string }>(sql`
      select e.idempotency_key as key, l.account_code, l.debit::text, l.credit::text
        from journal_entries e join journal_lines l on l.entry_id = e.id
       where e.idempotency_key like ${`%/P-${x}-%`} order by e.idempotency_key, l.account_code`);
    expect(lines.filter((l) => l.key === `payment/P-${x}-5/INV-${x}-O7`)).toEqual([
      { key: `payment/P-${x}-5/INV-${x}-O7`, account_code: '1000', debit: '5100', credit: '0' },
      { key: `payment/P-${x}-5/INV-${x}-O7`, account_code: '1100', debit: '0', credit: '5000' },
      { key: `payment/P-${x}-5/INV-${x}-O7`, account_code: '2200', debit: '0', credit: '100' },
    ]);
    expect(lines.filter((l) => l.key === `writeoff/P-${x}-4/INV-${x}-O6`)).toEqual([
      { key: `writeoff/P-${x}-4/INV-${x}-O6`, account_code: '1100', debit: '0', credit: '3' },
      { key: `writeoff/P-${x}-4/INV-${x}-O6`, account_code: '6000', debit: '3', credit: '0' },
    ]);
    expect(new Set(lines.map((l) => l.key)).size).toBe(7);

    const events = await q<{ type: string; idempotency_key: string; payload: Record<string, unknown> }>(sql`
      select type, idempotency_key, payload from outbox where idempotency_key like ${`%/P-${x}-%`} order by seq`);
    expect(events.map((e) => e.idempotency_key)).toEqual([
      `payment.allocated/P-${x}-1/INV-${x}-O1`,
      `payment.allocated/P-${x}-2/INV-${x}-O2`,
      `payment.allocated/P-${x}-3/INV-${x}-O3`,
      `payment.allocated/P-${x}-3/INV-${x}-O4`,
      `payment.allocated/P-${x}-4/INV-${x}-O6`,
      `payment.allocated/P-${x}-5/INV-${x}-O7`,
      `customer.credit_added/P-${x}-5/INV-${x}-O7`,
    ]);
    expect(events[6]?.payload).toEqual({
      paymentId: `P-${x}-5`,
      invoiceNumber: `INV-${x}-O7`,
      orderId: `${x}-O7`,
      customerId: cd,
      currency: 'EUR',
      amount: 100,
    });
    expect(events[4]?.payload).toMatchObject({ matchRule: 'tolerance', amount: 7997, invoiceOutstanding: 0 });
    expect(await ledgerBalanced()).toBe(true);

    expect(report.matched.reference.payments).toBeGreaterThanOrEqual(2);
    expect(report.writeOffs.count).toBeGreaterThanOrEqual(1);
    expect(report.ageing[0]?.currency).toBe('EUR');
    const res = await request(h.app).get(`/v1/reconciliation/runs/${runId}`).expect(200);
    expect(res.body).toMatchObject({
      runId,
      asOf: AS_OF,
      status: 'completed',
      report: { runId },
      workflow: { status: 'COMPLETED' },
    });
    await request(h.app).get('/v1/reconciliation/runs/RR-nope').expect(404);
    const list = await request(h.app).get('/v1/reconciliation/runs?limit=1').expect(200);
    expect(list.body.items).toHaveLength(1);
  });

  it('makes a tie below the threshold and a possible duplicate exceptions, and starts their reviews', async () => {
    const x = uniqueKey('E');
    const [ca, cb] = [`${x}-A`, `${x}-B`];
    await seedReceivables(h.database.db, {
      customers: [ca, cb],
      invoices: [
        invoice(x, 1, ca, 2_500, '2026-10-01'),
        invoice(x, 2, ca, 2_500, '2026-10-02'),
        invoice(x, 3, cb, 6_000, '2026-10-01'),
      ],
      payments: [
        payment(`P-${x}-1`, 2_500, ca),
        { ...payment(`P-${x}-2`, 6_000, cb, `INV-${x}-O3`), receivedAt: '2026-11-25T10:00:00Z' },
        { ...payment(`P-${x}-3`, 6_000, cb, `INV-${x}-O3`), receivedAt: '2026-11-25T11:00:00Z' },
      ],
    });
    const { report } = await runBatch();
    const tie = await paymentRow(`P-${x}-1`);
    expect(tie).toMatchObject({ status: 'exception', proposed_invoice_number: `INV-${x}-O1` });
    expect(tie?.exception_reason).toContain('several invoices fit equally');
    expect(await allocationsOf(`P-${x}-1`)).toEqual([]);
    // the first of the two identical payments is matched, the second is a possible duplicate
    expect((await paymentRow(`P-${x}-2`))?.status).toBe('allocated');
    const dup = await paymentRow(`P-${x}-3`);
    // it lost O3 to the first in pass 1; in pass 2 O3 is paid, so the rules propose nothing
    expect(dup).toMatchObject({ status: 'exception', proposed_invoice_number: null });
    expect(dup?.exception_reason).toContain(`possible duplicate of payment P-${x}-2`);
    expect(report.exceptions.belowThreshold).toBeGreaterThanOrEqual(1);
    expect(report.exceptions.possibleDuplicates).toBeGreaterThanOrEqual(1);
    // a review was started for each (the workflow itself is the real-time matcher's)
    for (const id of [`P-${x}-1`, `P-${x}-3`]) {
      const d = await h.temporal.client.workflow.getHandle(paymentReconciliationWorkflowId(id)).describe();
      expect(d.type).toBe(WORKFLOW_TYPES.paymentReconciliation);
    }
  });

  it('flags an unknown payer and an amount far above the payer’s history, as the real-time matcher does', async () => {
    const x = uniqueKey('U');
    const [ca, cb] = [`${x}-A`, `${x}-B`];
    await seedReceivables(h.database.db, {
      customers: [ca, cb],
      invoices: [invoice(x, 1, ca, 3_000, '2026-10-01'), invoice(x, 2, cb, 90_000, '2026-10-01')],
      payments: [
        // the reference names the invoice and the amount matches, but nobody knows who paid
        payment(`P-${x}-1`, 3_000, null, `INV-${x}-O1`),
        // three small earlier payments, then one 30 times the largest
        ...[1, 2, 3].map((n) => ({
          ...payment(`P-${x}-h${n}`, 1_000, cb),
          receivedAt: `2026-09-0${n}T10:00:00Z`,
        })),
        payment(`P-${x}-2`, 90_000, cb, `INV-${x}-O2`),
      ],
    });
    const { report } = await runBatch();
    const unknown = await paymentRow(`P-${x}-1`);
    expect(unknown).toMatchObject({ status: 'exception', proposed_invoice_number: `INV-${x}-O1` });
    expect(unknown?.exception_reason).toBe('payer "Someone" is not a known customer');
    const big = await paymentRow(`P-${x}-2`);
    expect(big).toMatchObject({ status: 'exception', proposed_invoice_number: `INV-${x}-O2` });
    expect(big?.exception_reason).toContain("more than 5× the payer's largest of 3 earlier payments (1000)");
    expect(await allocationsOf(`P-${x}-1`)).toEqual([]);
    expect(await allocationsOf(`P-${x}-2`)).toEqual([]);
    expect(report.exceptions.anomalies).toBeGreaterThanOrEqual(2);
  });

  it('gives an invoice two payments want to the lower payment id; the other is matched against what is left', async () => {
    const x = uniqueKey('K');
    const ca = `${x}-A`;
    await seedReceivables(h.database.db, {
      customers: [ca],
      invoices: [invoice(x, 1, ca, 4_000, '2026-10-01'), invoice(x, 2, ca, 1_000, '2026-10-02')],
      payments: [
        payment(`P-${x}-1`, 4_000, ca, `INV-${x}-O1`),
        // wants O1 by reference too; once O1 is paid, the rest: O2 by exact amount? no: 4000 ≠ 1000
        payment(`P-${x}-2`, 4_000, ca, `re INV-${x}-O1 again`),
        payment(`P-${x}-3`, 1_000, ca, `INV-${x}-O2`),
      ],
    });
    await runBatch();
    expect(await allocationsOf(`P-${x}-1`)).toEqual([
      { invoice_number: `INV-${x}-O1`, amount: '4000', match_rule: 'reference' },
    ]);
    expect(await allocationsOf(`P-${x}-2`)).toEqual([]);
    expect((await paymentRow(`P-${x}-2`))?.status).toBe('unallocated');
    expect(await allocationsOf(`P-${x}-3`)).toEqual([
      { invoice_number: `INV-${x}-O2`, amount: '1000', match_rule: 'reference' },
    ]);
    const [inv] = await q<{ amount_paid: string }>(
      sql`select amount_paid::text from invoices where invoice_number = ${`INV-${x}-O1`}`,
    );
    expect(inv?.amount_paid).toBe('4000');
  });

  it('changes nothing when a committed page is run again, or the whole batch', async () => {
    const x = uniqueKey('I');
    const ca = `${x}-A`;
    await seedReceivables(h.database.db, {
      customers: [ca],
      invoices: [invoice(x, 1, ca, 1_234, '2026-10-01')],
      payments: [payment(`P-${x}-1`, 1_234, ca)],
    });
    const runId = uniqueKey('RR-test');
    await h.database.db.execute(
      sql`insert into reconciliation_runs (id, as_of, workflow_id) values (${runId}, ${AS_OF}, 'test')`,
    );
    const counts = async () =>
      (
        await q<{
          j: string;
          o: string;
          a: string;
        }>(sql`select (select count(*) from journal_entries)::text as j,
          (select count(*) from outbox)::text as o, (select count(*) from payment_allocations)::text as a`)
      )[0];
    const req = {
      runId,
      pageNo: 1,
      afterPaymentId: null,
      pageSize: 100_000,
      settings: { ...h.settings.finance.reconciliation, duplicateWindowMs: 7 * 86_400_000 },
      correlationId: `reconciliation-run/${runId}`,
    };
    const first = await h.database.db.transaction((tx) => reconcilePage(tx, req));
    const after = await counts();
    expect(first.repeated).toBe(false);
    expect(first.matched.exact_amount.payments).toBeGreaterThanOrEqual(1);
    const second = await h.database.db.transaction((tx) => reconcilePage(tx, req));
    expect(second).toEqual({ ...first, repeated: true });
    expect(await counts()).toEqual(after);
    // a whole new run finds nothing more to do for it
    await runBatch();
    expect(await allocationsOf(`P-${x}-1`)).toHaveLength(1);
    const [n] = await q<{ n: string }>(
      sql`select count(*)::text as n from journal_entries where idempotency_key like ${`%P-${x}-1%`}`,
    );
    expect(n?.n).toBe('1');
  });

  it('reconciles a generated data set with every total accounted for, as the TypeScript rules decide', async () => {
    const prefix = `${uniqueKey('G').replace(/[^A-Za-z0-9]/g, '')}-`;
    const mix = await generateReceivables(h.database.db, { prefix, invoices: 2_500, asOf: AS_OF });
    expect(mix.payments).toBe(2_500);

    // what the TypeScript rules decide, payment by payment in payment-id order, before the run
    const rs = h.settings.finance.reconciliation;
    const pays = await q<{
      payment_id: string;
      amount: string;
      customer_id: string | null;
      payer_name: string;
      reference: string | null;
      day: string;
      ms: string;
    }>(sql`
      select payment_id, amount::text, customer_id, payer_name, reference,
             (extract(epoch from received_at) * 1000)::bigint::text as ms,
             to_char((received_at at time zone 'UTC')::date, 'YYYY-MM-DD') as day
        from payments where payment_id like ${`P-${prefix}%`} order by payment_id`);
    const invs = await q<{
      invoice_number: string;
      customer_id: string;
      order_id: string;
      total: string;
      issued_on: string;
    }>(sql`
      select invoice_number, customer_id, order_id, total::text, to_char(issued_on, 'YYYY-MM-DD') as issued_on
        from invoices where invoice_number like ${`INV-${prefix}%`}`);
    const outstanding = new Map(invs.map((i) => [i.invoice_number, Number(i.total)]));
    const expected = new Map<string, string>();
    for (const p of pays) {
      const dup = pays.some(
        (o) =>
          o.payment_id !== p.payment_id &&
          Number(o.amount) === Number(p.amount) &&
          o.reference === p.reference &&
          (p.customer_id
            ? o.customer_id === p.customer_id
            : o.customer_id === null && o.payer_name === p.payer_name) &&
          Number(o.ms) < Number(p.ms) &&
          Number(p.ms) - Number(o.ms) <= 7 * 86_400_000,
      );
      const candidates: Candidate[] = invs
        .filter((i) => (outstanding.get(i.invoice_number) ?? 0) > 0)
        .map((i) => ({
          invoiceNumber: i.invoice_number,
          customerId: i.customer_id,
          orderId: i.order_id,
          outstanding: outstanding.get(i.invoice_number) ?? 0,
          issuedOn: i.issued_on,
        }));
      const proposal = proposeMatch(
        {
          paymentId: p.payment_id,
          unallocated: Number(p.amount),
          currency: 'EUR',
          customerId: p.customer_id,
          reference: p.reference,
        },
        candidates,
        rs,
      );
      // the other anomalies: an unknown payer, an amount above the payer's history
      const earlier = pays.filter(
        (o) => p.customer_id !== null && o.customer_id === p.customer_id && Number(o.ms) < Number(p.ms),
      );
      const largest = Math.max(0, ...earlier.map((o) => Number(o.amount)));
      const aboveHistory =
        earlier.length >= rs.historyMinPayments && Number(p.amount) > largest * rs.historyFactor;
      const flagged = dup || p.customer_id === null || aboveHistory;
      if (!proposal || flagged || proposal.confidence < rs.confidenceThreshold) continue;
      for (const a of proposal.allocations) {
        outstanding.set(a.invoiceNumber, (outstanding.get(a.invoiceNumber) ?? 0) - a.amount);
        expected.set(`${p.payment_id}/${a.invoiceNumber}`, `${a.amount}/${proposal.rule}`);
      }
      if (proposal.writeOff) {
        const w = proposal.writeOff;
        outstanding.set(w.invoiceNumber, (outstanding.get(w.invoiceNumber) ?? 0) - w.amount);
      }
    }

    const { report } = await runBatch();
    expect(report.paymentsScanned).toBeGreaterThanOrEqual(2_500);
    expect(report.deferred).toBe(0);

    const actual = new Map(
      (
        await q<{ payment_id: string; invoice_number: string; amount: string; match_rule: string }>(sql`
          select payment_id, invoice_number, amount::text, match_rule from payment_allocations
           where payment_id like ${`P-${prefix}%`} and status = 'active'`)
      ).map((a) => [`${a.payment_id}/${a.invoice_number}`, `${a.amount}/${a.match_rule}`]),
    );
    expect(actual.size).toBeGreaterThan(2_000);
    expect(actual).toEqual(expected);

    // per customer: allocated + credited + left unallocated = received, and cash = allocated + credited
    const mismatched = await q<{ customer_id: string }>(sql`
      with p as (select * from payments where payment_id like ${`P-${prefix}%`}),
      alloc as (select a.payment_id, sum(a.amount) as n from payment_allocations a join p using (payment_id)
                 where a.status = 'active' group by 1),
      credit as (select l.payment_id, sum(l.credit) as n from journal_lines l join p using (payment_id)
                  where l.account_code = '2200' group by 1),
      cash as (select l.payment_id, sum(l.debit) as n from journal_lines l join p using (payment_id)
                where l.account_code = '1000' group by 1)
      select coalesce(p.customer_id, p.payer_name) as customer_id
        from p left join alloc using (payment_id) left join credit using (payment_id) left join cash using (payment_id)
       group by 1
      having sum(coalesce(alloc.n, 0)) + sum(coalesce(credit.n, 0))
               + sum(case when p.status = 'allocated' then 0 else p.amount - p.amount_allocated end) <> sum(p.amount)
          or sum(coalesce(cash.n, 0)) <> sum(coalesce(alloc.n, 0)) + sum(coalesce(credit.n, 0))
          or bool_or(p.status = 'allocated' and p.amount - p.amount_allocated <> coalesce(credit.n, 0))`);
    expect(mismatched).toEqual([]);
    // every allocation has its journal entry exactly once, for its amount
    const [entries] = await q<{ missing: string; doubled: string }>(sql`
      select count(*) filter (where n = 0)::text as missing, count(*) filter (where n > 1)::text as doubled
        from (select a.payment_id, a.invoice_number,
                     (select count(*) from journal_entries e join journal_lines l on l.entry_id = e.id
                       where e.idempotency_key = 'payment/' || a.payment_id || '/' || a.invoice_number
                         and l.account_code = '1100' and l.credit = a.amount) as n
                from payment_allocations a where a.payment_id like ${`P-${prefix}%`}) x`);
    expect(entries).toEqual({ missing: '0', doubled: '0' });
    // receivables in the ledger = what the invoices still have outstanding
    const [ar] = await q<{ ledger: string; invoices: string }>(sql`
      select (select sum(debit) - sum(credit) from journal_lines where account_code = '1100'
                and invoice_number like ${`INV-${prefix}%`})::text as ledger,
             (select sum(total - amount_paid - amount_written_off) from invoices
               where invoice_number like ${`INV-${prefix}%`})::text as invoices`);
    expect(ar?.ledger).toBe(ar?.invoices);
    expect(await ledgerBalanced()).toBe(true);
  });
});
