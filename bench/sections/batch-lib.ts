/**
 * Helpers of the batch sections (batch.ts, event-vs-batch.ts), self-contained on purpose: a scratch
 * database on the benchmark's Postgres, in-process workers on the benchmark's Temporal, the machine
 * and settings every figure names. Statistics and charts are bench/lib/stats.ts and svg.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { sql } from 'drizzle-orm';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createDatabase, type Database, type Db } from '../../db/client';
import { withDatabase } from '../../db/embedded';
import { runMigrations } from '../../db/migrate';
import type { BusinessSettings } from '../../domain/settings';
import type { Domain } from '../../domain/names';
import { connectTemporal } from '../../lib/temporal';
import { writeWorkflowBundle } from '../../workers/bundle';
import { createDomainWorkers } from '../../workers/worker';

/** The 1-, 5- and 15-minute load averages now (the machine is shared: every figure carries them). */
export const loadAverage = (): number[] => os.loadavg().map((l) => Math.round(l * 100) / 100);

/** A database of its own on the benchmark's Postgres, migrated; dropped afterwards. */
export async function scratchDatabase(
  adminUrl: string,
  opts: { name?: string; template?: string; pool?: number } = {},
): Promise<{ name: string; url: string; database: Database; drop(): Promise<void> }> {
  const name = opts.name ?? `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"${opts.template ? ` template "${opts.template}"` : ''}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  if (!opts.template) await runMigrations(url);
  const database = createDatabase(url, { max: opts.pool ?? 10, applicationName: 'bench' });
  return {
    name,
    url,
    database,
    async drop() {
      await database.close().catch(() => undefined);
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

/** The workflow bundle, built once per process. */
let bundlePath: Promise<string> | undefined;
export function workflowBundlePath(outDir: string): Promise<string> {
  bundlePath ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bundle-'));
    const file = path.join(dir, 'workflow-bundle.js');
    await writeWorkflowBundle(file);
    void outDir;
    return file;
  })();
  return bundlePath;
}

/** Worker settings of the in-process workers (reported with every figure). */
export interface WorkerSettings {
  maxCachedWorkflows?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  poolSize: number;
}

/** In-process workers of the given domains on a task-queue prefix of their own, and a client. */
export async function startWorkers(opts: {
  temporalAddress: string;
  namespace: string;
  outDir: string;
  db: Db;
  settings: BusinessSettings;
  domains: Domain[];
  worker?: Omit<WorkerSettings, 'poolSize'>;
}) {
  const connection = await NativeConnection.connect({ address: opts.temporalAddress });
  const taskQueuePrefix = `bench-${randomUUID().slice(0, 8)}`;
  const workers: Worker[] = (
    await createDomainWorkers({
      connection,
      namespace: opts.namespace,
      taskQueuePrefix,
      domains: opts.domains,
      db: opts.db,
      settings: opts.settings,
      workflowBundle: { codePath: await workflowBundlePath(opts.outDir) },
      ...(opts.worker ?? {}),
    })
  ).map((w) => w.worker);
  const running = Promise.all(workers.map((w) => w.run()));
  const o = workers[0]?.options as unknown as
    { maxCachedWorkflows: number; tuner?: Record<string, { numSlots?: number; type?: string }> } | undefined;
  const slots = (k: string) => o?.tuner?.[k]?.numSlots ?? o?.tuner?.[k]?.type ?? '?';
  const workerSettings = `per domain worker (${opts.domains.join(', ')}): workflow cache ${o?.maxCachedWorkflows ?? '?'}, slots: workflow tasks ${slots('workflowTaskSlotSupplier')}, activities ${slots('activityTaskSlotSupplier')}, local activities ${slots('localActivityTaskSlotSupplier')}`;
  const temporal = connectTemporal(opts.temporalAddress, {
    namespace: opts.namespace,
    taskQueuePrefix,
    uiUrl: '',
  });
  return {
    taskQueuePrefix,
    workerSettings,
    client: temporal.client,
    async stop() {
      for (const w of workers) w.shutdown();
      await running.catch(() => undefined);
      await temporal.connection.close();
      await connection.close();
    },
  };
}

/** The machine, versions and database settings a figure was measured with. */
export async function machineInfo(db: Db) {
  const [pg] = (
    await db.execute<Record<string, string>>(sql`
      select current_setting('server_version') as version,
             current_setting('synchronous_commit') as synchronous_commit,
             current_setting('fsync') as fsync,
             current_setting('shared_buffers') as shared_buffers,
             current_setting('work_mem') as work_mem,
             current_setting('max_connections') as max_connections`)
  ).rows;
  let sdk = 'unknown';
  try {
    sdk = (
      JSON.parse(
        fs.readFileSync(
          path.resolve(__dirname, '../../node_modules/@temporalio/worker/package.json'),
          'utf8',
        ),
      ) as { version: string }
    ).version;
  } catch {
    /* not installed as expected */
  }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    temporalSdk: sdk,
    postgres: pg?.version,
    postgresSettings: pg,
  };
}

export type Machine = Awaited<ReturnType<typeof machineInfo>>;

export const machineLine = (m: Machine): string =>
  `${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, Temporal SDK ${m.temporalSdk}, ` +
  `Postgres ${m.postgres} (synchronous_commit ${m.postgresSettings?.synchronous_commit}, ` +
  `shared_buffers ${m.postgresSettings?.shared_buffers}, work_mem ${m.postgresSettings?.work_mem})`;

/** A markdown table row. */
export const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;

/**
 * The correctness checks of `npm run bench:reconciliation` (each counts what is off; all 0 when
 * right): per customer, allocated + credited + left unallocated = received and cash = allocated +
 * credited; every allocation's entry once; every entry balanced; debits = credits; receivables in
 * the ledger = invoices outstanding; orders' paid = their invoices' paid.
 */
export async function reconciliationChecks(db: Db) {
  const one = async (q: ReturnType<typeof sql>) => (await db.execute<{ n: string }>(q)).rows[0]?.n ?? '?';
  const customersOff = await one(sql`
    with alloc as (select payment_id, sum(amount) as n from payment_allocations where status = 'active' group by 1),
    credit as (select payment_id, sum(credit) as n from journal_lines where account_code = '2200' group by 1),
    cash as (select payment_id, sum(debit) as n from journal_lines where account_code = '1000' group by 1)
    select count(*)::text as n from (
      select coalesce(p.customer_id, p.payer_name)
        from payments p left join alloc using (payment_id) left join credit using (payment_id)
        left join cash using (payment_id)
       group by 1
      having sum(coalesce(alloc.n, 0)) + sum(coalesce(credit.n, 0))
               + sum(case when p.status = 'allocated' then 0 else p.amount - p.amount_allocated end) <> sum(p.amount)
          or sum(coalesce(cash.n, 0)) <> sum(coalesce(alloc.n, 0)) + sum(coalesce(credit.n, 0))) x`);
  const entriesOff = await one(sql`
    select count(*)::text as n from payment_allocations a
     where (select count(*) from journal_entries e join journal_lines l on l.entry_id = e.id
             where e.idempotency_key = 'payment/' || a.payment_id || '/' || a.invoice_number
               and l.account_code = '1100' and l.credit = a.amount) <> 1`);
  const unbalancedEntries = await one(sql`
    select count(*)::text as n from (select entry_id from journal_lines group by 1 having sum(debit) <> sum(credit)) x`);
  const debitsMinusCredits = await one(
    sql`select coalesce(sum(debit) - sum(credit), 0)::text as n from journal_lines`,
  );
  const arMinusOutstanding = await one(sql`
    select (coalesce((select sum(debit) - sum(credit) from journal_lines where account_code = '1100'), 0)
          - coalesce((select sum(total - amount_paid - amount_written_off) from invoices), 0))::text as n`);
  const ordersOff = await one(sql`
    select count(*)::text as n from sales_orders o join invoices i using (order_id) where o.amount_paid <> i.amount_paid`);
  const checks = {
    customersOff,
    entriesOff,
    unbalancedEntries,
    debitsMinusCredits,
    arMinusOutstanding,
    ordersOff,
  };
  return { ok: Object.values(checks).every((v) => v === '0'), ...checks };
}
