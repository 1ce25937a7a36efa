/**
 * Duplicates (README "Duplicates and order"): the same events, a realistic mix (customer and
 * product upserts, stock adjustments over a set of SKUs, support requests and responses, behaviour
 * signals, orders and their payments), sent twice, concurrently, shuffled, through POST /v1/events
 * and POST /v1/events/batch, end in exactly the state of sending them once.
 *
 * One harness, two copies of the same scenario under two id namespaces: the control copy is sent
 * once, the other twice. Every business table's rows of each copy are compared after normalising
 * what legitimately differs between two runs (the namespace, serial ids and what references them,
 * timestamps, Temporal run ids, delivery attempts) and the two values that depend on the order
 * events were applied in (a stock movement's on-hand-after, and that number in outbox payloads).
 *
 * The scenario goes in three phases, as it would in life: master data, stock, tickets and
 * behaviour; then the orders; then the payments and the agents' responses. Inside a phase
 * everything is shuffled. The number of events is DUPLICATES_EVENTS (default 1000).
 */
import request from 'supertest';
import type { Pool } from 'pg';
import { QueryNotRegisteredError, WorkflowNotFoundError } from '@temporalio/client';
import { relayPendingRoutes } from '../../api/routing';
import { customerFollowUpStateQuery } from '../../domain/crm';
import { customerFollowUpWorkflowId } from '../../domain/names';
import { startHarness, stockAdjusted, type Harness } from '../support/harness';
import { expectLedgerBalanced } from '../support/orders';

const TOTAL = Number(process.env.DUPLICATES_EVENTS ?? 1000);
const SEED = Number(process.env.DUPLICATES_SEED ?? 20261127);

let h: Harness;
let relay: NodeJS.Timeout | undefined;
let relaying: Promise<unknown> = Promise.resolve();
beforeAll(async () => {
  h = await startHarness({
    settings: {
      sales: { taxRateBps: 0 },
      crm: { behaviour: { debounceWindow: '1 second' } },
    },
  });
  // what the API process runs (api/server.ts): routes queued behind another request's for the same
  // workflow, when that request's drain missed them, are delivered by the relay
  relay = setInterval(() => {
    relaying = relaying.then(() =>
      relayPendingRoutes(h.database.db, h.temporal, { limit: 500 }).catch(() => undefined),
    );
  }, 500);
});
afterAll(async () => {
  if (relay) clearInterval(relay);
  await relaying;
  await h?.close();
});

/** mulberry32: a small seeded generator, so a failing mix can be reproduced with DUPLICATES_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], rnd: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

interface Ev {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  data: Record<string, unknown>;
}

interface Scenario {
  phases: Ev[][];
  skus: string[];
  /** Expected on hand per SKU: the sum of its adjustments less what its orders shipped. */
  onHand: Map<string, number>;
  orders: string[];
  tickets: string[];
  customers: string[];
}

/**
 * The scenario of `total` events under namespace `ns` (ids `<ns>-…`); the same seed gives the same
 * events in both namespaces.
 */
