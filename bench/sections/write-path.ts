/**
 * Section 7, write path: rows per second into the event store, one event per request (so one row
 * per transaction) against POST /v1/events/batch (one transaction per batch). The events are
 * payment.refunded, which no workflow consumes and nothing projects: the request stores the event
 * and nothing else, so this measures validation + the store, not Temporal.
 */
import { Pool } from 'pg';
import type { BenchContext, BenchSection } from '../lib/types';
import { apiClient, runLoad } from '../lib/load';
import { BENCH_SOURCE, paymentRefunded, runTag } from '../lib/events';
import { ms, rate, summarize, type Summary } from '../lib/stats';
import { barChartSvg } from '../lib/svg';

interface Mode {
  name: string;
  batch: number;
  concurrency: number;
  requests: number;
  rows: number;
  storedRows: number;
  errors: number;
  wallMs: number;
  rowsPerSecond: number;
  requestLatencyMs: Summary;
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const api = apiClient(ctx.baseUrl, ctx.apiKey);
  const pool = new Pool({ connectionString: ctx.databaseUrl, max: 1 });
  const storedWith = async (prefix: string) =>
    Number(
      (
        await pool.query<{ n: string }>(
          'select count(*) as n from events where source = $1 and subject like $2',
          [BENCH_SOURCE, `${prefix}%`],
        )
      ).rows[0]?.n ?? 0,
    );
  const modes = ctx.quick
    ? [
        { batch: 1, concurrency: 1, rows: 100 },
        { batch: 1, concurrency: 16, rows: 300 },
        { batch: 100, concurrency: 1, rows: 1000 },
        { batch: 500, concurrency: 1, rows: 2000 },
      ]
    : [
        { batch: 1, concurrency: 1, rows: 1000 },
        { batch: 1, concurrency: 16, rows: 4000 },
        { batch: 100, concurrency: 1, rows: 10_000 },
        { batch: 500, concurrency: 1, rows: 20_000 },
      ];
  const results: Mode[] = [];
  try {
    // warm-up: not recorded
    const warm = runTag();
    await runLoad(
      Array.from({ length: 50 }, (_, i) => paymentRefunded(i, warm)),
      4,
      (e) => api.post('/v1/events', e),
    );
    await api.post(
      '/v1/events/batch',
      Array.from({ length: 100 }, (_, i) => paymentRefunded(i + 100, warm)),
    );

    for (const m of modes) {
      const tag = runTag();
      const events = Array.from({ length: m.rows }, (_, i) => paymentRefunded(i, tag));
      const requests: unknown[] = [];
      if (m.batch === 1) requests.push(...events);
      else for (let i = 0; i < events.length; i += m.batch) requests.push(events.slice(i, i + m.batch));
      const path = m.batch === 1 ? '/v1/events' : '/v1/events/batch';
      const load = await runLoad(requests, m.concurrency, (body) => api.post(path, body));
      const storedRows = await storedWith(`PAY-${tag}-`);
      results.push({
        name:
          m.batch === 1
            ? `POST /v1/events, concurrency ${m.concurrency}`
            : `POST /v1/events/batch of ${m.batch}`,
        batch: m.batch,
        concurrency: m.concurrency,
        requests: requests.length,
        rows: m.rows,
        storedRows,
        errors: load.errors,
        wallMs: Math.round(load.wallMs),
        rowsPerSecond: storedRows / (load.wallMs / 1000),
        requestLatencyMs: summarize(load.latencies),
      });
    }
  } finally {
    await pool.end();
  }
  const single = results.find((r) => r.batch === 1 && r.concurrency === 1) as Mode;
  const single16 = results.find((r) => r.batch === 1 && r.concurrency === 16) as Mode;
  const best = results
    .filter((r) => r.batch > 1)
    .sort((a, b) => b.rowsPerSecond - a.rowsPerSecond)[0] as Mode;
  const ratio = best.rowsPerSecond / single.rowsPerSecond;
  const markdown = [
    'Rows per second into the event store (`events`), end to end over HTTP: one `payment.refunded` ' +
      'event per `POST /v1/events` (one row per transaction) against `POST /v1/events/batch` (one ' +
      'transaction and one multi-row INSERT per batch). No workflow consumes `payment.refunded` and ' +
      'nothing projects it, so each request is validation + the store (advisory locks, dedupe by ' +
      'ON CONFLICT, the insert, commit) + the answer. The rows are counted in Postgres after each mode.',
    '',
    '| mode | requests | rows stored | errors | wall s | rows/s | request p50 ms | p95 ms | p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.requests} | ${r.storedRows} | ${r.errors} | ${(r.wallMs / 1000).toFixed(1)} | ${rate(r.rowsPerSecond)} | ${ms(r.requestLatencyMs.p50)} | ${ms(r.requestLatencyMs.p95)} | ${ms(r.requestLatencyMs.p99)} |`,
    ),
    '',
    `Batches of ${best.batch} store **${ratio.toFixed(1)}x** the rows per second of one row per ` +
      `transaction at concurrency 1 (${(best.rowsPerSecond / single16.rowsPerSecond).toFixed(1)}x of 16 ` +
      'concurrent single-event callers).',
    '',
    '![write path](write-path.svg)',
  ].join('\n');
  return {
    id: 'write-path',
    title: '7. Write path: one row per transaction against batched inserts',
    markdown,
    data: results,
    charts: [
      {
        file: 'write-path.svg',
        svg: barChartSvg({
          title: 'Event-store insert rate',
          categories: results.map((r) => (r.batch === 1 ? `single, c=${r.concurrency}` : `batch ${r.batch}`)),
          series: [{ name: 'rows/s', values: results.map((r) => r.rowsPerSecond) }],
          yLabel: 'rows per second',
        }),
      },
    ],
    targets: [
      {
        name: `batch (${best.batch}) rows/s / single-row transactions rows/s (concurrency 1)`,
        target: '>= 5',
        measured: ratio.toFixed(1),
        met: ratio >= 5,
      },
    ],
  };
}
