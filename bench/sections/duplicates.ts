/**
 * Section 2, duplicates: N unique inventory.stock_adjusted events (each for a new SKU, so each
 * starts a workflow execution), then the very same N events again (100% duplicates: same source
 * and id). Counts the executions before and after the duplicate pass through Temporal's visibility,
 * the stored events and routes through Postgres, and compares the rates.
 */
import { Pool } from 'pg';
import type { Client } from '@temporalio/client';
import type { BenchContext, BenchSection } from '../lib/types';
import { apiClient, runLoad, sleep, until } from '../lib/load';
import { BENCH_SOURCE, runTag, stockAdjusted } from '../lib/events';
import { ms, rate, summarize } from '../lib/stats';
import { barChartSvg, histogramSvg } from '../lib/svg';
import { temporalClient } from '../lib/system';
import { inventoryWorkflowId } from '../../domain/names';

async function countExecutions(client: Client, idPrefix: string): Promise<number> {
  const { count } = await client.workflow.count(`WorkflowId STARTS_WITH "${idPrefix}"`);
  return count;
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const tag = runTag();
  const n = ctx.quick ? 100 : 500;
  const concurrency = 16;
  const skuPrefix = `DUP-${tag}`;
  const idPrefix = inventoryWorkflowId(`${skuPrefix}-`);
  const events = Array.from({ length: n }, (_, i) => stockAdjusted(`${skuPrefix}-${i}`, 1));
  const api = apiClient(ctx.baseUrl, ctx.apiKey);
  const temporal = await temporalClient(ctx.temporalAddress, ctx.namespace);
  const pool = new Pool({ connectionString: ctx.databaseUrl, max: 2 });
  const stored = async () => {
    const r = await pool.query<{ events: string; routes: string; movements: string }>(
      `select (select count(*) from events where source = $1 and subject like $2) as events,
              (select count(*) from event_routes where event_source = $1 and workflow_id like $3) as routes,
              (select count(*) from stock_movements where sku like $2) as movements`,
      [BENCH_SOURCE, `${skuPrefix}-%`, `${idPrefix}%`],
    );
    const row = r.rows[0] ?? { events: '0', routes: '0', movements: '0' };
    return { events: Number(row.events), routes: Number(row.routes), movements: Number(row.movements) };
  };
  try {
    const executionsBefore = await countExecutions(temporal.client, idPrefix);
    const unique = await runLoad(events, concurrency, (e) => api.post('/v1/events', e));
    // let the worker apply them and visibility catch up, so the counts compare like with like
    await until(
      async () => (await stored()).movements >= n - unique.errors,
      ctx.quick ? 60_000 : 300_000,
      250,
    );
    await until(
      async () => (await countExecutions(temporal.client, idPrefix)) >= n - unique.errors,
      60_000,
      500,
    );
    const afterUnique = { executions: await countExecutions(temporal.client, idPrefix), ...(await stored()) };

    const duplicate = await runLoad(events, concurrency, (e) => api.post('/v1/events', e));
    const answers: Record<string, number> = {};
    for (const r of duplicate.results) {
      const key =
        `${r?.status ?? 'error'} ${(r?.body as { status?: string } | undefined)?.status ?? ''}`.trim();
      answers[key] = (answers[key] ?? 0) + 1;
    }
    // visibility is eventually consistent: give a would-be new execution time to show
    await sleep(ctx.quick ? 2000 : 5000);
    const afterDuplicates = {
      executions: await countExecutions(temporal.client, idPrefix),
      ...(await stored()),
    };

    const uniqueRate = (n - unique.errors) / (unique.wallMs / 1000);
    const duplicateRate = (n - duplicate.errors) / (duplicate.wallMs / 1000);
    const speedup = duplicateRate / uniqueRate;
    const uniqueLat = summarize(unique.latencies);
    const dupLat = summarize(duplicate.latencies);
    const newExecutions = afterDuplicates.executions - afterUnique.executions;
    const data = {
      events: n,
      concurrency,
      executionsBefore,
      afterUnique,
      afterDuplicates,
      newExecutionsFromDuplicates: newExecutions,
      duplicateAnswers: answers,
      unique: {
        wallMs: Math.round(unique.wallMs),
        errors: unique.errors,
        eventsPerSecond: uniqueRate,
        latencyMs: uniqueLat,
      },
      duplicate: {
        wallMs: Math.round(duplicate.wallMs),
        errors: duplicate.errors,
        eventsPerSecond: duplicateRate,
        latencyMs: dupLat,
      },
      speedup,
    };
    const markdown = [
      `${n} unique \`inventory.stock_adjusted\` events, each for a new SKU (so each starts one SKU ` +
        `workflow), through \`POST /v1/events\` at concurrency ${concurrency}; then the very same ${n} ` +
        'events again (same source and id: 100% duplicates). Executions are counted through Temporal ' +
        '(`client.workflow.count("WorkflowId STARTS_WITH ...")`) after the worker applied the unique pass ' +
        'and again a few seconds after the duplicate pass; events, routes and stock movements through Postgres.',
      '',
      '| pass | events | errors | events/s | p50 ms | p95 ms | p99 ms | executions after | stored events | routes | stock movements |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| unique | ${n} | ${unique.errors} | ${rate(uniqueRate)} | ${ms(uniqueLat.p50)} | ${ms(uniqueLat.p95)} | ${ms(uniqueLat.p99)} | ${afterUnique.executions} | ${afterUnique.events} | ${afterUnique.routes} | ${afterUnique.movements} |`,
      `| 100% duplicates | ${n} | ${duplicate.errors} | ${rate(duplicateRate)} | ${ms(dupLat.p50)} | ${ms(dupLat.p95)} | ${ms(dupLat.p99)} | ${afterDuplicates.executions} | ${afterDuplicates.events} | ${afterDuplicates.routes} | ${afterDuplicates.movements} |`,
      '',
      `Answers to the duplicate pass: ${Object.entries(answers)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}. Duplicates run **${speedup.toFixed(1)}x** the rate of unique events; ` +
        `${newExecutions} new executions.`,
      '',
      '![duplicates](duplicates-rate.svg)',
      '',
      '![duplicate latency](duplicates-latency.svg)',
    ].join('\n');
    return {
      id: 'duplicates',
      title: '2. Duplicates: a stream of 100% duplicates',
      markdown,
      data,
      charts: [
        {
          file: 'duplicates-rate.svg',
          svg: barChartSvg({
            title: `Unique vs 100% duplicate events, concurrency ${concurrency}`,
            categories: ['unique', '100% duplicates'],
            series: [{ name: 'events/s', values: [uniqueRate, duplicateRate] }],
            yLabel: 'events per second',
          }),
        },
        {
          file: 'duplicates-latency.svg',
          svg: histogramSvg({
            title: 'Per-request latency: unique vs duplicate',
            series: [
              { name: 'unique', samples: unique.latencies },
              { name: 'duplicate', samples: duplicate.latencies },
            ],
          }),
        },
      ],
      targets: [
        {
          name: 'new executions from 100% duplicates',
          target: '0',
          measured: String(newExecutions),
          met: newExecutions === 0 && afterDuplicates.events === afterUnique.events,
        },
        {
          name: 'duplicate rate / unique rate',
          target: '>= 3',
          measured: speedup.toFixed(1),
          met: speedup >= 3,
        },
      ],
    };
  } finally {
    await pool.end();
    await temporal.close();
  }
}