function scenario(ns: string, total: number, seed: number): Scenario {
  const rnd = random(seed);
  const at = '2026-11-27T08:00:00.000Z';
  let n = 0;
  const ev = (source: string, type: string, data: Record<string, unknown>): Ev => ({
    specversion: '1.0',
    id: `${ns}-evt-${++n}`,
    source,
    type,
    time: at,
    data,
  });
  const scale = total / 1000;
  const count = (k: number) => Math.max(1, Math.round(k * scale));
  const customers = Array.from({ length: count(20) }, (_, i) => `${ns}-C-${i}`);
  const skus = Array.from({ length: count(30) }, (_, i) => `${ns}-SKU-${i}`);
  const orders = Array.from({ length: count(10) }, (_, i) => `${ns}-O-${i}`);
  const tickets = Array.from({ length: count(60) }, (_, i) => `${ns}-T-${i}`);
  const behaviour = count(200);
  const onHand = new Map<string, number>(skus.map((s) => [s, 0]));
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

  const phase1: Ev[] = [];
  for (const [i, c] of customers.entries()) {
    phase1.push(
      ev('test/crm-sync', 'customer.upserted', {
        customerId: c,
        name: `Customer ${i}`,
        creditLimit: 0,
        currency: 'EUR',
        paymentTerms: { netDays: 30 },
        consent: true,
      }),
    );
  }
  for (const [i, s] of skus.entries()) {
    phase1.push(
      ev('test/pim', 'product.upserted', {
        sku: s,
        name: `Product ${i}`,
        unitPrice: 100 * (i + 1),
        currency: 'EUR',
      }),
    );
  }
  for (const t of tickets) {
    phase1.push(
      ev('test/helpdesk', 'support.requested', {
        ticketId: t,
        customerId: pick(customers),
        channel: 'email',
        subject: 'Where is my delivery?',
        priority: pick(['low', 'normal', 'high', 'urgent']),
      }),
    );
  }
  const phase2: Ev[] = [];
  const phase3: Ev[] = [];
  // behaviour once the customers are known (a signal for an unknown customer is scored, but its
  // follow-up is blocked by the contact budget): half are keen (abandoned carts: a follow-up), the
  // others browse (no follow-up)
  for (let i = 0; i < behaviour; i++) {
    const k = Math.floor(rnd() * customers.length);
    phase2.push(
      ev('test/web', 'customer.behaviour', {
        customerId: customers[k],
        kind: k % 2 === 0 ? 'cart_abandoned' : 'page_view',
        occurredAt: at,
      }),
    );
  }

  for (const [i, o] of orders.entries()) {
    const sku = skus[i % skus.length] as string;
    const quantity = 1 + (i % 3);
    const unitPrice = 1000 + 10 * i;
    onHand.set(sku, (onHand.get(sku) ?? 0) - quantity);
    const customerId = customers[i % customers.length] as string;
    phase2.push(
      ev('test/shop', 'order.placed', {
        orderId: o,
        customerId,
        currency: 'EUR',
        paymentTerms: { netDays: 30 },
        lines: [{ sku, quantity, unitPrice }],
      }),
    );
    phase3.push(
      ev('test/bank', 'payment.received', {
        paymentId: `${ns}-PAY-${i}`,
        amount: quantity * unitPrice,
        currency: 'EUR',
        customerId,
        reference: `INV-${o}`,
        receivedAt: at,
        method: 'bank_transfer',
      }),
    );
  }
  for (const t of tickets) {
    phase3.push(
      ev('test/helpdesk', 'support.agent_responded', { ticketId: t, agentId: 'agent:lena', respondedAt: at }),
    );
  }

  // the rest: positive stock adjustments (a set of SKUs, several each), so no order waits for stock
  const rest = total - phase1.length - phase2.length - phase3.length;
  for (let i = 0; i < rest; i++) {
    const sku = i < skus.length ? (skus[i] as string) : pick(skus);
    const delta = 5 + Math.floor(rnd() * 20);
    onHand.set(sku, (onHand.get(sku) ?? 0) + delta);
    const e = stockAdjusted({ sku, delta, reason: 'goods in' }, { id: `${ns}-evt-${++n}`, time: at });
    phase1.push(e as unknown as Ev);
  }
  return { phases: [phase1, phase2, phase3], skus, onHand, orders, tickets, customers };
}

interface Sent {
  accepted: number;
  duplicate: number;
  other: number[];
}

/**
 * Sends `events` with `parallel` requests in flight: alternately one event to POST /v1/events and
 * a batch of up to 25 to POST /v1/events/batch.
 */
