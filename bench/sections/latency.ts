/**
 * Benchmark section "latency" (issue 10, item 3): event-to-state latency at a steady, open-loop rate.
 *
 * - Through the API (the system as deployed): POST /v1/events of order.placed → its reservation row
 *   committed, and of inventory.stock_adjusted → its stock movement (with the stock row, one
 *   transaction) committed.
 * - The levers Temporal documents, in workers this process hosts on private task queues (same
 *   Temporal, same Postgres): remote vs local activities (business setting tuning.localActivities),
 *   eager workflow start (needs the client and the worker on one NativeConnection, so only a
 *   process hosting both can use it), and update-with-start where the caller waits for the
 *   reservation (the order's `reservation` update). The workflows are started the way the router
 *   starts them (same id, options and input), without the API's store-then-route step.
 *
 * "Committed" is observed with LISTEN/NOTIFY: a trigger the bench installs (and drops) notifies in
 * the writing transaction, and Postgres delivers that when the transaction commits, so the moment
 * the notification arrives is the moment the row is visible to any reader, measured on the same
 * clock as the send (no polling interval, no clock skew between processes).
 *
 * Environment: BENCH_LATENCY_RATE (events per second of each flow, default 5, i.e. 10 events/s in
 * all), BENCH_LATENCY_SECONDS (per measurement, default 60, quick 10), BENCH_LATENCY_VARIANTS
 * (comma-separated ids of the windows to run, default all).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { BenchContext, BenchSection } from '../lib/types';
import { createDatabase, type Database } from '../../db/client';
import { orderWorkflowId, inventoryWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../../domain/names';
import { businessSettingsSchema, type BusinessSettings } from '../../domain/settings';
import { reservationUpdate, type OrderWorkflowInput } from '../../domain/sales';
import type { EventRef, StockChange } from '../../domain/inventory';
import { sendStockChange } from '../../api/planners/inventory';
import { loadBusinessSettings, loadConfig } from '../../lib/config';
import { workerSettingsInEnv } from '../lib/system';
import { buildWorkflowBundle } from '../../workers/bundle';
import { createDomainWorkers, installSdkLogging } from '../../workers/worker';
import {
  CommitProbe,
  CpuAccount,
  describeMachine,
  histogramSvg,
  loadAverage,
  machine,
  ms,
  openLoop,
  postgresSettings,
  summarize,
  type Summary,
} from './latency-lib';

const TARGET_P99_MS = 250;
const ORDER_SKUS = 10;
const STOCK_SKUS = 10;
const ROW_TIMEOUT_MS = 30_000;

type Activities = 'remote' | 'local';
type Start = 'api' | 'start' | 'eager' | 'update-with-start';

interface Variant {
  id: string;
  label: string;
  start: Start;
  activities: Activities;
}

const VARIANTS: Variant[] = [
  {
    id: 'api',
    label: 'API (as deployed): POST /v1/events, remote activities',
    start: 'api',
    activities: 'remote',
  },
  {
    id: 'direct',
    label: 'start as the router does, remote activities',
    start: 'start',
    activities: 'remote',
  },
  { id: 'local', label: 'start, local activities', start: 'start', activities: 'local' },
  { id: 'eager', label: 'eager start, remote activities', start: 'eager', activities: 'remote' },
  { id: 'eager-local', label: 'eager start, local activities', start: 'eager', activities: 'local' },
  {
    id: 'uws',
    label: 'update-with-start (caller waits), remote activities',
    start: 'update-with-start',
    activities: 'remote',
  },
  {
    id: 'uws-local',
    label: 'update-with-start (caller waits), local activities',
    start: 'update-with-start',
    activities: 'local',
  },
];

interface FlowResult {
  /** Send → row committed, ms. */
  latency: Summary;
  /** Send → the caller's answer (202 of the POST, the start's or the update's answer), ms. */
  answer: Summary;
  sent: number;
  missing: number;
  errors: string[];
  maxLagMs: number;
  samples: number[];
}

