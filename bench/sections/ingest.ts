/**
 * Section 1, ingest throughput: the same stream of inventory.stock_adjusted events through
 * POST /v1/events (validate, store, dedupe, route by signal-with-start, answer) and through a raw
 * loop of the very signal-with-start call the API's planner makes (api/routing.ts planRoute ->
 * plan.deliver), against the same Temporal server in the same run, at concurrency 1, 16 and 64.
 */
import { Pool } from 'pg';
import type { BenchContext, BenchSection } from '../lib/types';
import { apiClient, runLoad, until, type LoadResult } from '../lib/load';
import { planFor, runTag, stockAdjusted, type CloudEvent } from '../lib/events';
import { ms, rate, summarize, type Summary } from '../lib/stats';
import { barChartSvg, histogramSvg } from '../lib/svg';
import { temporalClient } from '../lib/system';

interface PhaseFigures {
  events: number;
  errors: number;
  firstError?: string;
  wallMs: number;
  eventsPerSecond: number;
  latencyMs: Summary;
  /** Time after the last answer until the worker had applied every change of the phase. */
  settleMs: number | null;
  routing?: Record<string, number>;
}

interface LevelFigures {
  concurrency: number;
  skus: number;
  api: PhaseFigures;
  raw: PhaseFigures;
  ratio: number;
  apiAddedP50Ms: number;
  p99Ratio: number;
  latencies: { api: number[]; raw: number[] };
}

/** The stream of one phase: `count` events over `skus` SKUs, round robin (so callers rarely share a SKU). */
function stream(prefix: string, count: number, skus: number): CloudEvent[] {
  return Array.from({ length: count }, (_, i) => stockAdjusted(`${prefix}-${i % skus}`, 1));
}