async function send(events: Ev[], rnd: () => number, parallel = 8): Promise<Sent> {
  const chunks: Ev[][] = [];
  for (let i = 0; i < events.length;) {
    const size = chunks.length % 2 === 0 ? 1 : 1 + Math.floor(rnd() * 25);
    chunks.push(events.slice(i, i + size));
    i += size;
  }
  const sent: Sent = { accepted: 0, duplicate: 0, other: [] };
  let next = 0;
  const worker = async () => {
    for (let c = chunks[next++]; c; c = chunks[next++]) {
      if (c.length === 1) {
        const res = await request(h.app).post('/v1/events').send(c[0]);
        if (res.status === 202) sent.accepted++;
        else if (res.status === 200 && res.body.status === 'duplicate') sent.duplicate++;
        else sent.other.push(res.status);
      } else {
        const res = await request(h.app).post('/v1/events/batch').send(c);
        if (res.status !== 200) {
          sent.other.push(res.status);
          continue;
        }
        sent.accepted += res.body.accepted;
        sent.duplicate += res.body.duplicate;
        if (res.body.rejected) sent.other.push(...new Array<number>(res.body.rejected).fill(422));
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return sent;
}

// ---- the projection: every business table's rows of one namespace, normalised -----------------

const SKIP_TABLES = new Set(['http_idempotency_keys', 'ledger_accounts', 'receivables_ageing_reports']);
/**
 * Differ between two runs without meaning anything: Temporal's run ids, delivery bookkeeping, and
 * which transaction and activity attempt wrote a lineage effect.
 */
const VOLATILE_COLUMNS = new Set([
  'run_id',
  'attempts',
  'lease_until',
  'last_error',
  'routed_at',
  'tx_id',
  'activity_attempt',
]);
/**
 * Depend on the order (or the moment) events were applied in, not on how often: a stock movement's
 * on-hand-after, and a behaviour score (decayed to the moment it is evaluated).
 */
const ORDER_DEPENDENT = new Set(['on_hand_after', 'onHandAfter', 'onHand', 'available', 'reserved', 'score']);
/** Behaviour signals are scored per burst: which signal of the burst is named as the cause depends on their order. */
const burstCaused = (row: Record<string, unknown>) => row.causation_source === 'test/web';
const VOLATILE_KEYS = new Set(['id', 'seq', 'taskId', 'entryId', 'journalEntryId', 'allocationId', 'runId']);
const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

type Columns = Map<string, Set<string>>;

/** Per table, the columns to leave out: serial ids and columns referencing them, timestamps, the volatile ones. */
async function volatileColumns(pool: Pool): Promise<Columns> {
  const { rows } = await pool.query<{ table_name: string; column_name: string }>(`
    select c.table_name, c.column_name from information_schema.columns c
     where c.table_schema = 'public'
       and (c.column_default like 'nextval%' or c.is_identity = 'YES' or c.data_type like 'timestamp%'
            or c.column_name like '%\\_seq' or c.column_name = 'seq')
    union
    select kcu.table_name, kcu.column_name
      from information_schema.referential_constraints rc
      join information_schema.key_column_usage kcu on kcu.constraint_name = rc.constraint_name
      join information_schema.constraint_column_usage ccu on ccu.constraint_name = rc.unique_constraint_name
      join information_schema.columns t
        on t.table_name = ccu.table_name and t.column_name = ccu.column_name and t.table_schema = 'public'
     where kcu.table_schema = 'public' and (t.column_default like 'nextval%' or t.is_identity = 'YES')`);
  const out: Columns = new Map();
  for (const r of rows) {
    if (!out.has(r.table_name)) out.set(r.table_name, new Set());
    out.get(r.table_name)?.add(r.column_name);
  }
  return out;
}

function normalise(value: unknown, ns: string): unknown {
  if (typeof value === 'string') {
    return value.split(ns).join('NS').replace(ISO_TIME, 'T').replace(UUID, 'U');
  }
  if (Array.isArray(value)) return value.map((v) => normalise(v, ns));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      if (VOLATILE_KEYS.has(k) || ORDER_DEPENDENT.has(k)) continue;
      out[k] = normalise(v, ns);
    }
    return out;
  }
  return value;
}

/**
 * A lineage effect: which event touched which row. Its operation and values depend on the order
 * events arrived in (the first stock change of a SKU inserts its level, the others update it, each
 * seeing the on-hand of the moment), and so does which workflow wrote it (a payment that arrives
 * before its order is invoiced is claimed by the order's workflow, otherwise the payment's own
 * workflow matches it): not on how often they arrived.
 */
function lineageRow(row: Record<string, unknown>, volatile: Columns): Record<string, unknown> {
  const skip = volatile.get(String(row.table_name)) ?? new Set<string>();
  const key = Object.entries((row.row_key ?? {}) as Record<string, unknown>).filter(([k]) => !skip.has(k));
  const { table_name, causation_source, causation_id, correlation_id } = row;
  return { table_name, causation_source, causation_id, correlation_id, row_key: Object.fromEntries(key) };
}

/** Per table: the sorted, normalised rows that mention the namespace. */
async function projection(pool: Pool, ns: string, volatile: Columns): Promise<Record<string, string[]>> {
  const { rows: tables } = await pool.query<{ tablename: string }>(
    `select tablename from pg_tables where schemaname = 'public' order by tablename`,
  );
  const out: Record<string, string[]> = {};
  for (const { tablename } of tables) {
    if (SKIP_TABLES.has(tablename) || tablename.startsWith('__')) continue;
    const { rows } = await pool.query<{ row: Record<string, unknown> }>(
      `select to_jsonb(t) as row from public."${tablename}" t where to_jsonb(t)::text like $1`,
      [`%${ns}%`],
    );
    const skip = volatile.get(tablename) ?? new Set<string>();
    out[tablename] = rows
      .map(({ row }) => (tablename === 'lineage_effects' ? lineageRow(row, volatile) : row))
      .map((row) => {
        const kept: Record<string, unknown> = {};
        const burst = burstCaused(row);
        for (const [k, v] of Object.entries(row)) {
          if (skip.has(k) || VOLATILE_COLUMNS.has(k) || ORDER_DEPENDENT.has(k)) continue;
          if (burst && (k === 'causation_id' || k === 'correlation_id')) continue;
          if (burst && k === 'title') {
            kept[k] = String(v).replace(/\(score [\d.]+\)/, '(score)');
            continue;
          }
          kept[k] = v;
        }
        return JSON.stringify(normalise(kept, ns));
      })
      .sort();
    if (tablename === 'lineage_effects') {
      // how many times one event touched one row depends on the order too: the same set, the same count
      out['lineage_effects (count)'] = [String(rows.length)];
      out[tablename] = [...new Set(out[tablename])];
    }
  }
  return out;
}

/** The projection once the workflows have stopped writing: equal twice, 1.5 s apart. */
async function settled(pool: Pool, ns: string, volatile: Columns, timeoutMs = 120_000) {
  const until = Date.now() + timeoutMs;
  let last = JSON.stringify(await projection(pool, ns, volatile));
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 1500));
    const now = JSON.stringify(await projection(pool, ns, volatile));
    if (now === last) return JSON.parse(now) as Record<string, string[]>;
    last = now;
  }
  throw new Error(`namespace ${ns} still changing after ${timeoutMs} ms`);
}

