/**
 * Benchmark section "batch" (issue 10, item 4): the nightly reconciliation on 100k payments against
 * 100k invoices (quick: 10k), through reconciliationBatchWorkflow on in-process workers, against
 * matching the same data one payment at a time on the real-time path, on a sample of the first
 * payments (by payment id) of a copy of the same database, scaled linearly to all payments:
 *
 *  - per-row A, "activities": the real-time path's activities called one after another in this
 *    process (matchPayment, then applyMatch or raisePaymentException), no Temporal in between: a
 *    lower bound of the per-row cost;
 *  - per-row W, "workflows": paymentReconciliationWorkflow started per payment as the payment.received
 *    route starts it, one at a time, each awaited until it has decided (its state query leaves
 *    'matching').
 *
 * Every database is a scratch database of its own on the benchmark's Postgres (generated with
 * test/support/reconciliation-data.ts, as `npm run bench:reconciliation`), dropped afterwards; the
 * workers use a task-queue prefix of their own on the benchmark's Temporal. The correctness checks of
 * the reconciliation benchmark run on the batch's database and the per-row one.
 *
 * Environment: BENCH_BATCH_INVOICES, BENCH_BATCH_PAGE_SIZE, BENCH_BATCH_POOL, BENCH_PER_ROW (sample of
 * path A), BENCH_PER_ROW_WORKFLOWS (sample of path W).
 */