function figures(load: LoadResult<unknown>, settleMs: number | null): PhaseFigures {
  return {
    events: load.latencies.length,
    errors: load.errors,
    ...(load.firstError ? { firstError: load.firstError } : {}),
    wallMs: Math.round(load.wallMs),
    eventsPerSecond: (load.latencies.length - load.errors) / (load.wallMs / 1000),
    latencyMs: summarize(load.latencies),
    settleMs,
  };
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const tag = runTag();
  const levels = ctx.quick
    ? [
        { concurrency: 1, events: 40 },
        { concurrency: 16, events: 200 },
        { concurrency: 64, events: 320 },
      ]
    : [
        { concurrency: 1, events: 200 },
        { concurrency: 16, events: 1000 },
        { concurrency: 64, events: 1000 },
      ];
  const skus = ctx.quick ? 100 : 200;
  const api = apiClient(ctx.baseUrl, ctx.apiKey);
  const temporal = await temporalClient(ctx.temporalAddress, ctx.namespace);
  const pool = new Pool({ connectionString: ctx.databaseUrl, max: 2 });
  const applied = async (prefix: string): Promise<number> => {
    const r = await pool.query<{ n: string }>('select count(*) as n from stock_movements where sku like $1', [
      `${prefix}-%`,
    ]);
    return Number(r.rows[0]?.n ?? 0);
  };
  /** Waits until the worker applied the phase's changes, so the next phase starts on a quiet worker. */
  const settle = async (prefix: string, expected: number): Promise<number | null> => {
    const t0 = Date.now();
    const done = await until(
      async () => (await applied(prefix)) >= expected,
      ctx.quick ? 60_000 : 300_000,
      250,
    );
    return done ? Date.now() - t0 : null;
  };
  const viaApi = (e: CloudEvent) => api.post('/v1/events', e);
  const viaRaw = (e: CloudEvent) => planFor(e).deliver(temporal.client, ctx.taskQueuePrefix);

  const results: LevelFigures[] = [];
  try {
    // warm-up of both paths (connections, JIT, the workflow code in the worker's cache): not recorded
    for (const [path, fn] of [
      ['api', viaApi],
      ['raw', viaRaw],
    ] as const) {
      const warm = stream(`BENCH-${tag}-warm-${path}`, ctx.quick ? 20 : 100, 20);
      await runLoad(warm, 8, fn as (e: CloudEvent) => Promise<unknown>);
      await settle(`BENCH-${tag}-warm-${path}`, warm.length);
    }

    for (const level of levels) {
      const apiPrefix = `BENCH-${tag}-c${level.concurrency}-api`;
      const rawPrefix = `BENCH-${tag}-c${level.concurrency}-raw`;
      const apiEvents = stream(apiPrefix, level.events, skus);
      const rawEvents = stream(rawPrefix, level.events, skus);

      const apiLoad = await runLoad(apiEvents, level.concurrency, viaApi);
      const apiSettle = await settle(apiPrefix, level.events - apiLoad.errors);
      const routing: Record<string, number> = {};
      for (const r of apiLoad.results) {
        const body = r?.body as { routing?: { status?: string } } | undefined;
        const status = body?.routing?.status ?? 'error';
        routing[status] = (routing[status] ?? 0) + 1;
      }
      const rawLoad = await runLoad(rawEvents, level.concurrency, viaRaw);
      const rawSettle = await settle(rawPrefix, level.events - rawLoad.errors);

      const apiF = { ...figures(apiLoad, apiSettle), routing };
      const rawF = figures(rawLoad, rawSettle);
      results.push({
        concurrency: level.concurrency,
        skus,
        api: apiF,
        raw: rawF,
        ratio: apiF.eventsPerSecond / rawF.eventsPerSecond,
        apiAddedP50Ms: apiF.latencyMs.p50 - rawF.latencyMs.p50,
        p99Ratio: apiF.latencyMs.p99 / rawF.latencyMs.p99,
        latencies: { api: apiLoad.latencies, raw: rawLoad.latencies },
      });
    }
  } finally {
    await pool.end();
    await temporal.close();
  }

  // answers whose delivery was left to the relay are not like-for-like with a delivered call
  const comparable = (r: LevelFigures) => (r.api.routing?.pending ?? 0) <= r.api.events / 100;
  const note = (r: LevelFigures) =>
    comparable(r) ? '' : ` (${r.api.routing?.pending} answers routing-pending)`;
  const targets: BenchSection['targets'] = [];
  for (const r of results) {
    if (r.concurrency >= 16)
      targets.push({
        name: `throughput ratio API / raw at concurrency ${r.concurrency}`,
        target: '>= 0.8',
        measured: r.ratio.toFixed(2) + note(r),
        met: r.ratio >= 0.8 && comparable(r),
      });
  }
  for (const r of results) {
    targets.push({
      name: `API-added latency at p50, concurrency ${r.concurrency}`,
      target: '<= 5 ms',
      measured: `${ms(r.apiAddedP50Ms)} ms${note(r)}`,
      met: r.apiAddedP50Ms <= 5 && comparable(r),
    });
    targets.push({
      name: `API p99 / raw p99, concurrency ${r.concurrency}`,
      target: '<= 1.5',
      measured: r.p99Ratio.toFixed(2) + note(r),
      met: r.p99Ratio <= 1.5 && comparable(r),
    });
  }

  const charts = [
    {
      file: 'ingest-throughput.svg',
      svg: barChartSvg({
        title: 'Ingest throughput: POST /v1/events vs raw signalWithStart',
        categories: results.map((r) => `concurrency ${r.concurrency}`),
        series: [
          { name: 'POST /v1/events', values: results.map((r) => r.api.eventsPerSecond) },
          { name: 'raw signalWithStart', values: results.map((r) => r.raw.eventsPerSecond) },
        ],
        yLabel: 'events per second',
      }),
    },
    ...results.map((r) => ({
      file: `ingest-latency-c${r.concurrency}.svg`,
      svg: histogramSvg({
        title: `Per-request latency at concurrency ${r.concurrency}`,
        series: [
          { name: 'POST /v1/events', samples: r.latencies.api },
          { name: 'raw signalWithStart', samples: r.latencies.raw },
        ],
      }),
    })),
  ];

  const row = (r: LevelFigures, which: 'api' | 'raw') => {
    const f = r[which];
    return `| ${r.concurrency} | ${which === 'api' ? 'POST /v1/events' : 'raw signalWithStart'} | ${f.events} | ${f.errors} | ${rate(f.eventsPerSecond)} | ${ms(f.latencyMs.p50)} | ${ms(f.latencyMs.p95)} | ${ms(f.latencyMs.p99)} | ${ms(f.latencyMs.max)} | ${f.settleMs === null ? 'timed out' : (f.settleMs / 1000).toFixed(1) + ' s'} |`;
  };
  const markdown = [
    'The same generated stream of `inventory.stock_adjusted` events (+1 each, round robin over ' +
      `${skus} SKUs, so concurrent callers rarely share a SKU's workflow) is sent through ` +
      '`POST /v1/events` (validation, store, dedupe, routing; the API answers after it delivered the ' +
      'event by signal-with-start) and through a raw loop of the very call the API makes: the ' +
      "API's planner (`planRoute(event).deliver(client, prefix)`, i.e. `client.workflow.signalWithStart` " +
      'with the same workflow id, signal and arguments), from this process, against the same Temporal ' +
      'dev server. Each phase has its own SKUs so both start the same number of workflows. After each ' +
      'phase the runner waits until the worker has applied every change (stock_movements rows), so ' +
      'the next phase starts on a quiet worker ("settle" below; not part of the rate). A warm-up of ' +
      'both paths is not recorded. Latency is per request as the caller sees it.',
    '',
    '| concurrency | path | events | errors | events/s | p50 ms | p95 ms | p99 ms | max ms | settle |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.flatMap((r) => [row(r, 'api'), row(r, 'raw')]),
    '',
    '| concurrency | API / raw throughput | API-added p50 | API p99 / raw p99 | API routing outcomes |',
    '| ---: | ---: | ---: | ---: | --- |',
    ...results.map(
      (r) =>
        `| ${r.concurrency} | ${r.ratio.toFixed(2)} | ${ms(r.apiAddedP50Ms)} ms | ${r.p99Ratio.toFixed(2)} | ${Object.entries(
          r.api.routing ?? {},
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} |`,
    ),
    ...results
      .filter((r) => (r.api.routing?.pending ?? 0) > 0)
      .map(
        (r) =>
          `At concurrency ${r.concurrency}, ${r.api.routing?.pending} of ${r.api.events} answers said routing ` +
          '`pending`: the event was stored, its delivery missed the deadline (ROUTE_DELIVERY_TIMEOUT_MS) ' +
          'or queued behind an earlier one for the same SKU that had, and the relay delivered it later. ' +
          'The rate at that level counts answers (every event durably stored), not deliveries; compare ' +
          'the "settle" times for when the changes were applied.',
      ),
    '',
    '![throughput](ingest-throughput.svg)',
    '',
    ...results.map((r) => `![latency at concurrency ${r.concurrency}](ingest-latency-c${r.concurrency}.svg)`),
  ].join('\n');

  return {
    id: 'ingest',
    title: '1. Ingest throughput: POST /v1/events beside raw signalWithStart',
    markdown,
    data: results.map(({ latencies: _l, ...r }) => r),
    charts,
    targets,
  };
}
