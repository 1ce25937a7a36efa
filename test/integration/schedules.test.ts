/**
 * The batch schedules against the real dev server, workers and Postgres: registration idempotent
 * across worker restarts and updated when a definition changes; the routes (list, read, trigger,
 * pause, unpause, backfill, bad input); the receivables-ageing report written by a trigger and by a
 * backfill over past days. Each harness has its own schedule id prefix, so files never share one.
 */
import request from 'supertest';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { receivablesAgeingReports } from '../../db/schema';
import { receivablesAgeing } from '../../db/queries/ageing';
import { SCHEDULE_IDS } from '../../domain/names';
import type { ReceivablesAgeingReport } from '../../domain/reports';
import {
  deleteSchedules,
  registerSchedules,
  SCHEDULE_DEFINITIONS,
  type ScheduleDefinition,
  type ScheduleTarget,
} from '../../workers/schedules';
import { eventually, startHarness, uniqueKey, type Harness } from '../support/harness';
import { addStock, createCustomer, invoiceOf, placeOrder, receivePayment } from '../support/orders';

let h: Harness;
let target: ScheduleTarget;
beforeAll(async () => {
  h = await startHarness();
  target = { taskQueuePrefix: h.taskQueuePrefix, idPrefix: h.scheduleIdPrefix };
});
afterAll(async () => {
  if (h) await deleteSchedules(h.temporal.client, target).catch(() => undefined);
  await h?.close();
});

const AGEING = SCHEDULE_IDS.receivablesAgeingReport;
const handleOf = (id: string) => h.temporal.client.schedule.getHandle(`${h.scheduleIdPrefix}${id}`);
const today = () => new Date().toISOString().slice(0, 10);
const dayOffset = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** As workers/main.ts does at start: a new connection and client, then registration. */
async function registerLikeAWorkerStart(definitions?: readonly ScheduleDefinition[]) {
  const connection = await NativeConnection.connect({ address: h.context.temporalAddress });
  try {
    const client = new Client({ connection, namespace: h.context.namespace });
    return await registerSchedules(client, target, { definitions });
  } finally {
    await connection.close();
  }
}

async function reportRow(asOf: string) {
  const [row] = await h.database.db
    .select()
    .from(receivablesAgeingReports)
    .where(eq(receivablesAgeingReports.asOf, asOf));
  return row;
}

describe('registration at worker start', () => {
  it('creates the three schedules once, is unchanged across two restarts, and follows a changed definition', async () => {
    const first = await registerLikeAWorkerStart();
    expect(first.map((r) => r.outcome)).toEqual(['created', 'created', 'created']);
    expect(first.map((r) => r.scheduleId)).toEqual(
      SCHEDULE_DEFINITIONS.map((d) => `${h.scheduleIdPrefix}${d.scheduleId}`),
    );
    const before = await Promise.all(SCHEDULE_DEFINITIONS.map((d) => handleOf(d.scheduleId).describe()));

    // two worker restarts: nothing to change
    for (let restart = 0; restart < 2; restart++) {
      const again = await registerLikeAWorkerStart();
      expect(again.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    }
    const after = await Promise.all(SCHEDULE_DEFINITIONS.map((d) => handleOf(d.scheduleId).describe()));
    for (let i = 0; i < after.length; i++) {
      expect(after[i]?.spec).toEqual(before[i]?.spec);
      expect(after[i]?.info.createdAt).toEqual(before[i]?.info.createdAt);
      expect(after[i]?.info.lastUpdatedAt).toEqual(before[i]?.info.lastUpdatedAt);
      expect(after[i]?.info.nextActionTimes).toEqual(before[i]?.info.nextActionTimes);
    }
    // one schedule per id in Temporal (listing is eventually consistent)
    await eventually(async () => {
      const ids: string[] = [];
      for await (const s of h.temporal.client.schedule.list()) {
        if (s.scheduleId.startsWith(h.scheduleIdPrefix)) ids.push(s.scheduleId);
      }
      ids.sort();
      const expected = SCHEDULE_DEFINITIONS.map((d) => `${h.scheduleIdPrefix}${d.scheduleId}`).sort();
      return JSON.stringify(ids) === JSON.stringify(expected) ? true : undefined;
    }, 30_000);

    // an operator's pause survives a changed definition being applied
    await handleOf(AGEING).pause('month-end freeze');
    const changed = SCHEDULE_DEFINITIONS.map((d) =>
      d.scheduleId === AGEING
        ? { ...d, spec: { calendars: [{ hour: 6, minute: 30 }] }, catchupWindowMs: 2 * 86_400_000 }
        : d,
    );
    const updated = await registerLikeAWorkerStart(changed);
    expect(updated.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged', 'updated']);
    const ageing = await handleOf(AGEING).describe();
    expect(ageing.policies.catchupWindow).toBe(2 * 86_400_000);
    expect(ageing.state.paused).toBe(true);
    expect(ageing.state.note).toBe('month-end freeze');
    // paused: no next runs; the spec says 06:30
    expect(ageing.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 6, end: 6, step: 1 }] });
    expect(ageing.spec.calendars?.[0]).toMatchObject({ minute: [{ start: 30, end: 30, step: 1 }] });

    // back to the code's definition, and unpaused
    expect((await registerLikeAWorkerStart()).map((r) => r.outcome)).toEqual([
      'unchanged',
      'unchanged',
      'updated',
    ]);
    await handleOf(AGEING).unpause('freeze over');
    const restored = await handleOf(AGEING).describe();
    expect(restored.policies.catchupWindow).toBe(86_400_000);
    expect(restored.info.nextActionTimes[0]?.toISOString()).toMatch(/T05:00:00\.000Z$/);
  });
});