interface WindowResult {
  variant: Variant;
  /** CPU use of each process of the system during the window, % of one core. */
  cpu: Record<string, number>;
  /** Where the time of a few orders went, from their histories (mean ms per phase). */
  breakdown: Breakdown | null;
  loadBefore: string;
  loadAfter: string;
  orders: FlowResult;
  stock: FlowResult;
  eagerlyStarted?: number;
  reservationAnswers?: Record<string, number>;
}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const rate = Number(env('BENCH_LATENCY_RATE') ?? 5);
  const seconds = Number(env('BENCH_LATENCY_SECONDS') ?? (ctx.quick ? 10 : 60));
  const wanted = env('BENCH_LATENCY_VARIANTS')
    ?.split(',')
    .map((s) => s.trim());
  // the API variant runs on the system's own worker: its activities mode is the system's setting
  let systemLocal = false;
  try {
    systemLocal = loadBusinessSettings(loadConfig()).tuning.localActivities;
  } catch {
    // not the system's environment: the default
  }
  const variants = VARIANTS.filter((v) => !wanted || wanted.includes(v.id)).map((v) =>
    v.start === 'api' && systemLocal
      ? {
          ...v,
          activities: 'local' as const,
          label: 'API (as deployed): POST /v1/events, local activities (SETTINGS_FILE)',
        }
      : v,
  );
  const tag = `L${Date.now().toString(36).toUpperCase()}`;
  const log = (line: string) => console.log(`[latency] ${line}`);
  const windowMs = seconds * 1000;

  const customerId = `BENCH-${tag}-C`;
  const orderSkus = Array.from({ length: ORDER_SKUS }, (_, i) => `BENCH-${tag}-O${i}`);
  const apiStockSkus = Array.from({ length: STOCK_SKUS }, (_, i) => `BENCH-${tag}-A${i}`);
  const directStockSkus = (a: Activities) =>
    Array.from({ length: STOCK_SKUS }, (_, i) => `BENCH-${tag}-${a === 'local' ? 'L' : 'R'}${i}`);

  const post = async (event: Record<string, unknown>): Promise<void> => {
    const res = await fetch(`${ctx.baseUrl}/v1/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/cloudevents+json',
        ...(ctx.apiKey ? { authorization: `Bearer ${ctx.apiKey}` } : {}),
      },
      body: JSON.stringify(event),
    });
    if (res.status !== 202 && res.status !== 200) {
      throw new Error(`POST /v1/events ${event.type as string}: ${res.status} ${await res.text()}`);
    }
    const body = (await res.json()) as { routing?: { status?: string } };
    if (body.routing && body.routing.status === 'pending') {
      throw new Error(`POST /v1/events ${event.type as string}: routing ${body.routing.status}`);
    }
  };
  const cloudEvent = (type: string, subject: string, data: unknown, id = `evt-${randomUUID()}`) => ({
    specversion: '1.0',
    id,
    source: 'bench/latency',
    type,
    subject,
    time: new Date().toISOString(),
    data,
  });
  const orderOf = (orderId: string, i: number) => ({
    orderId,
    customerId,
    currency: 'EUR',
    paymentTerms: { netDays: 30 },
    lines: [{ sku: orderSkus[i % ORDER_SKUS] as string, quantity: 1, unitPrice: 1000 }],
  });

  const probe = await CommitProbe.open(ctx.databaseUrl);
  const database: Database = createDatabase(ctx.databaseUrl, { max: 10, applicationName: 'bench-latency' });
  let connection: NativeConnection | undefined;
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];
  const directOrders: string[] = [];
  const directSkuWorkflows: string[] = [];
  let client: Client | undefined;
  const results: WindowResult[] = [];
  const pg = await postgresSettings(ctx.databaseUrl);
  const cpuAccount = CpuAccount.find([
    { name: 'API', port: Number(new URL(ctx.baseUrl).port || 80) },
    { name: 'worker', port: Number(env('WORKER_HEALTH_PORT') ?? 3001) },
    { name: 'Temporal server', port: Number(ctx.temporalAddress.split(':').pop()) },
    { name: 'Postgres', port: Number(new URL(ctx.databaseUrl).port || 5432), children: true },
  ]);
  let serverVersion = 'unknown';
  try {
    // ------------------------------------------------------------ master data, through the API
    log(`master data: customer ${customerId}, ${ORDER_SKUS} order SKUs, ${STOCK_SKUS} stock SKUs`);
    await post(
      cloudEvent('customer.upserted', customerId, {
        customerId,
        name: 'Bench customer',
        creditLimit: 0,
        currency: 'EUR',
        paymentTerms: { netDays: 30 },
        consent: false,
      }),
    );
    for (const sku of [
      ...orderSkus,
      ...apiStockSkus,
      ...directStockSkus('remote'),
      ...directStockSkus('local'),
    ]) {
      await post(
        cloudEvent('product.upserted', sku, { sku, name: `Bench ${sku}`, unitPrice: 1000, currency: 'EUR' }),
      );
    }
    // stock for the orders, and a first change per stock SKU so its workflow runs (warm, not measured)
    await Promise.all(
      [
        ...orderSkus.map((sku) => [sku, 1_000_000_000] as const),
        ...apiStockSkus.map((sku) => [sku, 0] as const),
      ].map(async ([sku, quantity]) => {
        const event = cloudEvent('inventory.stock_adjusted', sku, { sku, quantity, reason: 'bench setup' });
        const seen = probe.wait(`movement:${event.id}`, 60_000);
        await post(event);
        if ((await seen) === null) throw new Error(`setup stock change of ${sku} not applied within 60 s`);
      }),
    );

    // ------------------------------------------------------------ workers this process hosts
    const needDirect = variants.some((v) => v.start !== 'api');
    const prefixes: Record<Activities, string> = {
      remote: `${ctx.taskQueuePrefix}-bench-${tag.toLowerCase()}-r`,
      local: `${ctx.taskQueuePrefix}-bench-${tag.toLowerCase()}-l`,
    };
    try {
      installSdkLogging('error');
    } catch {
      // the runner installed the SDK runtime already
    }
    connection = await NativeConnection.connect({ address: ctx.temporalAddress });
    client = new Client({ connection, namespace: ctx.namespace });
    serverVersion = (await connection.workflowService.getSystemInfo({})).serverVersion ?? 'unknown';
    if (needDirect) {
      log('bundling workflows for the bench-hosted workers');
      const workflowBundle = await buildWorkflowBundle();
      const settingsFor = (a: Activities): BusinessSettings =>
        businessSettingsSchema.parse({ tuning: { localActivities: a === 'local' } });
      for (const a of ['remote', 'local'] as const) {
        if (!variants.some((v) => v.start !== 'api' && v.activities === a)) continue;
        const made = await createDomainWorkers({
          connection,
          namespace: ctx.namespace,
          taskQueuePrefix: prefixes[a],
          domains: ['sales', 'inventory'],
          db: database.db,
          settings: settingsFor(a),
          workflowBundle,
        });
        for (const { worker } of made) {
          workers.push(worker);
          running.push(worker.run());
        }
        // the SKU workflows of this activities mode start on its queue, warm, before measuring
        const c = client;
        await Promise.all(
          directStockSkus(a).map(async (sku) => {
            const cause: EventRef = {
              source: 'bench/latency',
              id: `warm-${randomUUID()}`,
              correlationId: tag,
            };
            const seen = probe.wait(`movement:${cause.id}`, 60_000);
            await sendStockChange(
              c,
              workflowTaskQueue(prefixes[a], WORKFLOW_TYPES.inventoryItem),
              { sku },
              {
                sku,
                quantity: 0,
                reason: 'bench setup',
                cause,
              },
            );
            directSkuWorkflows.push(inventoryWorkflowId(sku));
            if ((await seen) === null)
              throw new Error(`warm-up stock change of ${sku} not applied within 60 s`);
          }),
        );
      }
    }

    // ------------------------------------------------------------ one window per variant
    for (const variant of variants) {
      const loadBefore = loadAverage();
      log(`${variant.id}: ${rate}/s orders + ${rate}/s stock changes for ${seconds} s (load ${loadBefore})`);
      let eagerlyStarted = 0;
      const reservationAnswers: Record<string, number> = {};
      const orderLatency: number[] = [];
      const orderAnswer: number[] = [];
      const stockLatency: number[] = [];
      const stockAnswer: number[] = [];
      let orderMissing = 0;
      let stockMissing = 0;
      const prefix = prefixes[variant.activities];
      const c = client;
      /** Orders whose history is broken down: a few spread over the window's steady part. */
      const traced: Traced[] = [];
      const total = Math.round((rate * windowMs) / 1000);
      const traceEvery = Math.max(1, Math.floor((total * 0.8) / TRACED_PER_WINDOW));

      const sendOrder = async (i: number) => {
        const orderId = `BENCH-${tag}-${variant.id}-${i}`;
        const order = orderOf(orderId, i);
        const seen = probe.wait(`reservation:${orderId}`, ROW_TIMEOUT_MS);
        const t0 = performance.now();
        const sentWall = Date.now();
        if (variant.start === 'api') {
          await post(cloudEvent('order.placed', orderId, order));
        } else {
          directOrders.push(orderId);
          const input: OrderWorkflowInput = {
            order,
            cause: { source: 'bench/latency', id: `evt-${orderId}`, correlationId: orderId },
          };
          const options = {
            workflowId: orderWorkflowId(orderId),
            taskQueue: workflowTaskQueue(prefix, WORKFLOW_TYPES.order),
            args: [input] as [OrderWorkflowInput],
            workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
          };
          if (variant.start === 'update-with-start') {
            const op = new WithStartWorkflowOperation(WORKFLOW_TYPES.order, {
              ...options,
              workflowIdConflictPolicy: 'USE_EXISTING',
            });
            // bounded like the row wait: an overloaded system must not hold the window open
            const outcome = await c.withDeadline(Date.now() + ROW_TIMEOUT_MS, () =>
              c.workflow.executeUpdateWithStart(reservationUpdate, { startWorkflowOperation: op }),
            );
            reservationAnswers[outcome.stock] = (reservationAnswers[outcome.stock] ?? 0) + 1;
          } else {
            const handle = await c.workflow.start(WORKFLOW_TYPES.order, {
              ...options,
              workflowIdConflictPolicy: 'USE_EXISTING',
              ...(variant.start === 'eager' ? { requestEagerStart: true } : {}),
            });
            if (handle.eagerlyStarted) eagerlyStarted++;
          }
        }
        orderAnswer.push(performance.now() - t0);
        const at = await seen;
        if (at === null) orderMissing++;
        else {
          orderLatency.push(at - t0);
          if (
            i >= total * 0.2 &&
            (i - Math.ceil(total * 0.2)) % traceEvery === 0 &&
            traced.length < TRACED_PER_WINDOW
          ) {
            traced.push({ orderId, sentWall, rowWall: performance.timeOrigin + at });
          }
        }
      };

      const sendStock = async (i: number) => {
        const id = `evt-${tag}-${variant.id}-${i}-${randomUUID().slice(0, 8)}`;
        const seen = probe.wait(`movement:${id}`, ROW_TIMEOUT_MS);
        const t0 = performance.now();
        if (variant.start === 'api') {
          const sku = apiStockSkus[i % STOCK_SKUS] as string;
          await post(cloudEvent('inventory.stock_adjusted', sku, { sku, delta: 1, reason: 'bench' }, id));
        } else {
          const sku = directStockSkus(variant.activities)[i % STOCK_SKUS] as string;
          const change: StockChange = {
            sku,
            delta: 1,
            reason: 'bench',
            cause: { source: 'bench/latency', id, correlationId: id },
          };
          await sendStockChange(c, workflowTaskQueue(prefix, WORKFLOW_TYPES.inventoryItem), { sku }, change);
        }
        stockAnswer.push(performance.now() - t0);
        const at = await seen;
        if (at === null) stockMissing++;
        else stockLatency.push(at - t0);
      };

      const cpuBefore = cpuAccount.read();
      const [o, s] = await Promise.all([
        openLoop(rate, windowMs, sendOrder),
        openLoop(rate, windowMs, sendStock),
      ]);
      const cpu = CpuAccount.between(cpuBefore, cpuAccount.read());
      const flow = (
        samples: number[],
        answers: number[],
        missing: number,
        loop: { sent: number; maxLagMs: number; errors: string[] },
      ): FlowResult => ({
        latency: summarize(samples),
        answer: summarize(answers),
        sent: loop.sent,
        missing,
        errors: loop.errors,
        maxLagMs: Math.round(loop.maxLagMs),
        samples: samples.map((x) => Math.round(x * 10) / 10),
      });
      const result: WindowResult = {
        variant,
        cpu,
        breakdown: await breakdown(c, traced),
        loadBefore,
        loadAfter: loadAverage(),
        orders: flow(orderLatency, orderAnswer, orderMissing, o),
        stock: flow(stockLatency, stockAnswer, stockMissing, s),
        ...(variant.start === 'eager' ? { eagerlyStarted } : {}),
        ...(variant.start === 'update-with-start' ? { reservationAnswers } : {}),
      };
      results.push(result);
      log(
        `${variant.id}: order p50/p95/p99 ${ms(result.orders.latency.p50)}/${ms(result.orders.latency.p95)}/` +
          `${ms(result.orders.latency.p99)}, stock ${ms(result.stock.latency.p50)}/${ms(result.stock.latency.p95)}/` +
          `${ms(result.stock.latency.p99)} (load ${result.loadAfter})`,
      );
      // let the tail of this window (invoices of the orders, SKU workflows' reads) settle
      await new Promise((r) => setTimeout(r, ctx.quick ? 2000 : 5000));
    }
  } finally {
    // the bench-hosted orders wait for payment on queues nobody will serve after this: end them
    if (client) {
      const c = client;
      const ids = [...directOrders.map(orderWorkflowId), ...directSkuWorkflows];
      for (let i = 0; i < ids.length; i += 25) {
        await Promise.all(
          ids.slice(i, i + 25).map((id) =>
            c.workflow
              .getHandle(id)
              .terminate('benchmark finished')
              .catch(() => undefined),
          ),
        );
      }
    }
    for (const w of workers) w.shutdown();
    await Promise.allSettled(running);
    await connection?.close().catch(() => undefined);
    await database.close();
    await probe.close();
  }

  return report(ctx, { rate, seconds, results, pg, serverVersion, tag });
}

const TRACED_PER_WINDOW = 15;

interface Traced {
  orderId: string;
  sentWall: number;
  rowWall: number;
}

/** Mean ms per phase between the send and the reservation row, over the traced orders. */
export interface Breakdown {
  orders: number;
  /** Send → WorkflowExecutionStarted (for the API: the POST's store transaction and the start call). */
  toStarted: number;
  /** Workflow tasks waiting in their queue (scheduled → started). */
  workflowTaskQueued: number;
  /** Workflow tasks running on the worker (started → completed; includes local activities). */
  workflowTaskRunning: number;
  /** Activity tasks waiting in their queue (scheduled → started). */
  activityQueued: number;
  /** Activities running (started → completed; the reservation's commit ends the span). */
  activityRunning: number;
  /** Workflow tasks running when the row committed in them (local activities). */
  workflowTasks: number;
  activityTasks: number;
}

const wall = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : NaN;

/** Phases of each traced order's history, clipped to [send, row committed], averaged. */
async function breakdown(client: Client, traced: Traced[]): Promise<Breakdown | null> {
  const sums = {
    toStarted: 0,
    workflowTaskQueued: 0,
    workflowTaskRunning: 0,
    activityQueued: 0,
    activityRunning: 0,
    workflowTasks: 0,
    activityTasks: 0,
  };
  let orders = 0;
  for (const t of traced) {
    let events;
    try {
      events = (await client.workflow.getHandle(orderWorkflowId(t.orderId)).fetchHistory()).events ?? [];
    } catch {
      continue;
    }
    const clip = (from: number, to: number) =>
      Math.max(0, Math.min(to, t.rowWall) - Math.max(from, t.sentWall));
    const at = new Map<number, number>();
    let started = NaN;
    for (const e of events) {
      const time = wall(e.eventTime as { seconds?: unknown; nanos?: number | null });
      const id = Number(e.eventId);
      at.set(id, time);
      if (e.workflowExecutionStartedEventAttributes) started = time;
      const wftStarted = e.workflowTaskStartedEventAttributes;
      if (wftStarted) {
        const scheduled = at.get(Number(wftStarted.scheduledEventId)) ?? time;
        if (scheduled < t.rowWall) {
          sums.workflowTaskQueued += clip(scheduled, time);
          sums.workflowTasks++;
        }
      }
      const wftDone =
        e.workflowTaskCompletedEventAttributes ??
        e.workflowTaskFailedEventAttributes ??
        e.workflowTaskTimedOutEventAttributes;
      if (wftDone) sums.workflowTaskRunning += clip(at.get(Number(wftDone.startedEventId)) ?? time, time);
      const actStarted = e.activityTaskStartedEventAttributes;
      if (actStarted) {
        const scheduled = at.get(Number(actStarted.scheduledEventId)) ?? time;
        if (scheduled < t.rowWall) {
          sums.activityQueued += clip(scheduled, time);
          sums.activityTasks++;
        }
      }
      const actDone = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
      if (actDone) sums.activityRunning += clip(at.get(Number(actDone.startedEventId)) ?? time, time);
    }
    // a task still running when the row committed (the commit happened inside it) counts up to the commit
    sums.toStarted += clip(t.sentWall, started);
    orders++;
  }
  if (orders === 0) return null;
  const mean = (x: number) => Math.round((x / orders) * 10) / 10;
  return {
    orders,
    toStarted: mean(sums.toStarted),
    workflowTaskQueued: mean(sums.workflowTaskQueued),
    workflowTaskRunning: mean(sums.workflowTaskRunning),
    activityQueued: mean(sums.activityQueued),
    activityRunning: mean(sums.activityRunning),
    workflowTasks: mean(sums.workflowTasks),
    activityTasks: mean(sums.activityTasks),
  };
}

function report(
  ctx: BenchContext,
  r: {
    rate: number;
    seconds: number;
    results: WindowResult[];
    pg: Record<string, string>;
    serverVersion: string;
    tag: string;
  },
): BenchSection {
  const m = machine();
  const config = workerSettingsInEnv();
  const settings = {
    system: { ...config, note: 'API and worker processes (their environment; defaults where unset)' },
    benchWorkers:
      'maxCachedWorkflows, task slots and pollers: SDK defaults; Postgres pool 10; one NativeConnection for client and workers',
    postgres: r.pg,
    temporal: `server ${r.serverVersion}, SDK @temporalio/* 1.24.0`,
  };
  const row = (w: WindowResult, f: 'orders' | 'stock') => {
    const x = w[f];
    return (
      `| ${w.variant.label} | ${x.latency.count}/${x.sent}${x.missing ? ` (${x.missing} not seen)` : ''} | ` +
      `${ms(x.latency.p50)} | ${ms(x.latency.p95)} | ${ms(x.latency.p99)} | ${ms(x.latency.max)} | ` +
      `${ms(x.answer.p50)} / ${ms(x.answer.p99)} | ${w.loadBefore} → ${w.loadAfter} |`
    );
  };
  const head =
    '| variant | seen/sent | p50 | p95 | p99 | max | caller answer p50 / p99 | load avg (1/5/15 min) before → after |\n' +
    '|---|---|---|---|---|---|---|---|';
  const api = r.results.find((w) => w.variant.id === 'api');
  const direct = r.results.filter((w) => w.variant.id !== 'api');
  const stockByMode = (a: Activities) => {
    const windows = direct.filter((w) => w.variant.activities === a);
    return summarize(windows.flatMap((w) => w.stock.samples));
  };
  const cpuNames = [...new Set(r.results.flatMap((w) => Object.keys(w.cpu)))];
  const lines: string[] = [
    `Machine: ${describeMachine(m)}. Temporal ${settings.temporal}, dev server (SQLite). ` +
      `Postgres ${r.pg.server_version ?? '?'}, synchronous_commit=${r.pg.synchronous_commit ?? '?'}, fsync=${r.pg.fsync ?? '?'}.`,
    '',
    `Offered load: open loop, ${r.rate} order.placed/s and ${r.rate} inventory.stock_adjusted/s at the same time ` +
      `(${2 * r.rate} events/s), ${r.seconds} s per variant; each order has one line (10 SKUs with ample stock), ` +
      `each stock change is +1 on one of 10 SKUs. Settings: system ${JSON.stringify(config)}; bench-hosted workers: ` +
      `${settings.benchWorkers}.`,
    '',
    'Latency = from just before the send (POST, start or update-with-start) to the moment the row is committed, ' +
      'seen through LISTEN/NOTIFY (a trigger the bench installs notifies in the writing transaction; Postgres delivers ' +
      'the notification at commit). Same clock for both ends, no polling interval. "Caller answer" is how long the ' +
      'sender waited for its answer (the 202, the start, or the update result).',
    '',
    '### order.placed → reservation row',
    '',
    head,
    ...r.results.map((w) => row(w, 'orders')),
    '',
    "#### Where an order's time goes (before its reservation row commits)",
    '',
    `Mean ms per phase over up to ${TRACED_PER_WINDOW} orders per variant from the steady part of the window, from ` +
      'their workflow histories (server timestamps, same machine clock), each span clipped to [send, row committed]. ' +
      'Queued = a task waiting for a worker poll (scheduled → started); running = on the worker (a workflow task ' +
      "includes its local activities). The rest of the latency is the worker's commit-to-report and Temporal's " +
      'own persistence between events.',
    '',
    '| variant | orders | send → started | workflow tasks queued | workflow tasks running | activities queued | activities running | workflow tasks / activity tasks |',
    '|---|---|---|---|---|---|---|---|',
    ...r.results.map((w) => {
      const b = w.breakdown;
      if (!b) return `| ${w.variant.id} | 0 | | | | | | |`;
      return (
        `| ${w.variant.id} | ${b.orders} | ${ms(b.toStarted)} | ${ms(b.workflowTaskQueued)} | ${ms(b.workflowTaskRunning)} | ` +
        `${ms(b.activityQueued)} | ${ms(b.activityRunning)} | ${b.workflowTasks} / ${b.activityTasks} |`
      );
    }),
    '',
    '#### CPU during each window (% of one core; the machine has ' + String(m.cores) + ' cores)',
    '',
    `Processes found by the ports they listen on (Postgres with its backends); "bench" is this process (load ` +
      'generator and, for the bench-hosted variants, their workers).',
    '',
    `| variant | ${cpuNames.join(' | ')} |`,
    `|---|${cpuNames.map(() => '---').join('|')}|`,
    ...r.results.map(
      (w) =>
        `| ${w.variant.id} | ${cpuNames.map((n) => (w.cpu[n] === undefined ? 'n/a' : `${w.cpu[n]}%`)).join(' | ')} |`,
    ),
    '',
    '### inventory.stock_adjusted → stock movement and stock row (one transaction)',
    '',
    "Eager start and update-with-start do not apply to a stock change (it is a signal-with-start to the SKU's " +
      'long-running workflow); those windows are further samples of their activities mode.',
    '',
    head,
    ...r.results.map((w) => row(w, 'stock')),
    '',
  ];
  if (direct.length) {
    const remote = stockByMode('remote');
    const local = stockByMode('local');
    lines.push(
      `Stock changes over all bench-hosted windows: remote activity p50/p95/p99 ${ms(remote.p50)}/${ms(remote.p95)}/${ms(remote.p99)} ` +
        `(n=${remote.count}); local activity ${ms(local.p50)}/${ms(local.p95)}/${ms(local.p99)} (n=${local.count}).`,
      '',
    );
  }
  for (const w of r.results) {
    if (w.eagerlyStarted !== undefined) {
      lines.push(
        `${w.variant.label}: ${w.eagerlyStarted} of ${w.orders.sent} starts were eager (the server handed the first workflow task back in the start response).`,
      );
    }
    if (w.reservationAnswers) {
      lines.push(`${w.variant.label}: reservation answers ${JSON.stringify(w.reservationAnswers)}.`);
    }
    const errors = [...w.orders.errors, ...w.stock.errors];
    if (errors.length) lines.push(`${w.variant.label}: errors: ${errors.slice(0, 3).join('; ')}`);
    if (Math.max(w.orders.maxLagMs, w.stock.maxLagMs) > 100) {
      lines.push(
        `${w.variant.label}: the load generator fell up to ${Math.max(w.orders.maxLagMs, w.stock.maxLagMs)} ms behind its schedule.`,
      );
    }
  }
  lines.push(
    '',
    'Notes: the API routes synchronously: a POST stores the event and its route in one transaction, then starts ' +
      'or signals the workflow before answering 202 (the relay only retries routes that failed), so the 202 already ' +
      'includes the start. Eager start needs the client and the worker on one NativeConnection in one process; ' +
      'the API and the worker are separate processes, so in production it would take an API process that also runs ' +
      "the sales worker (or a worker that ingests), and it saves only the first workflow task's dispatch. " +
      'Update-with-start answers the caller when the reservation is done, instead of a 202 and a poll; the API has no ' +
      '"wait" convention (API.md), so it is measured here against the workflow directly. Local activities are the ' +
      'business setting tuning.localActivities (default off).',
    '',
    `Histograms: ${r.results.length ? 'latency-orders.svg, latency-stock.svg' : 'none'}.`,
  );

  const charts = [
    {
      file: 'latency-orders.svg',
      svg: histogramSvg(
        'order.placed → reservation row committed',
        r.results.map((w) => ({ label: w.variant.id, samples: w.orders.samples })),
      ),
    },
    {
      file: 'latency-stock.svg',
      svg: histogramSvg(
        'inventory.stock_adjusted → stock row committed',
        r.results.map((w) => ({ label: w.variant.id, samples: w.stock.samples })),
      ),
    },
  ];
  const targets: BenchSection['targets'] = [];
  if (api) {
    for (const f of ['orders', 'stock'] as const) {
      targets.push({
        name: `${f === 'orders' ? 'order.placed → reservation' : 'stock_adjusted → stock row'} p99 via the API`,
        target: `< ${TARGET_P99_MS} ms`,
        measured: `${ms(api[f].latency.p99)} (load ${api.loadAfter})`,
        met: api[f].latency.p99 < TARGET_P99_MS && api[f].missing === 0,
      });
    }
  }
  const best = [...direct].sort((a, b) => a.orders.latency.p99 - b.orders.latency.p99)[0];
  if (best) {
    targets.push({
      name: `order.placed → reservation p99, best lever (${best.variant.id})`,
      target: `< ${TARGET_P99_MS} ms`,
      measured: `${ms(best.orders.latency.p99)} (load ${best.loadAfter})`,
      met: best.orders.latency.p99 < TARGET_P99_MS && best.orders.missing === 0,
    });
  }
  return {
    id: 'latency',
    title: 'Event-to-state latency',
    markdown: lines.join('\n'),
    data: {
      machine: m,
      settings,
      rate: r.rate,
      seconds: r.seconds,
      runTag: r.tag,
      outDir: path.resolve(ctx.outDir),
      windows: r.results,
    },
    charts,
    targets,
  };
}