import { sql } from 'drizzle-orm';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { BenchContext, BenchSection } from '../lib/types';
import { createActivities } from '../../activities';
import { businessSettingsSchema } from '../../domain/settings';
import { paymentReconciliationWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../../domain/names';
import {
  reconciliationStateQuery,
  type MatchDecision,
  type PaymentReconciliationInput,
} from '../../domain/reconciliation';
import type { ReconciliationRunReport } from '../../domain/reconciliation-batch';
import type { Db } from '../../db/client';
import { NOTIFY_CONCURRENCY } from '../../activities/reconciliation-batch';
import { generateReceivables } from '../../test/support/reconciliation-data';
import {
  loadAverage,
  machineInfo,
  machineLine,
  reconciliationChecks,
  row,
  scratchDatabase,
  startWorkers,
} from './batch-lib';
import { sleep } from '../lib/load';
import { human } from '../lib/stats';
import { barsSvg } from '../lib/svg';

const AS_OF = '2026-11-27';
const num = (name: string, fallback: number) => {
  const v = process.env[name];
  return v ? Number(v) : fallback;
};

interface StoredPayment {
  payment_id: string;
  amount: string;
  currency: string;
  customer_id: string | null;
  payer_name: string | null;
  reference: string | null;
  received_at: Date;
  method: string;
}

async function samplePayments(db: Db, n: number): Promise<StoredPayment[]> {
  return (
    await db.execute<StoredPayment & Record<string, unknown>>(sql`
      select payment_id, amount::text, currency, customer_id, payer_name, reference, received_at, method
        from payments order by payment_id limit ${n}`)
  ).rows;
}

const inputOf = (p: StoredPayment, i: number): PaymentReconciliationInput => ({
  paymentId: p.payment_id,
  received: {
    amount: Number(p.amount),
    currency: p.currency,
    ...(p.customer_id ? { customerId: p.customer_id } : {}),
    ...(p.payer_name ? { payerName: p.payer_name } : {}),
    ...(p.reference ? { reference: p.reference } : {}),
    receivedAt: new Date(p.received_at).toISOString(),
    method: p.method,
  },
  cause: { source: 'bench/bank', id: `bench-payment-${i}`, correlationId: `bench-${p.payment_id}` },
});

/** What each payment of `ids` ended as: status and its allocations, to compare two paths. */
async function outcomes(db: Db, ids: string[]): Promise<Map<string, string>> {
  const { rows } = await db.execute<{ payment_id: string; o: string }>(sql`
    select p.payment_id,
           p.status || ':' || coalesce((select string_agg(a.invoice_number || '=' || a.amount, ',' order by a.invoice_number)
                                          from payment_allocations a
                                         where a.payment_id = p.payment_id and a.status = 'active'), '') as o
      from payments p
     where p.payment_id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`);
  return new Map(rows.map((r) => [r.payment_id, r.o]));
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const invoices = num('BENCH_BATCH_INVOICES', ctx.quick ? 10_000 : 100_000);
  const pageSize = num('BENCH_BATCH_PAGE_SIZE', 10_000);
  const poolSize = num('BENCH_BATCH_POOL', 10);
  const perRowA = num('BENCH_PER_ROW', ctx.quick ? 200 : 2_000);
  const perRowW = num('BENCH_PER_ROW_WORKFLOWS', ctx.quick ? 50 : 500);
  const settings = businessSettingsSchema.parse({
    finance: { reconciliation: { toleranceAmount: 5, batchPageSize: pageSize } },
  });
  const log = (s: string) => console.log(`[batch] ${s}`);

  // ---- the data set, once, then two copies for the per-row paths ------------------------------
  const a = await scratchDatabase(ctx.databaseUrl, { pool: poolSize });
  const cleanup: (() => Promise<void>)[] = [() => a.drop()];
  try {
    const machine = await machineInfo(a.database.db);
    log(`generating ${invoices} invoices and their payments…`);
    const tg = Date.now();
    const mix = await generateReceivables(a.database.db, { prefix: 'B-', invoices, asOf: AS_OF });
    const generateMs = Date.now() - tg;
    log(`generated in ${human(generateMs)}`);
    await a.database.close();
    const b = await scratchDatabase(ctx.databaseUrl, { template: a.name, pool: poolSize });
    cleanup.push(() => b.drop());
    const w = await scratchDatabase(ctx.databaseUrl, { template: a.name, pool: poolSize });
    cleanup.push(() => w.drop());
    const batchDb = await scratchDatabase(ctx.databaseUrl, {
      name: `${a.name}_run`,
      template: a.name,
      pool: poolSize,
    });
    cleanup.push(() => batchDb.drop());

    // ---- the batch ---------------------------------------------------------------------------------
    const workers = await startWorkers({
      temporalAddress: ctx.temporalAddress,
      namespace: ctx.namespace,
      outDir: ctx.outDir,
      db: batchDb.database.db,
      settings,
      domains: ['finance'],
    });
    const workerSettings = workers.workerSettings;
    let batch: { wallMs: number; runId: string; report: ReconciliationRunReport; load: number[] };
    try {
      log('running reconciliationBatchWorkflow…');
      const load0 = loadAverage();
      const t0 = Date.now();
      const { runId, report } = (await workers.client.workflow.execute(WORKFLOW_TYPES.reconciliationBatch, {
        taskQueue: workflowTaskQueue(workers.taskQueuePrefix, WORKFLOW_TYPES.reconciliationBatch),
        workflowId: `bench-reconciliation-${Date.now()}`,
        args: [{ asOf: AS_OF }],
      })) as { runId: string; report: ReconciliationRunReport };
      batch = { wallMs: Date.now() - t0, runId, report, load: [...load0, ...loadAverage()] };
      log(`batch: ${human(batch.wallMs)} (match ${human(report.phases.match)})`);
      await terminateReviews(batchDb.database.db, workers.client);
    } finally {
      await workers.stop();
    }
    const batchChecks = await reconciliationChecks(batchDb.database.db);

    // ---- per row, A: the activities one after another --------------------------------------------
    const sampleA = await samplePayments(b.database.db, perRowA);
    const acts = createActivities({ db: b.database.db, settings, taskQueuePrefix: 'bench-per-row' });
    const env = new MockActivityEnvironment();
    const kinds: Record<string, number> = {};
    log(`per row (activities): ${sampleA.length} payments…`);
    const loadA0 = loadAverage();
    const tA = Date.now();
    for (const [i, p] of sampleA.entries()) {
      const input = inputOf(p, i);
      const decision = await env.run<[PaymentReconciliationInput], MatchDecision, typeof acts.matchPayment>(
        acts.matchPayment,
        input,
      );
      kinds[decision.kind] = (kinds[decision.kind] ?? 0) + 1;
      if (decision.kind === 'matched') {
        await env.run(acts.applyMatch, {
          paymentId: p.payment_id,
          proposal: decision.proposal,
          cause: input.cause,
        });
      } else if (decision.kind === 'exception') {
        await env.run(acts.raisePaymentException, {
          paymentId: p.payment_id,
          review: decision.review,
          cause: input.cause,
        });
      }
    }
    const perRowAMs = Date.now() - tA;
    const loadA = [...loadA0, ...loadAverage()];
    log(`per row (activities): ${human(perRowAMs)}`);
    const perRowAChecks = await reconciliationChecks(b.database.db);

    // ---- per row, W: the workflow per payment, one at a time --------------------------------------
    const sampleW = await samplePayments(w.database.db, perRowW);
    const wWorkers = await startWorkers({
      temporalAddress: ctx.temporalAddress,
      namespace: ctx.namespace,
      outDir: ctx.outDir,
      db: w.database.db,
      settings,
      domains: ['finance', 'sales'],
    });
    let perRowWMs = 0;
    let loadW: number[] = [];
    const wStates: Record<string, number> = {};
    try {
      log(`per row (workflows): ${sampleW.length} payments…`);
      const loadW0 = loadAverage();
      const tW = Date.now();
      for (const [i, p] of sampleW.entries()) {
        const handle = await wWorkers.client.workflow.start(WORKFLOW_TYPES.paymentReconciliation, {
          workflowId: paymentReconciliationWorkflowId(p.payment_id),
          taskQueue: workflowTaskQueue(wWorkers.taskQueuePrefix, WORKFLOW_TYPES.paymentReconciliation),
          args: [inputOf(p, i)],
        });
        for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
          const state = await handle.query(reconciliationStateQuery).catch(() => null);
          if (state && state.status !== 'matching') {
            wStates[state.status] = (wStates[state.status] ?? 0) + 1;
            break;
          }
          await sleep(wait);
        }
      }
      perRowWMs = Date.now() - tW;
      loadW = [...loadW0, ...loadAverage()];
      log(`per row (workflows): ${human(perRowWMs)}`);
      await terminateReviews(
        w.database.db,
        wWorkers.client,
        sampleW.map((p) => p.payment_id),
      );
    } finally {
      await wWorkers.stop();
    }
    const perRowWChecks = await reconciliationChecks(w.database.db);

    // ---- agreement of the paths on the sample --------------------------------------------------
    const ids = sampleA.map((p) => p.payment_id);
    const [ob, oa] = [await outcomes(batchDb.database.db, ids), await outcomes(b.database.db, ids)];
    const differ = ids.filter((id) => ob.get(id) !== oa.get(id));

    // ---- figures ----------------------------------------------------------------------------------
    const payments = mix.payments;
    const scaledA = (perRowAMs / Math.max(1, sampleA.length)) * payments;
    const scaledW = (perRowWMs / Math.max(1, sampleW.length)) * payments;
    const rep = batch.report;
    const batchMs = batch.wallMs;
    const matchMs = rep.phases.match;
    const ratioA = scaledA / batchMs;
    const ratioW = scaledW / batchMs;
    const size = `${payments.toLocaleString('en')} payments × ${invoices.toLocaleString('en')} invoices`;
    const settingsLine =
      `page size ${pageSize}; Postgres pool of the workers ${poolSize} connections; ${workerSettings} ` +
      `(SDK defaults); review starts and order signals in flight ${NOTIFY_CONCURRENCY}`;
    const targets: BenchSection['targets'] = [
      {
        name: `nightly reconciliation, ${size}: whole workflow`,
        target: '< 10 s',
        measured: human(batchMs),
        met: batchMs < 10_000,
      },
      {
        name: `nightly reconciliation, ${size}: matching (every payment decided and posted)`,
        target: '< 10 s',
        measured: human(matchMs),
        met: matchMs < 10_000,
      },
      {
        name: 'batch vs one payment at a time through the workflows (scaled)',
        target: '≥ 20×',
        measured: `${ratioW.toFixed(1)}×`,
        met: ratioW >= 20,
      },
      {
        name: 'batch vs one payment at a time through the activities only (scaled)',
        target: '≥ 20×',
        measured: `${ratioA.toFixed(1)}×`,
        met: ratioA >= 20,
      },
    ];
    const parts = Object.entries(rep.matchParts)
      .map(([k, v]) => row([k, human(v)]))
      .join('\n');
    const markdown = `Data: ${size} (${mix.customers.toLocaleString('en')} customers), generated by
test/support/reconciliation-data.ts (mix ${JSON.stringify(mix.kinds)}); generation ${human(generateMs)}, not measured.
Machine: ${machineLine(machine)}. Settings: ${settingsLine}.

| path | payments | time | scaled to ${payments.toLocaleString('en')} | per payment | load avg (1/5/15 min, before → after) |
|---|---|---|---|---|---|
${row(['batch (reconciliationBatchWorkflow, whole run)', payments, human(batchMs), human(batchMs), `${((batchMs / payments) * 1000).toFixed(0)} µs`, `${batch.load.slice(0, 3).join('/')} → ${batch.load.slice(3).join('/')}`])}
${row(['batch, matching phase only', payments, human(matchMs), human(matchMs), `${((matchMs / payments) * 1000).toFixed(0)} µs`, ''])}
${row([`per row W: paymentReconciliationWorkflow per payment, one at a time`, sampleW.length, human(perRowWMs), human(scaledW), human(perRowWMs / Math.max(1, sampleW.length)), `${loadW.slice(0, 3).join('/')} → ${loadW.slice(3).join('/')}`])}
${row([`per row A: matchPayment + applyMatch / raisePaymentException called in turn`, sampleA.length, human(perRowAMs), human(scaledA), human(perRowAMs / Math.max(1, sampleA.length)), `${loadA.slice(0, 3).join('/')} → ${loadA.slice(3).join('/')}`])}

Scaling: the per-row samples are the first ${sampleA.length} (A) and ${sampleW.length} (W) payments by payment id of a
copy of the same ${payments.toLocaleString('en')}-payment database (so every lookup runs against full-size tables), and
are scaled linearly: time × ${payments} / sample. Per-row work is one payment's indexed reads and writes, independent of
the others, so linear scaling is what one-at-a-time processing would take. Ratio batch : per row =
**${ratioW.toFixed(1)}×** (workflows) and **${ratioA.toFixed(1)}×** (activities alone).
Per-row outcomes: A ${JSON.stringify(kinds)}; W ${JSON.stringify(wStates)}. Batch and path A agree on
${ids.length - differ.length} of ${ids.length} sampled payments${
      differ.length
        ? ` (differ, batch vs per row: ${differ
            .slice(0, 4)
            .map((id) => `${id} ${ob.get(id)} vs ${oa.get(id)}`)
            .join('; ')}${differ.length > 4 ? '; …' : ''})`
        : ''
    }.

Batch run ${batch.runId}: ${rep.pages} pages of ${rep.pageSize}; phases:

| phase | time |
|---|---|
${Object.entries(rep.phases)
  .map(([k, v]) => row([k, human(v)]))
  .join('\n')}

Page transactions by part:

| part | time |
|---|---|
${parts}

Exceptions: ${rep.exceptions.belowThreshold} below threshold, ${rep.exceptions.anomalies} flagged (${rep.exceptions.possibleDuplicates} possible duplicates); reviews started ${rep.exceptions.reviewsStarted}; left unallocated ${rep.unallocated.payments}; deferred ${rep.deferred}.

Checks (0 = nothing off): batch ${JSON.stringify(batchChecks)}; per row A ${JSON.stringify(perRowAChecks)}; per row W ${JSON.stringify(perRowWChecks)}.
`;
    return {
      id: 'batch',
      title: 'Batch: nightly reconciliation against one payment at a time',
      markdown,
      data: {
        machine,
        settings: { pageSize, poolSize, invoices, perRowA: sampleA.length, perRowW: sampleW.length },
        dataSet: mix,
        generateMs,
        batch: { ...batch, checks: batchChecks },
        perRowActivities: {
          ms: perRowAMs,
          sample: sampleA.length,
          scaledMs: scaledA,
          ratio: ratioA,
          kinds,
          load: loadA,
          checks: perRowAChecks,
        },
        perRowWorkflows: {
          ms: perRowWMs,
          sample: sampleW.length,
          scaledMs: scaledW,
          ratio: ratioW,
          states: wStates,
          load: loadW,
          checks: perRowWChecks,
        },
        agreement: {
          sampled: ids.length,
          differ: differ.map((id) => ({ id, batch: ob.get(id), perRow: oa.get(id) })),
        },
      },
      charts: [
        {
          file: 'batch-vs-per-row.svg',
          svg: barsSvg(`Reconciling ${payments.toLocaleString('en')} payments (per-row scaled linearly)`, [
            { name: 'batch, whole workflow', ms: batchMs },
            { name: 'batch, matching phase', ms: matchMs },
            { name: 'per row, workflows (scaled)', ms: scaledW },
            { name: 'per row, activities (scaled)', ms: scaledA },
          ]),
        },
      ],
      targets,
    };
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  }
}

/** The review workflows the runs started wait for an operator: terminated once measured. */
async function terminateReviews(
  db: Db,
  client: Awaited<ReturnType<typeof startWorkers>>['client'],
  ids?: string[],
): Promise<void> {
  const rows = ids
    ? ids.map((payment_id) => ({ payment_id }))
    : (
        await db.execute<{ payment_id: string }>(
          sql`select payment_id from payments where status = 'exception'`,
        )
      ).rows;
  for (let i = 0; i < rows.length; i += 64) {
    await Promise.all(
      rows.slice(i, i + 64).map((r) =>
        client.workflow
          .getHandle(paymentReconciliationWorkflowId(r.payment_id))
          .terminate('benchmark done')
          .catch(() => undefined),
      ),
    );
  }
}
