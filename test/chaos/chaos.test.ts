/**
 * Chaos run (`npm run test:chaos`): CHAOS_ORDERS orders (default 1,000) with stock events and
 * payments (some in two parts, some delivered twice) while CHAOS_WORKERS worker processes (default
 * 3) are killed with SIGKILL at random moments and started again. At the end: every order
 * completed, stock never negative and exactly what was shipped, payments sum to what was allocated
 * and to what the invoices show paid, the ledger balances, each effect happened once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { sql } from 'drizzle-orm';
import { relayPendingRoutes } from '../../api/routing';
import { invoiceNumberFor } from '../../domain/sales';
import { eventually, startHarness, stockAdjusted, uniqueKey, type Harness } from '../support/harness';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { expectJournalBalanced, expectStockSane } from '../support/effects';

const envInt = (name: string, fallback: number) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: not a positive count`);
  return n;
};
const ORDERS = envInt('CHAOS_ORDERS', 1000);
const WORKERS = envInt('CHAOS_WORKERS', 3);
const [KILL_MIN, KILL_MAX] = (process.env.CHAOS_KILL_EVERY_MS ?? '4000-12000').split('-').map(Number) as [
  number,
  number,
];
const SKUS = 10;
const CUSTOMERS = 20;
// the test API's body limit is 64 KiB
const BATCH = 100;

// the reconciliation's anomaly rules would hold payments of very different sizes for review
const SETTINGS = { finance: { reconciliation: { historyFactor: 1000 } } };

let h: Harness;
let settingsFile: string;
const workers: WorkerProcess[] = [];
let stopping = false;
let kills = 0;
let loops: Promise<void>[] = [];
const log = (line: string) => process.stdout.write(`[chaos] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

beforeAll(async () => {
  h = await startHarness({ workers: false, settings: SETTINGS });
  settingsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'erp-chaos-')), 'settings.json');
  fs.writeFileSync(settingsFile, JSON.stringify(SETTINGS));
}, 120_000);
afterAll(async () => {
  stopping = true;
  await Promise.all(loops);
  await Promise.all(workers.map((w) => w.kill()));
  await h?.close();
});

const startWorker = () =>
  startWorkerProcess({
    databaseUrl: h.databaseUrl,
    temporalAddress: h.context.temporalAddress,
    namespace: h.context.namespace,
    taskQueuePrefix: h.taskQueuePrefix,
    workflowBundlePath: h.context.workflowBundlePath,
    settingsFile,
  });

/** Kills a random worker with SIGKILL every KILL_MIN..KILL_MAX ms and starts a new one in its place. */
async function chaosMonkey(): Promise<void> {
  while (!stopping) {
    await sleep(KILL_MIN + Math.random() * (KILL_MAX - KILL_MIN));
    if (stopping) return;
    const i = Math.floor(Math.random() * workers.length);
    await workers[i]!.kill('SIGKILL');
    kills++;
    if (stopping) return;
    workers[i] = await startWorker();
  }
}

/** What the API process does every ROUTE_RELAY_INTERVAL_MS: routes still pending are retried. */
async function relay(): Promise<void> {
  while (!stopping) {
    await relayPendingRoutes(h.database.db, h.temporal, { limit: 500 }).catch(() => undefined);
    await sleep(2000);
  }
}

async function sendBatch(events: object[]): Promise<void> {
  for (let i = 0; i < events.length; i += BATCH) {
    await request(h.app)
      .post('/v1/events/batch')
      .send(events.slice(i, i + BATCH))
      .expect(200);
  }
}

const event = (type: string, data: Record<string, unknown>, id = `evt-${randomUUID()}`) => ({
  specversion: '1.0',
  id,
  source: 'test/chaos',
  type,
  time: new Date().toISOString(),
  data,
});

const one = async <T>(query: ReturnType<typeof sql>): Promise<T> =>
  (await h.database.db.execute(query)).rows[0] as T;

/** Waits until `query` (a count) reaches `target`, logging progress; generous: workers keep dying. */
async function until(what: string, query: ReturnType<typeof sql>, target: number): Promise<void> {
  let last = -1;
  await eventually(
    async () => {
      const { n } = await one<{ n: number }>(query);
      if (n !== last) log(`${what}: ${n}/${target} (${kills} kills so far)`);
      last = n;
      return n >= target ? true : undefined;
    },
    300_000 + ORDERS * 1000,
  );
}

