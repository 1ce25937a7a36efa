/**
 * Benchmark section "worker-resources" (issue 10, item 6): RSS and CPU of the worker process with
 * 1,000 open order workflows in its cache, and memory per cached workflow.
 *
 * Places N orders through the API (default 1,000; quick 100) that each end up waiting for payment
 * (invoiced, no payment), then compares the worker process before and after: RSS and CPU time from
 * /proc/<pid>/status and /proc/<pid>/stat (the process listening on the worker's health port), the
 * main thread's V8 heap and the SDK's own sticky cache gauge from the worker's /metrics. Memory per
 * cached workflow = ΔRSS / Δ(cached workflows of the sales queue), so workflows evicted meanwhile
 * are not counted. No GC can be forced from outside (the worker runs without --expose-gc): the
 * figures are as read after the load settled.
 *
 * Environment: BENCH_WORKER_URL (default http://127.0.0.1:<WORKER_HEALTH_PORT or 3001>),
 * BENCH_WORKER_PID (default: found by the health port), BENCH_OPEN_ORDERS.
 */
import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import type { BenchContext, BenchSection } from '../lib/types';
import { workerSettingsInEnv } from '../lib/system';
import {
  describeMachine,
  loadAverage,
  machine,
  metricSum,
  mib,
  parsePrometheus,
  pidListeningOn,
  postgresSettings,
  readProc,
  type ProcSample,
} from './latency-lib';

const ORDER_SKUS = 5;

interface Snapshot {
  label: string;
  at: string;
  load: string;
  proc: ProcSample | null;
  /** From the worker's /metrics. */
  rssBytes?: number;
  heapUsedBytes?: number;
  heapTotalBytes?: number;
  cpuSeconds?: number;
  cachedSales?: number;
  cachedAll?: number;
  stickyHitsSales?: number;
}