async function scalar(pool: Pool, sql: string, params: unknown[]): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Every behaviour event of `ns` delivered, and no customer's follow-up workflow holding an open
 * burst: a burst is scored when its debounce window ends, which on a loaded machine can come after
 * the rest of the state has stopped changing.
 */
async function behaviourScored(pool: Pool, ns: string, customers: string[]): Promise<boolean> {
  const undelivered = await scalar(
    pool,
    `select count(*) n from event_routes r join events e on e.source = r.event_source and e.id = r.event_id
      where e.type = 'customer.behaviour' and e.id like $1 and r.status <> 'delivered'`,
    [`${ns}-%`],
  );
  if (undelivered > 0) return false;
  for (const customerId of customers) {
    try {
      const state = await h.temporal.client.workflow
        .getHandle(customerFollowUpWorkflowId(customerId))
        .query(customerFollowUpStateQuery);
      if (state.burst !== null || state.deferred !== null) return false;
    } catch (err) {
      // a customer no behaviour signal was drawn for has no workflow
      if (err instanceof WorkflowNotFoundError) continue;
      // a workflow still loading its settings has not set its handlers yet
      if (err instanceof QueryNotRegisteredError) return false;
      throw err;
    }
  }
  return true;
}

/** Runs the scenario of `ns`, each phase sent `times` times (shuffled together), and waits for each phase. */
async function run(ns: string, times: number, seed: number) {
  const pool = h.database.pool;
  const s = scenario(ns, TOTAL, SEED);
  const rnd = random(seed);
  const sent: Sent = { accepted: 0, duplicate: 0, other: [] };
  const add = (x: Sent) => {
    sent.accepted += x.accepted;
    sent.duplicate += x.duplicate;
    sent.other.push(...x.other);
  };
  const like = `${ns}-%`;
  const waits = [
    // phase 1: every stock adjustment applied, every ticket opened
    async () =>
      (await scalar(pool, `select count(*) n from stock_movements where sku like $1`, [like])) ===
        TOTAL -
          s.phases[0]!.filter((e) => e.type !== 'inventory.stock_adjusted').length -
          s.phases[1]!.length -
          s.phases[2]!.length &&
      (await scalar(pool, `select count(*) n from crm_tickets where ticket_id like $1`, [like])) ===
        s.tickets.length,
    // phase 2: every order invoiced
    async () =>
      (await scalar(pool, `select count(*) n from invoices where order_id like $1`, [like])) ===
      s.orders.length,
    // phase 3: every order shipped, every ticket answered, and every customer's behaviour scored
    async () =>
      (await behaviourScored(pool, ns, s.customers)) &&
      (await scalar(
        pool,
        `select count(*) n from sales_orders where order_id like $1 and status = 'shipped'`,
        [like],
      )) === s.orders.length &&
      (await scalar(
        pool,
        `select count(*) n from crm_tickets where ticket_id like $1 and first_responded_at is not null`,
        [like],
      )) === s.tickets.length,
  ];
  for (const [i, phase] of s.phases.entries()) {
    const copies = Array.from({ length: times }, () => phase).flat();
    add(await send(shuffle(copies, rnd), rnd));
    const until = Date.now() + 120_000;
    while (!(await waits[i]!())) {
      if (Date.now() > until) {
        const counts = await pool.query(
          `select (select count(*) from stock_movements where sku like $1) movements,
                  (select count(*) from crm_tickets where ticket_id like $1) tickets,
                  (select count(*) from events where id like $1) events,
                  (select count(*) from event_routes where event_id like $1 and status <> 'delivered') undelivered,
                  (select string_agg(distinct last_error, ' | ') from event_routes where event_id like $1) errors,
                  (select count(*) from invoices where order_id like $1) invoices`,
          [like],
        );
        throw new Error(`${ns}: phase ${i + 1} did not complete: ${JSON.stringify(counts.rows[0])}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { scenario: s, sent };
}

describe('duplicates', () => {
  it(`${TOTAL} events sent twice, concurrently and shuffled, end in the state of sending them once`, async () => {
    const pool = h.database.pool;
    const volatile = await volatileColumns(pool);
    const control = 'DUPA';
    const doubled = 'DUPB';

    const once = await run(control, 1, SEED + 1);
    expect(once.sent).toEqual({ accepted: TOTAL, duplicate: 0, other: [] });
    const twice = await run(doubled, 2, SEED + 2);
    // every event stored exactly once, the second copy answered as a duplicate, nothing refused
    expect(twice.sent).toEqual({ accepted: TOTAL, duplicate: TOTAL, other: [] });

    const [a, b] = [await settled(pool, control, volatile), await settled(pool, doubled, volatile)];
    const differing = Object.keys({ ...a, ...b }).filter(
      (t) => JSON.stringify(a[t] ?? []) !== JSON.stringify(b[t] ?? []),
    );
    for (const t of differing) {
      const onlyA = (a[t] ?? []).filter((r) => !(b[t] ?? []).includes(r)).slice(0, 3);
      const onlyB = (b[t] ?? []).filter((r) => !(a[t] ?? []).includes(r)).slice(0, 3);
      console.error(`table ${t}: once ${a[t]?.length}, twice ${b[t]?.length}`, { onlyA, onlyB });
    }
    expect(differing).toEqual([]);
    // the comparison is not vacuous: every kind of effect is there
    for (const table of [
      'events',
      'event_routes',
      'customers',
      'products',
      'stock_movements',
      'crm_tickets',
      'crm_tasks',
      'sales_orders',
      'invoices',
      'payments',
      'payment_allocations',
      'journal_entries',
      'journal_lines',
      'outbox',
      'lineage_effects',
    ]) {
      expect({ table, rows: (b[table] ?? []).length > 0 }).toEqual({ table, rows: true });
    }

    // and the state is the right one, from the input alone
    const s = twice.scenario;
    expect(a.events).toHaveLength(TOTAL);
    for (const sku of s.skus) {
      const { rows } = await pool.query<{ on_hand: number; reserved: number }>(
        `select on_hand, reserved from stock_levels where sku = $1`,
        [sku],
      );
      expect({ sku, onHand: rows[0]?.on_hand, reserved: rows[0]?.reserved }).toEqual({
        sku,
        onHand: s.onHand.get(sku),
        reserved: 0,
      });
    }
    expect(
      await scalar(pool, `select count(*) n from payment_allocations where payment_id like $1`, [
        `${doubled}-%`,
      ]),
    ).toBe(s.orders.length);
    expect(
      await scalar(
        pool,
        `select count(*) n from crm_tasks where customer_id like $1 and type = 'sales_follow_up'`,
        [`${doubled}-%`],
      ),
    ).toBeGreaterThan(0);
    await expectLedgerBalanced(h);
  }, 400_000);
});