it(`${ORDERS} orders with payments and stock events while workers are killed at random`, async () => {
  const t0 = Date.now();
  const run = uniqueKey('chaos');
  for (let i = 0; i < WORKERS; i++) workers.push(await startWorker());
  const monkey = chaosMonkey();
  const relaying = relay();
  loops = [monkey, relaying];

  const customers: string[] = [];
  for (let i = 0; i < CUSTOMERS; i++) {
    const id = `${run}-C${i}`;
    await request(h.app)
      .put(`/v1/customers/${id}`)
      .send({
        name: `Chaos ${i}`,
        creditLimit: 0,
        currency: 'EUR',
        paymentTerms: { netDays: 30 },
        consent: true,
      })
      .expect(201);
    customers.push(id);
  }
  const skus = Array.from({ length: SKUS }, (_, i) => `${run}-SKU${i}`);
  // enough on hand for every order from the start; more arrives while orders come in
  const initial = ORDERS * 3;
  const added = new Map(skus.map((s) => [s, initial]));
  await sendBatch(skus.map((sku) => stockAdjusted({ sku, delta: initial, reason: 'opening stock' })));
  // the batch is stored and routed in the background: orders wait until every SKU holds its stock,
  // else an early order would find none and be backordered
  await until(
    'opening stock',
    sql`select count(*)::int as n from stock_levels where on_hand = ${initial} and sku in (${sql.join(
      skus.map((s) => sql`${s}`),
      sql`, `,
    )})`,
    SKUS,
  );

  interface Order {
    orderId: string;
    customerId: string;
    lines: { sku: string; quantity: number; unitPrice: number }[];
  }
  const orders: Order[] = Array.from({ length: ORDERS }, (_, i) => {
    const [a, b] = [pick(skus), pick(skus)];
    const lines = [{ sku: a, quantity: 1 + (i % 3), unitPrice: 500 + Math.floor(Math.random() * 2000) }];
    if (b !== a) lines.push({ sku: b, quantity: 1, unitPrice: 250 + (i % 7) * 100 });
    return { orderId: `${run}-O${i}`, customerId: pick(customers), lines };
  });
  const inOrders = sql.join(
    orders.map((o) => sql`${o.orderId}`),
    sql`, `,
  );

  // orders, with stock deliveries between them (and each 20th order.placed sent twice)
  const placed: object[] = [];
  for (const o of orders) {
    const e = event('order.placed', {
      orderId: o.orderId,
      customerId: o.customerId,
      currency: 'EUR',
      paymentTerms: { netDays: 30 },
      lines: o.lines,
    });
    placed.push(e);
    if (placed.length % 20 === 0) placed.push(e);
    if (placed.length % 25 === 0) {
      const sku = pick(skus);
      const delta = 1 + Math.floor(Math.random() * 5);
      added.set(sku, added.get(sku)! + delta);
      placed.push(stockAdjusted({ sku, delta, reason: 'goods in' }));
    }
  }
  await sendBatch(placed);
  log(`${placed.length} events sent (${ORDERS} orders) after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  await until(
    'invoiced',
    sql`select count(*)::int as n from invoices where order_id in (${inOrders})`,
    ORDERS,
  );

  // payments: most in one, every 5th in two parts, every 10th payment delivered again as a new event
  const totals = new Map(
    (
      (
        await h.database.db.execute(
          sql`select order_id, total::int from sales_orders where order_id in (${inOrders})`,
        )
      ).rows as { order_id: string; total: number }[]
    ).map((r) => [r.order_id, r.total]),
  );
  const paymentEvents: object[] = [];
  let paymentCount = 0;
  for (const [i, o] of orders.entries()) {
    const total = totals.get(o.orderId)!;
    const parts = i % 5 === 0 ? [Math.floor(total * 0.4), total - Math.floor(total * 0.4)] : [total];
    for (const [p, amount] of parts.entries()) {
      const data = {
        paymentId: `${o.orderId}-P${p}`,
        amount,
        currency: 'EUR',
        customerId: o.customerId,
        reference: `Payment for ${invoiceNumberFor(o.orderId)}`,
        receivedAt: new Date().toISOString(),
        method: 'bank_transfer',
      };
      paymentEvents.push(event('payment.received', data));
      paymentCount++;
      if (paymentCount % 10 === 0) paymentEvents.push(event('payment.received', data));
    }
  }
  await sendBatch(paymentEvents);
  await until(
    'shipped',
    sql`select count(*)::int as n from sales_orders where order_id in (${inOrders}) and status = 'shipped'`,
    ORDERS,
  );
  await sendBatch(
    orders.map((o) =>
      event('shipment.confirmed', {
        orderId: o.orderId,
        shipmentId: `SH-${o.orderId}`,
        shippedAt: new Date().toISOString(),
      }),
    ),
  );
  await until(
    'completed',
    sql`select count(*)::int as n from sales_orders where order_id in (${inOrders}) and status = 'completed'`,
    ORDERS,
  );
  stopping = true;
  await monkey;
  await relaying;
  const seconds = (Date.now() - t0) / 1000;

  // every order completed
  const statuses = await h.database.db.execute(
    sql`select status, count(*)::int as n from sales_orders where order_id in (${inOrders}) group by status`,
  );
  expect(statuses.rows).toEqual([{ status: 'completed', n: ORDERS }]);

  // invoices paid exactly: allocations = payments = invoices' paid amounts = totals
  const money = await one<Record<string, number>>(sql`select
      (select sum(total)::bigint from sales_orders where order_id in (${inOrders})) as totals,
      (select sum(amount_paid)::bigint from sales_orders where order_id in (${inOrders})) as order_paid,
      (select sum(amount_paid)::bigint from invoices where order_id in (${inOrders})) as invoice_paid,
      (select count(*)::int from invoices where order_id in (${inOrders})) as invoices,
      (select sum(amount)::bigint from payments where payment_id like ${`${run}-%`}) as paid,
      (select sum(amount_allocated)::bigint from payments where payment_id like ${`${run}-%`}) as allocated,
      (select count(*)::int from payments where payment_id like ${`${run}-%`}) as payments,
      (select sum(amount)::bigint from payment_allocations
        where payment_id like ${`${run}-%`} and status = 'active') as allocations,
      (select count(*)::int from payment_allocations where payment_id like ${`${run}-%`}) as allocation_rows`);
  const total = orders.reduce((s, o) => s + totals.get(o.orderId)!, 0);
  expect(money).toEqual({
    totals: String(total),
    order_paid: String(total),
    invoice_paid: String(total),
    invoices: ORDERS,
    paid: String(total),
    allocated: String(total),
    payments: paymentCount,
    allocations: String(total),
    allocation_rows: paymentCount,
  });

  // journal: per order one invoice entry and one entry per payment, nothing else
  const entries = await h.database.db.execute(sql`
    select l.order_id, count(distinct e.id)::int as n,
           count(distinct e.id) filter (where e.idempotency_key like 'invoice/%')::int as invoices
    from journal_entries e join journal_lines l on l.entry_id = e.id
    where l.order_id in (${inOrders}) group by l.order_id`);
  const expectedEntries = new Map(orders.map((o, i) => [o.orderId, i % 5 === 0 ? 3 : 2]));
  const wrongEntries = (entries.rows as { order_id: string; n: number; invoices: number }[]).filter(
    (r) => r.n !== expectedEntries.get(r.order_id) || r.invoices !== 1,
  );
  expect(wrongEntries).toEqual([]);
  expect(entries.rows).toHaveLength(ORDERS);

  // outbox: the five order events, once each
  const outbox = await h.database.db.execute(sql`
    select aggregate_id, string_agg(type, ',' order by seq) as types from outbox
    where aggregate_id in (${inOrders}) group by aggregate_id`);
  const lifecycle = 'order.accepted,order.invoiced,order.paid,order.shipped,order.completed';
  expect((outbox.rows as { types: string }[]).filter((r) => r.types !== lifecycle)).toEqual([]);
  expect(outbox.rows).toHaveLength(ORDERS);

  // stock: one movement out per order line; on hand = everything added − everything shipped
  const shippedMoves = await one<{ n: number; dup: number }>(sql`
    select count(*)::int as n, (count(*) - count(distinct causation_id))::int as dup from stock_movements
    where sku in (${sql.join(
      skus.map((s) => sql`${s}`),
      sql`, `,
    )}) and causation_id like ${`${run}-O%/ship/%`}`);
  const lineCount = orders.reduce((s, o) => s + o.lines.length, 0);
  expect(shippedMoves).toEqual({ n: lineCount, dup: 0 });
  const levels = await h.database.db.execute(
    sql`select sku, on_hand, reserved from stock_levels where sku in (${sql.join(
      skus.map((s) => sql`${s}`),
      sql`, `,
    )}) order by sku`,
  );
  const shippedOf = (sku: string) =>
    orders.reduce((s, o) => s + o.lines.filter((l) => l.sku === sku).reduce((t, l) => t + l.quantity, 0), 0);
  expect(levels.rows).toEqual(
    [...skus].sort().map((sku) => ({ sku, on_hand: added.get(sku)! - shippedOf(sku), reserved: 0 })),
  );
  await expectStockSane(h.database.db, skus);
  await expectJournalBalanced(h.database.db);

  log(
    `${ORDERS} orders, ${paymentCount} payments, ${WORKERS} worker processes, ${kills} SIGKILLs: ` +
      `all completed in ${seconds.toFixed(0)} s on ${os.cpus().length} cores`,
  );
  expect(kills).toBeGreaterThan(0);
});
