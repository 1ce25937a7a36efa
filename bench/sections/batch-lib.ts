/**
 * Helpers of the batch sections (batch.ts, event-vs-batch.ts), self-contained on purpose: a scratch
 * database on the benchmark's Postgres, in-process workers on the benchmark's Temporal, the machine
 * and settings every figure names, distributions and log-scale histograms as SVG.
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

export interface Distribution {
  n: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles. */
export function distribution(values: number[]): Distribution {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))] ?? NaN;
  return {
    n: v.length,
    min: v[0] ?? NaN,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: v[v.length - 1] ?? NaN,
    mean: v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN,
  };
}

/** A duration for people: ms below 1 s, s below 2 min, else min / h. */
export function human(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 2 * 3600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3600_000).toFixed(1)} h`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/**
 * A histogram of durations (ms) on a log-scale x axis, one outlined series per name, bins of equal
 * width in log10 (5 per decade); the y axis counts events per bin.
 */
export function logHistogramSvg(title: string, series: { name: string; values: number[] }[]): string {
  const W = 820;
  const H = 340;
  const L = 56;
  const R = 16;
  const T = 36;
  const B = 64;
  const all = series.flatMap((s) => s.values).filter((v) => v > 0);
  const lo = Math.floor(Math.log10(Math.max(1, Math.min(...all, 1e12))));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...all, 10))));
  const perDecade = 5;
  const nBins = (hi - lo) * perDecade;
  const bins = series.map((s) => {
    const b = new Array<number>(nBins).fill(0);
    for (const v of s.values) {
      const k = Math.floor((Math.log10(Math.max(v, 10 ** lo)) - lo) * perDecade);
      b[Math.min(nBins - 1, Math.max(0, k))]! += 1;
    }
    return b;
  });
  const yMax = Math.max(1, ...bins.flat());
  const x = (logv: number) => L + ((logv - lo) / (hi - lo)) * (W - L - R);
  const y = (n: number) => H - B - (n / yMax) * (H - T - B);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
  ];
  for (let d = lo; d <= hi; d++) {
    parts.push(
      `<line x1="${x(d)}" y1="${H - B}" x2="${x(d)}" y2="${H - B + 5}" stroke="black"/>`,
      `<text x="${x(d)}" y="${H - B + 17}" text-anchor="middle">${esc(human(10 ** d))}</text>`,
    );
  }
  for (const f of [0, 0.5, 1]) {
    const n = Math.round(yMax * f);
    parts.push(`<text x="${L - 6}" y="${y(n) + 4}" text-anchor="end">${n}</text>`);
  }
  parts.push(
    `<text x="${W / 2}" y="${H - B + 34}" text-anchor="middle">time to consistent state (log scale)</text>`,
    `<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">events per bin</text>`,
  );
  bins.forEach((b, si) => {
    const c = COLOURS[si % COLOURS.length];
    let d = `M ${x(lo)} ${y(0)}`;
    b.forEach((n, k) => {
      const x0 = x(lo + k / perDecade);
      const x1 = x(lo + (k + 1) / perDecade);
      d += ` L ${x0.toFixed(1)} ${y(n).toFixed(1)} L ${x1.toFixed(1)} ${y(n).toFixed(1)}`;
    });
    d += ` L ${x(hi)} ${y(0)}`;
    parts.push(`<path d="${d}" fill="${c}" fill-opacity="0.18" stroke="${c}" stroke-width="1.5"/>`);
    parts.push(
      `<rect x="${L + 10 + si * 185}" y="${H - 20}" width="10" height="10" fill="${c}"/>`,
      `<text x="${L + 24 + si * 185}" y="${H - 11}">${esc(series[si]!.name)} (n=${series[si]!.values.length})</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Horizontal bars (seconds), e.g. a time per variant; the value is written next to each bar. */
export function barsSvg(title: string, bars: { name: string; ms: number }[], unit = 's'): string {
  const W = 760;
  const rowH = 26;
  const L = 300;
  const H = 40 + bars.length * rowH + 10;
  const max = Math.max(1, ...bars.map((b) => b.ms));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const yy = 34 + i * rowH;
    const w = ((W - L - 90) * b.ms) / max;
    parts.push(
      `<text x="${L - 8}" y="${yy + 14}" text-anchor="end">${esc(b.name)}</text>`,
      `<rect x="${L}" y="${yy + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${COLOURS[i % 2]}"/>`,
      `<text x="${L + w + 6}" y="${yy + 14}">${unit === 's' ? human(b.ms) : `${b.ms}`}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

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