const env = (name: string): string | undefined => {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
};

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const log = (line: string) => console.log(`[worker-resources] ${line}`);
  const healthPort = Number(env('WORKER_HEALTH_PORT') ?? 3001);
  const workerUrl = env('BENCH_WORKER_URL') ?? `http://127.0.0.1:${healthPort}`;
  const n = Number(env('BENCH_OPEN_ORDERS') ?? (ctx.quick ? 100 : 1000));
  const pid = env('BENCH_WORKER_PID')
    ? Number(env('BENCH_WORKER_PID'))
    : pidListeningOn(Number(new URL(workerUrl).port));
  const salesQueue = `${ctx.taskQueuePrefix}-sales`;
  const tag = `W${Date.now().toString(36).toUpperCase()}`;
  const customerId = `BENCH-${tag}-C`;
  const skus = Array.from({ length: ORDER_SKUS }, (_, i) => `BENCH-${tag}-S${i}`);
  const config = workerSettingsInEnv();

  const snapshot = async (label: string): Promise<Snapshot> => {
    const text = await (await fetch(`${workerUrl}/metrics`)).text();
    const m = parsePrometheus(text);
    return {
      label,
      at: new Date().toISOString(),
      load: loadAverage(),
      proc: pid ? readProc(pid) : null,
      rssBytes: metricSum(m, 'erp_worker_process_resident_memory_bytes'),
      heapUsedBytes: metricSum(m, 'erp_worker_nodejs_heap_size_used_bytes'),
      heapTotalBytes: metricSum(m, 'erp_worker_nodejs_heap_size_total_bytes'),
      cpuSeconds: metricSum(m, 'erp_worker_process_cpu_seconds_total'),
      // the SDK reports the gauge once a queue cached something: none yet is 0
      cachedSales: metricSum(m, 'temporal_sticky_cache_size', `task_queue="${salesQueue}"`) ?? 0,
      cachedAll: metricSum(m, 'temporal_sticky_cache_size') ?? 0,
      stickyHitsSales: metricSum(m, 'temporal_sticky_cache_hit_total', `task_queue="${salesQueue}"`),
    };
  };
  const cpuOf = (s: Snapshot) => s.proc?.cpuSeconds ?? s.cpuSeconds ?? NaN;
  const rssOf = (s: Snapshot) => s.proc?.rssBytes ?? s.rssBytes ?? NaN;
  /** CPU use over `seconds` of idle, in percent of one core. */
  const idleCpu = async (seconds: number): Promise<number> => {
    const a = await snapshot('idle-start');
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const b = await snapshot('idle-end');
    return ((cpuOf(b) - cpuOf(a)) / ((Date.parse(b.at) - Date.parse(a.at)) / 1000)) * 100;
  };

  const post = async (type: string, subject: string, data: unknown) => {
    const res = await fetch(`${ctx.baseUrl}/v1/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/cloudevents+json',
        ...(ctx.apiKey ? { authorization: `Bearer ${ctx.apiKey}` } : {}),
      },
      body: JSON.stringify({
        specversion: '1.0',
        id: `evt-${randomUUID()}`,
        source: 'bench/worker-resources',
        type,
        subject,
        time: new Date().toISOString(),
        data,
      }),
    });
    if (res.status !== 202 && res.status !== 200)
      throw new Error(`POST ${type}: ${res.status} ${await res.text()}`);
  };

  const pg = new PgClient({ connectionString: ctx.databaseUrl, application_name: 'bench-worker-resources' });
  await pg.connect();
  try {
    log(`worker ${workerUrl}, pid ${pid ?? 'not found (metrics only)'}; ${n} orders to keep open`);
    await post('customer.upserted', customerId, {
      customerId,
      name: 'Bench customer',
      creditLimit: 0,
      currency: 'EUR',
      paymentTerms: { netDays: 30 },
      consent: false,
    });
    for (const sku of skus) {
      await post('product.upserted', sku, { sku, name: `Bench ${sku}`, unitPrice: 1000, currency: 'EUR' });
      await post('inventory.stock_adjusted', sku, { sku, quantity: 1_000_000_000, reason: 'bench setup' });
    }
    const stocked = async () =>
      Number(
        (
          await pg.query<{ n: string }>(
            `select count(*) n from stock_levels where sku = any($1) and on_hand > 0`,
            [skus],
          )
        ).rows[0]?.n,
      );
    for (let t = 0; (await stocked()) < skus.length; t++) {
      if (t > 120) throw new Error('setup stock not applied within 60 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 5000));
    const idleBefore = await idleCpu(10);
    const before = await snapshot('before');
    log(
      `before: RSS ${mib(rssOf(before))}, cached sales ${before.cachedSales}, idle CPU ${idleBefore.toFixed(1)}%`,
    );

    // place the orders, 10 at a time, and wait until every one is invoiced (then it waits for payment)
    const rampStart = Date.now();
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < n; i = next++) {
        const orderId = `BENCH-${tag}-${i}`;
        await post('order.placed', orderId, {
          orderId,
          customerId,
          currency: 'EUR',
          paymentTerms: { netDays: 30 },
          lines: [{ sku: skus[i % ORDER_SKUS] as string, quantity: 1, unitPrice: 1000 }],
        });
      }
    };
    await Promise.all(Array.from({ length: 10 }, lane));
    const placedMs = Date.now() - rampStart;
    const invoiced = async () =>
      Number(
        (
          await pg.query<{ n: string }>(
            `select count(*) n from invoices i join sales_orders o on o.order_id = i.order_id
             where o.order_id like $1`,
            [`BENCH-${tag}-%`],
          )
        ).rows[0]?.n,
      );
    const deadline = Date.now() + 15 * 60_000;
    let done = 0;
    while ((done = await invoiced()) < n) {
      if (Date.now() > deadline) throw new Error(`only ${done} of ${n} orders invoiced within 15 minutes`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const rampMs = Date.now() - rampStart;
    const afterRamp = await snapshot('after-ramp');
    // the last workflow tasks (after the invoice) finish; then the worker idles with the cache full
    await new Promise((r) => setTimeout(r, 15_000));
    const idleAfter = await idleCpu(10);
    const after = await snapshot('after');
    log(
      `after: RSS ${mib(rssOf(after))}, cached sales ${after.cachedSales}, idle CPU ${idleAfter.toFixed(1)}%`,
    );

    const cachedDelta =
      after.cachedSales !== undefined && before.cachedSales !== undefined
        ? after.cachedSales - before.cachedSales
        : n;
    const rssDelta = rssOf(after) - rssOf(before);
    const heapDelta =
      after.heapUsedBytes !== undefined && before.heapUsedBytes !== undefined
        ? after.heapUsedBytes - before.heapUsedBytes
        : NaN;
    const perWorkflow = rssDelta / Math.max(1, cachedDelta);
    const rampCpu = cpuOf(afterRamp) - cpuOf(before);
    const m = machine();
    const pgSettings = await postgresSettings(ctx.databaseUrl);
    const cacheSize = config.WORKER_MAX_CACHED_WORKFLOWS;

    const markdown = [
      `Machine: ${describeMachine(m)}. Temporal SDK 1.24.0, dev server. Postgres ${pgSettings.server_version ?? '?'}, ` +
        `synchronous_commit=${pgSettings.synchronous_commit ?? '?'}. Worker settings: ${JSON.stringify(config)} ` +
        '(per task queue; one worker per domain queue in the process).',
      '',
      `${n} orders placed through POST /v1/events (10 at a time, ${(placedMs / 1000).toFixed(1)} s), all invoiced ` +
        `${(rampMs / 1000).toFixed(1)} s after the first; each then waits for payment (open, idle). Worker pid ` +
        `${pid ?? 'unknown'} (RSS and CPU from /proc${pid ? '' : ', here from its /metrics'}); heap = the main thread's ` +
        "V8 heap (workflows run in the SDK's workflow thread, whose heap is not in this figure, only in RSS); " +
        'cached = the SDK gauge temporal_sticky_cache_size of the sales queue.',
      '',
      '| | RSS | main heap used | cached (sales / all queues) | idle CPU (10 s, % of one core) | load avg |',
      '|---|---|---|---|---|---|',
      `| before | ${mib(rssOf(before))} | ${before.heapUsedBytes !== undefined ? mib(before.heapUsedBytes) : 'n/a'} | ` +
        `${before.cachedSales ?? 'n/a'} / ${before.cachedAll ?? 'n/a'} | ${idleBefore.toFixed(1)}% | ${before.load} |`,
      `| after ${n} open orders | ${mib(rssOf(after))} | ${after.heapUsedBytes !== undefined ? mib(after.heapUsedBytes) : 'n/a'} | ` +
        `${after.cachedSales ?? 'n/a'} / ${after.cachedAll ?? 'n/a'} | ${idleAfter.toFixed(1)}% | ${after.load} |`,
      '',
      `Memory per cached order workflow: ΔRSS ${mib(rssDelta)} / Δcached ${cachedDelta} = ` +
        `**${(perWorkflow / 1024).toFixed(0)} KiB** (main-thread heap Δ ${Number.isFinite(heapDelta) ? mib(heapDelta) : 'n/a'}). ` +
        `CPU to bring ${n} orders to invoiced: ${rampCpu.toFixed(1)} s of worker CPU ` +
        `(${((rampCpu * 1000) / n).toFixed(1)} ms per order, ${((rampCpu / (rampMs / 1000)) * 100).toFixed(0)}% of one core over the ramp).`,
      '',
      (after.cachedSales ?? 0) >= n
        ? `The ${n} orders are really cached: the sales queue's sticky cache holds ${after.cachedSales} workflows (cache size ${String(cacheSize ?? '?')}).`
        : `The sales queue's sticky cache holds ${after.cachedSales ?? 'n/a'} workflows, fewer than ${n} (cache size ` +
          `${String(cacheSize ?? '?')}): the rest were evicted and would be replayed on their next task.`,
    ].join('\n');

    return {
      id: 'worker-resources',
      title: 'Worker resources with open order workflows cached',
      markdown,
      data: {
        machine: m,
        settings: { worker: config, postgres: pgSettings },
        openOrders: n,
        pid,
        placedMs,
        rampMs,
        before,
        afterRamp,
        after,
        idleCpuPercent: { before: idleBefore, after: idleAfter },
        rssDeltaBytes: rssDelta,
        heapUsedDeltaBytes: heapDelta,
        cachedDelta,
        bytesPerCachedWorkflow: perWorkflow,
        rampCpuSeconds: rampCpu,
      },
      charts: [],
      targets: [
        {
          name: `${n} open orders cached in the worker`,
          target: `sticky cache of ${salesQueue} ≥ ${n}`,
          measured: String(after.cachedSales ?? 'n/a'),
          met: (after.cachedSales ?? 0) >= n,
        },
      ],
    };
  } finally {
    await pg.end();
  }
}
