/**
 * `npm run bench:reconciliation [-- --invoices 100000 --page-size 10000]`: the nightly reconciliation
 * batch on a generated data set (default 100k invoices of 20k customers and about 100k payments, mix
 * in test/support/reconciliation-data.ts), through a real worker, an embedded Postgres and a Temporal
 * dev server started like the tests' (test/support/infrastructure.ts). The orders are 'fulfilled',
 * so no order workflow is signalled. Checks the totals (per customer: allocated + credited + left
 * unallocated = received; cash = allocated + credited; every allocation's entry once; receivables
 * in the ledger = invoices outstanding; ledger balanced) and writes bench/results/reconciliation-
 * <timestamp>.md and .json. Not part of the test suite.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { NativeConnection } from '@temporalio/worker';
import { createDatabase } from '../../db/client';
import { WORKFLOW_TYPES, workflowTaskQueue, paymentReconciliationWorkflowId } from '../../domain/names';
import { businessSettingsSchema } from '../../domain/settings';
import type { ReconciliationRunReport } from '../../domain/reconciliation-batch';
import { connectTemporal } from '../../lib/temporal';
import { createDomainWorkers, installSdkLogging } from '../../workers/worker';
import { startInfrastructure } from '../../test/support/infrastructure';
import { createTestDatabase } from '../../test/support/harness';
import { generateReceivables } from '../../test/support/reconciliation-data';
import { statementCpuProfile, statementProfile } from '../../db/queries/reconciliation-batch';
import { reconciliationChecks } from '../../bench/sections/batch-lib';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const AS_OF = '2026-11-27';

async function main(): Promise<void> {
  const invoices = arg('invoices', 100_000);
  const pageSize = arg('page-size', 10_000);
  const poolSize = arg('pool', 10);
  const settings = businessSettingsSchema.parse({
    finance: { reconciliation: { toleranceAmount: 5, batchPageSize: pageSize } },
  });
  installSdkLogging('error');
  const t = { start: Date.now() } as Record<string, number>;
  const infra = await startInfrastructure((line) => console.log(line));
  const testDb = await createTestDatabase(infra.context);
  const database = createDatabase(testDb.url, { max: poolSize, applicationName: 'bench-reconciliation' });
  const db = database.db;
  const connection = await NativeConnection.connect({ address: infra.context.temporalAddress });
  const taskQueuePrefix = `bench-${randomUUID().slice(0, 8)}`;
  const workers = (
    await createDomainWorkers({
      connection,
      namespace: infra.context.namespace,
      taskQueuePrefix,
      domains: ['finance'],
      db,
      settings,
      workflowBundle: { codePath: infra.context.workflowBundlePath },
    })
  ).map((w) => w.worker);
  const running = Promise.all(workers.map((w) => w.run()));
  const temporal = connectTemporal(infra.context.temporalAddress, {
    namespace: infra.context.namespace,
    taskQueuePrefix,
    uiUrl: infra.context.uiUrl,
  });
  t.infraReady = Date.now();
  try {
    console.log(`generating ${invoices} invoices and their payments…`);
    const mix = await generateReceivables(db, { prefix: 'B-', invoices, asOf: AS_OF });
    t.generated = Date.now();
    console.log(`generated in ${((t.generated - t.infraReady) / 1000).toFixed(1)} s:`, mix.kinds);

    console.log('running reconciliationBatchWorkflow…');
    const postmaster = await postmasterPid(db);
    const pgCpu0 = postgresCpuMs(postmaster);
    const nodeCpu0 = process.cpuUsage();
    const { runId, report } = (await temporal.client.workflow.execute(WORKFLOW_TYPES.reconciliationBatch, {
      taskQueue: workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.reconciliationBatch),
      workflowId: `bench-reconciliation-${randomUUID().slice(0, 8)}`,
      args: [{ asOf: AS_OF }],
    })) as { runId: string; report: ReconciliationRunReport };
    t.ran = Date.now();
    const wallMs = t.ran - t.generated;
    const nodeCpu = process.cpuUsage(nodeCpu0);
    const cpu = {
      postgresMs: postgresCpuMs(postmaster) - pgCpu0,
      nodeMs: Math.round((nodeCpu.user + nodeCpu.system) / 1000),
    };
    console.log(`run ${runId} in ${(wallMs / 1000).toFixed(2)} s`);

    if (process.env.RECONCILIATION_PROFILE) {
      console.log('   wall ms  backend CPU ms  statement (summed over pages)');
      for (const [k, v] of [...statementProfile].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
        console.log(
          `${String(v).padStart(9)}  ${String(statementCpuProfile.get(k) ?? '?').padStart(14)}  ${k}`,
        );
      }
    }
    const checks = await reconciliationChecks(db);
    t.checked = Date.now();
    const [pg] = (
      await db.execute<{ version: string; sc: string; sb: string; fsync: string; wm: string }>(sql`
        select current_setting('server_version') as version, current_setting('synchronous_commit') as sc,
               current_setting('shared_buffers') as sb, current_setting('fsync') as fsync,
               current_setting('work_mem') as wm`)
    ).rows;
    const machine = {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      node: process.version,
      postgres: pg?.version,
      synchronousCommit: pg?.sc,
      fsync: pg?.fsync,
      sharedBuffers: pg?.sb,
      workMem: `${pg?.wm} (64MB set locally by the page transaction)`,
      pageSize,
      poolSize,
    };
    const matchedPayments = Object.values(report.matched).reduce((s, r) => s + r.payments, 0);
    const result = {
      at: new Date().toISOString(),
      dataSet: mix,
      runId,
      wallMs,
      paymentsPerSecond: Math.round((report.paymentsScanned / wallMs) * 1000),
      matchPaymentsPerSecond: Math.round((report.paymentsScanned / report.phases.match) * 1000),
      matchedPayments,
      generateMs: t.generated - t.infraReady,
      cpu,
      checks,
      machine,
      report: { ...report, ageing: report.ageing },
    };
    const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
    fs.mkdirSync(dir, { recursive: true });
    const stamp = result.at.replace(/[:.]/g, '-');
    fs.writeFileSync(path.join(dir, `reconciliation-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
    fs.writeFileSync(path.join(dir, `reconciliation-${stamp}.md`), markdown(result));
    console.log(markdown(result));
    // the reviews started for exceptions belong to the real-time matcher: not run here
    await stopReviews(db, temporal.client);
    if (!checks.ok) process.exitCode = 1;
  } finally {
    for (const w of workers) w.shutdown();
    await running;
    await temporal.connection.close();
    await connection.close();
    await database.close();
    await testDb.drop();
    await infra.stop();
  }
}

type Db = ReturnType<typeof createDatabase>['db'];

/** The embedded server's postmaster: the parent of this connection's backend. */
async function postmasterPid(db: Db): Promise<number | null> {
  const [row] = (await db.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`)).rows;
  try {
    const status = fs.readFileSync(`/proc/${row?.pid}/status`, 'utf8');
    return Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? NaN) || null;
  } catch {
    return null;
  }
}

/**
 * CPU milliseconds used by the Postgres server so far (Linux /proc): the postmaster with its reaped
 * children, plus its live children. The difference over the run does not depend on other load.
 */
function postgresCpuMs(postmaster: number | null): number {
  if (!postmaster) return NaN;
  const tick = 100; // USER_HZ on Linux
  const fields = (pid: number | string) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    } catch {
      return null;
    }
  };
  const own = fields(postmaster);
  if (!own) return NaN;
  // after ')': state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = fields(entry);
    if (f && Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
  }
  return Math.round((ticks * 1000) / tick);
}

async function stopReviews(db: Db, client: ReturnType<typeof connectTemporal>['client']): Promise<void> {
  const { rows } = await db.execute<{ payment_id: string }>(
    sql`select payment_id from payments where status = 'exception'`,
  );
  for (const r of rows) {
    await client.workflow
      .getHandle(paymentReconciliationWorkflowId(r.payment_id))
      .terminate('benchmark done')
      .catch(() => undefined);
  }
}

function markdown(r: {
  at: string;
  dataSet: Awaited<ReturnType<typeof generateReceivables>>;
  runId: string;
  wallMs: number;
  paymentsPerSecond: number;
  matchPaymentsPerSecond: number;
  matchedPayments: number;
  generateMs: number;
  cpu: { postgresMs: number; nodeMs: number };
  checks: Awaited<ReturnType<typeof reconciliationChecks>>;
  machine: Record<string, unknown>;
  report: ReconciliationRunReport;
}): string {
  const rep = r.report;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const rules = Object.entries(rep.matched)
    .map(([rule, v]) => `| ${rule} | ${v.payments} | ${v.allocations} | ${v.amount.EUR ?? 0} |`)
    .join('\n');
  const parts = Object.entries(rep.matchParts)
    .map(([k, v]) => `| ${k} | ${s(v)} |`)
    .join('\n');
  return `# Reconciliation batch benchmark, ${r.at}

${r.dataSet.payments} payments against ${r.dataSet.invoices} invoices (${r.dataSet.customers} customers; orders 'fulfilled', so no
order workflow is signalled). Run ${r.runId}, as of ${rep.asOf}, ${rep.pages} pages of ${rep.pageSize}.

**Wall time of the workflow: ${s(r.wallMs)}** (${r.paymentsPerSecond} payments/s; matching alone ${r.matchPaymentsPerSecond} payments/s).
CPU used during the run (independent of other load on the machine): Postgres ${s(r.cpu.postgresMs)}, this
Node process (worker, workflow, client) ${s(r.cpu.nodeMs)}. Data generation (not measured in the run): ${s(r.generateMs)}.

| phase | time |
|---|---|
| start (settings, run row) | ${s(rep.phases.start)} |
| match (all pages, workflow clock) | ${s(rep.phases.match)} |
| match, page transactions (sum) | ${s(rep.phases.matchDb)} |
| notify orders | ${s(rep.phases.notify)} |
| exceptions (reviews started: ${rep.exceptions.reviewsStarted}) | ${s(rep.phases.exceptions)} |
| report (ageing) | ${s(rep.phases.report)} |
| total | ${s(rep.phases.total)} |

Page transactions by part:

| part | time |
|---|---|
${parts}

| rule | payments | allocations | amount EUR |
|---|---|---|---|
${rules}

Write-offs ${rep.writeOffs.count} (${rep.writeOffs.amount.EUR ?? 0}), credits ${rep.credits.count} (${rep.credits.amount.EUR ?? 0}),
exceptions ${rep.exceptions.belowThreshold} below threshold + ${rep.exceptions.anomalies} flagged (${rep.exceptions.possibleDuplicates} possible duplicates),
left unallocated ${rep.unallocated.payments}, deferred ${rep.deferred}.

Data mix: ${JSON.stringify(r.dataSet.kinds)}

Checks (${r.checks.ok ? 'all passed' : 'FAILED'}): ${JSON.stringify(r.checks)}

Machine: ${JSON.stringify(r.machine)}
`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