describe('the schedules API', () => {
  beforeAll(async () => {
    await registerLikeAWorkerStart();
  });

  it('lists the three schedules with their policies, next runs and links', async () => {
    const res = await request(h.app).get('/v1/schedules').expect(200);
    const items = res.body.items as Record<string, unknown>[];
    expect(items.map((i) => i.scheduleId)).toEqual([
      'reconciliation-nightly',
      'inventory-sweep',
      'receivables-ageing-report',
    ]);
    const byId = Object.fromEntries(items.map((i) => [i.scheduleId as string, i]));
    expect(byId['reconciliation-nightly']).toMatchObject({
      paused: false,
      workflowType: 'reconciliationBatchWorkflow',
      taskQueue: `${h.taskQueuePrefix}-finance`,
      overlap: 'SKIP',
      catchupWindow: 'PT4H',
      pauseOnFailure: false,
      backfillOverlap: 'BUFFER_ALL',
    });
    expect(byId['inventory-sweep']).toMatchObject({
      overlap: 'SKIP',
      catchupWindow: 'PT10M',
      taskQueue: `${h.taskQueuePrefix}-inventory`,
    });
    expect(byId['receivables-ageing-report']).toMatchObject({ overlap: 'ALLOW_ALL', catchupWindow: 'P1D' });
    const nightly = byId['reconciliation-nightly'] as { nextRuns: string[]; links: { temporalUi: string } };
    expect(nightly.nextRuns).toHaveLength(5);
    for (const t of nightly.nextRuns) expect(t).toMatch(/T02:00:00\.000Z$/);
    expect(nightly.links.temporalUi).toContain(`/schedules/${h.scheduleIdPrefix}reconciliation-nightly`);
    const sweepRuns = (byId['inventory-sweep'] as { nextRuns: string[] }).nextRuns;
    expect(Date.parse(sweepRuns[1] as string) - Date.parse(sweepRuns[0] as string)).toBe(3_600_000);
  });

  it('answers 404 for a schedule it does not know', async () => {
    const res = await request(h.app).get('/v1/schedules/payroll').expect(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    await request(h.app).post('/v1/schedules/payroll/trigger').expect(404);
  });

  it('pauses with a note and unpauses, as GET shows', async () => {
    const paused = await request(h.app)
      .post('/v1/schedules/inventory-sweep/pause')
      .send({ note: 'stock take in progress' })
      .expect(200);
    expect(paused.body).toMatchObject({ paused: true, note: 'stock take in progress' });
    const read = await request(h.app).get('/v1/schedules/inventory-sweep').expect(200);
    expect(read.body).toMatchObject({ paused: true, note: 'stock take in progress' });
    expect((await handleOf(SCHEDULE_IDS.inventorySweep).describe()).state.paused).toBe(true);

    await request(h.app).post('/v1/schedules/inventory-sweep/unpause').expect(200);
    const after = await request(h.app).get('/v1/schedules/inventory-sweep').expect(200);
    expect(after.body).toMatchObject({ paused: false, note: 'unpaused via the API' });
  });

  it('trigger runs the ageing report for today: one stored row, shown as the run result', async () => {
    // an open invoice, so the report has something to age
    const sku = uniqueKey('SKU');
    await addStock(h, sku, 10);
    const customerId = await createCustomer(h);
    const orderId = await placeOrder(h, { customerId, lines: [{ sku, quantity: 2, unitPrice: 1250 }] });
    const invoice = await eventually(() => invoiceOf(h, orderId), 30_000);

    const res = await request(h.app)
      .post(`/v1/schedules/${AGEING}/trigger`)
      .set('Idempotency-Key', uniqueKey('trigger'))
      .expect(202);
    expect(res.headers.location).toBe(`/v1/schedules/${AGEING}`);
    const row = await eventually(() => reportRow(today()), 30_000);
    expect(row.currencies).toEqual(await receivablesAgeing(h.database.db, today()));
    const eur = row.currencies.find((c) => c.currency === 'EUR');
    expect(eur?.buckets.current.amount).toBeGreaterThanOrEqual(invoice.total);
    expect(eur?.total).toBe(Object.values(eur?.buckets ?? {}).reduce((s, b) => s + b.amount, 0));

    // the run, its workflow status and result, newest first
    const run = await eventually(async () => {
      const got = await request(h.app).get(`/v1/schedules/${AGEING}`).expect(200);
      const [latest] = got.body.recentRuns as {
        workflow: { id: string; status: string };
        result: ReceivablesAgeingReport | null;
      }[];
      return latest?.workflow.status === 'COMPLETED' ? latest : undefined;
    }, 30_000);
    expect(run.workflow.id.startsWith(`${h.scheduleIdPrefix}${AGEING}`)).toBe(true);
    expect(run.result).toMatchObject({ asOf: today(), created: true, workflowId: run.workflow.id });

    // the read route
    const report = await request(h.app).get(`/v1/reports/receivables-ageing?asOf=${today()}`).expect(200);
    expect(report.body).toMatchObject({ asOf: today(), currencies: row.currencies });
    await request(h.app).get('/v1/reports/receivables-ageing?asOf=2001-01-01').expect(404);
    const bad = await request(h.app).get('/v1/reports/receivables-ageing?asOf=yesterday').expect(400);
    expect(bad.body.errors[0].path).toBe('asOf');
  });

  it('trigger runs the nightly reconciliation: an unapplied payment pays the invoice issued after it', async () => {
    // a payment from a customer with nothing open stays unapplied; the invoice comes later
    const customerId = await createCustomer(h);
    const { paymentId, state } = await receivePayment(h, { amount: 2975, customerId, reference: 'advance' });
    expect(state.status).toBe('unapplied');
    const sku = uniqueKey('SKU');
    await addStock(h, sku, 10);
    const orderId = await placeOrder(h, { customerId, lines: [{ sku, quantity: 2, unitPrice: 1250 }] });
    const invoice = await eventually(() => invoiceOf(h, orderId), 30_000);
    expect(invoice.total).toBe(2975); // 2500 + 19 % tax

    await request(h.app)
      .post(`/v1/schedules/${SCHEDULE_IDS.reconciliationNightly}/trigger`)
      .set('Idempotency-Key', uniqueKey('trigger'))
      .expect(202);
    const run = await eventually(async () => {
      const got = await request(h.app).get(`/v1/schedules/${SCHEDULE_IDS.reconciliationNightly}`).expect(200);
      const [latest] = got.body.recentRuns as { workflow: { id: string; status: string }; result: unknown }[];
      return latest?.workflow.status === 'COMPLETED' ? latest : undefined;
    }, 60_000);
    const { runId } = run.result as { runId: string };
    const stored = await request(h.app).get(`/v1/reconciliation/runs/${runId}`).expect(200);
    expect(stored.body).toMatchObject({ runId, status: 'completed' });
    expect(stored.body.report.matched.exact_amount.payments).toBeGreaterThanOrEqual(1);
    expect(stored.body.report.ordersNotified.signalled).toBeGreaterThanOrEqual(1);
    const view = await request(h.app).get(`/v1/reconciliation/payments/${paymentId}`).expect(200);
    expect(view.body).toMatchObject({
      status: 'allocated',
      allocations: [{ invoiceNumber: invoice.invoiceNumber, amount: 2975, matchRule: 'exact_amount' }],
    });
    // the running order workflow was told, read its invoice back, and shipped
    await eventually(async () => {
      const order = await request(h.app).get(`/v1/orders/${orderId}`).expect(200);
      return order.body.status === 'shipped' ? true : undefined;
    }, 30_000);
  });

  it('backfill over three past days writes one report per day', async () => {
    const days = [dayOffset(-6), dayOffset(-5), dayOffset(-4)];
    const res = await request(h.app)
      .post(`/v1/schedules/${AGEING}/backfill`)
      .send({ from: `${days[0]}T00:00:00Z`, to: `${days[2]}T23:00:00Z` })
      .expect(202);
    expect(res.body.backfill).toMatchObject({ overlap: 'ALLOW_ALL' });
    for (const day of days) {
      const row = await eventually(() => reportRow(day), 30_000);
      expect(row.workflowId).toContain(`${h.scheduleIdPrefix}${AGEING}`);
      expect(row.workflowId).toContain(`${day}T05:00:00Z`);
    }
    // nothing written for the days either side
    expect(await reportRow(dayOffset(-7))).toBeUndefined();
    expect(await reportRow(dayOffset(-3))).toBeUndefined();
  });

  it('refuses bad backfill input with field paths and starts nothing', async () => {
    const before = await handleOf(AGEING).describe();
    const rows = await h.database.db.select().from(receivablesAgeingReports);
    const cases: [Record<string, unknown>, string][] = [
      [{ to: '2026-01-02T00:00:00Z' }, 'from'],
      [{ from: '2026-01-03T00:00:00Z', to: '2026-01-02T00:00:00Z' }, 'to'],
      [{ from: '2026-01-02T00:00:00Z', to: '2026-01-02T00:00:00Z' }, 'to'],
      [{ from: '2025-01-01T00:00:00Z', to: '2025-12-31T00:00:00Z' }, 'to'],
      [{ from: '2026-01-01T00:00:00Z', to: '2099-01-02T00:00:00Z' }, 'to'],
      [{ from: 'yesterday', to: '2026-01-02T00:00:00Z' }, 'from'],
      [{ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', overlap: 'SOMETIMES' }, 'overlap'],
      [{ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', extra: 1 }, 'extra'],
    ];
    for (const [body, path] of cases) {
      const res = await request(h.app).post(`/v1/schedules/${AGEING}/backfill`).send(body).expect(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    await request(h.app).post('/v1/schedules/nope/backfill').send(cases[1]?.[0]).expect(404);
    // give a wrongly started run time to show, then check nothing changed
    await new Promise((r) => setTimeout(r, 1000));
    const after = await handleOf(AGEING).describe();
    expect(after.info.numActionsTaken).toBe(before.info.numActionsTaken);
    expect(after.info.recentActions).toEqual(before.info.recentActions);
    expect(await h.database.db.select().from(receivablesAgeingReports)).toHaveLength(rows.length);
  });

  it('a trigger repeated with the same Idempotency-Key runs once', async () => {
    const before = (await handleOf(AGEING).describe()).info.numActionsTaken;
    const key = uniqueKey('trigger');
    await request(h.app).post(`/v1/schedules/${AGEING}/trigger`).set('Idempotency-Key', key).expect(202);
    const again = await request(h.app)
      .post(`/v1/schedules/${AGEING}/trigger`)
      .set('Idempotency-Key', key)
      .expect(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    await eventually(async () =>
      (await handleOf(AGEING).describe()).info.numActionsTaken === before + 1 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect((await handleOf(AGEING).describe()).info.numActionsTaken).toBe(before + 1);
  });
});
