/**
 * Helpers of the latency and worker-resources sections: a histogram SVG, the machine and its
 * load, an open-loop pacer, the Postgres NOTIFY probe and reading a process's RSS and CPU from
 * /proc. Percentiles and summaries are bench/lib/stats.ts's.
 */
import fs from 'node:fs';
import os from 'node:os';
import { Client as PgClient } from 'pg';
import { summarize } from '../lib/stats';

// ---------------------------------------------------------------- statistics

export { percentile, summarize, type Summary } from '../lib/stats';

export const ms = (x: number): string => (Number.isFinite(x) ? `${Math.round(x)} ms` : 'n/a');

// ---------------------------------------------------------------- histogram SVG

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Frequency polygons of several latency series on one chart (share of samples per bucket, so series
 * of different sizes compare), the x axis up to the largest p99 (later samples are counted in the
 * last bucket), with each series' p99 as a dashed line.
 */
export function histogramSvg(title: string, series: { label: string; samples: number[] }[]): string {
  const W = 760;
  const H = 360;
  const L = 56;
  const R = 40;
  const T = 34;
  const B = 46 + 16 * Math.ceil(series.length / 2);
  const p99s = series.map((s) => summarize(s.samples).p99).filter(Number.isFinite);
  const xMax = Math.max(50, ...p99s) * 1.1;
  const buckets = 40;
  const width = xMax / buckets;
  const shares = series.map((s) => {
    const counts = new Array<number>(buckets).fill(0);
    for (const x of s.samples) counts[Math.min(buckets - 1, Math.floor(x / width))]! += 1;
    return counts.map((c) => (s.samples.length ? c / s.samples.length : 0));
  });
  const yMax = Math.max(0.05, ...shares.flat()) * 1.1;
  const px = (x: number) => L + (x / xMax) * (W - L - R);
  const py = (y: number) => H - B + -(y / yMax) * (H - B - T);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const x = (xMax * i) / 5;
    parts.push(
      `<line x1="${px(x)}" y1="${H - B}" x2="${px(x)}" y2="${H - B + 4}" stroke="#333"/>`,
      `<text x="${px(x)}" y="${H - B + 16}" text-anchor="middle">${Math.round(x)} ms</text>`,
    );
    const y = (yMax * i) / 5;
    parts.push(
      `<line x1="${L - 4}" y1="${py(y)}" x2="${L}" y2="${py(y)}" stroke="#333"/>`,
      `<text x="${L - 6}" y="${py(y) + 4}" text-anchor="end">${Math.round(y * 100)}%</text>`,
    );
  }
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length] as string;
    const pts = (shares[i] as number[]).map(
      (y, b) => `${px((b + 0.5) * width).toFixed(1)},${py(y).toFixed(1)}`,
    );
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.8" points="${pts.join(' ')}"/>`);
    const p99 = summarize(s.samples).p99;
    if (Number.isFinite(p99)) {
      parts.push(
        `<line x1="${px(p99)}" y1="${T}" x2="${px(p99)}" y2="${H - B}" stroke="${colour}" stroke-dasharray="4 3"/>`,
      );
    }
    const lx = L + (i % 2) * ((W - L - R) / 2);
    const ly = H - B + 32 + 16 * Math.floor(i / 2);
    parts.push(
      `<rect x="${lx}" y="${ly - 9}" width="12" height="3" fill="${colour}"/>`,
      `<text x="${lx + 16}" y="${ly - 4}">${esc(`${s.label} (n=${s.samples.length}, p99 ${ms(p99)})`)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

// ---------------------------------------------------------------- machine and load

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
}

export function machine(): Machine {
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

export const loadAverage = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');

export function describeMachine(m: Machine): string {
  return `${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory, ${m.os}, node ${m.node}`;
}

// ---------------------------------------------------------------- open-loop pacing

/**
 * Calls `send(i)` at a steady `ratePerSecond` for `durationMs`, on schedule whether or not earlier
 * calls finished (open loop: a slow system does not slow the offered load). Resolves when every call
 * settled; answers how many were sent and the largest lag of a send behind its schedule.
 */
export async function openLoop(
  ratePerSecond: number,
  durationMs: number,
  send: (i: number) => Promise<void>,
): Promise<{ sent: number; maxLagMs: number; errors: string[] }> {
  const total = Math.max(1, Math.round((ratePerSecond * durationMs) / 1000));
  const interval = 1000 / ratePerSecond;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  const errors: string[] = [];
  let maxLagMs = 0;
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    maxLagMs = Math.max(maxLagMs, performance.now() - due);
    inflight.push(
      send(i).catch((err: unknown) => {
        if (errors.length < 20) errors.push((err as Error).message);
      }),
    );
  }
  await Promise.all(inflight);
  return { sent: total, maxLagMs, errors };
}

// ---------------------------------------------------------------- Postgres NOTIFY probe

export const PROBE_CHANNEL = 'bench_latency_probe';

/**
 * Tells, through LISTEN/NOTIFY, the moment a reservation row (key: its order id) or a stock movement
 * (key: its causing event id) becomes visible: a trigger notifies in the writing transaction, and
 * Postgres delivers the notification when that transaction commits. Installs the trigger on start
 * and drops it on close (the triggers are the bench's own; nothing else uses the channel).
 */
export class CommitProbe {
  private readonly waiters = new Map<string, (at: number) => void>();
  private readonly seen = new Map<string, number>();
  private constructor(
    private readonly listener: PgClient,
    private readonly databaseUrl: string,
  ) {}

  static async open(databaseUrl: string): Promise<CommitProbe> {
    const admin = new PgClient({ connectionString: databaseUrl, application_name: 'bench-probe-setup' });
    await admin.connect();
    try {
      await admin.query(`
        create or replace function bench_latency_probe() returns trigger language plpgsql as $$
        begin
          if TG_TABLE_NAME = 'reservations' then
            perform pg_notify('${PROBE_CHANNEL}', 'reservation:' || NEW.order_id);
          else
            perform pg_notify('${PROBE_CHANNEL}', 'movement:' || NEW.causation_id);
          end if;
          return NEW;
        end $$;
        drop trigger if exists bench_latency_probe on reservations;
        create trigger bench_latency_probe after insert on reservations
          for each row execute function bench_latency_probe();
        drop trigger if exists bench_latency_probe on stock_movements;
        create trigger bench_latency_probe after insert on stock_movements
          for each row execute function bench_latency_probe();
      `);
    } finally {
      await admin.end();
    }
    const listener = new PgClient({ connectionString: databaseUrl, application_name: 'bench-probe' });
    await listener.connect();
    const probe = new CommitProbe(listener, databaseUrl);
    listener.on('notification', (n) => {
      const at = performance.now();
      const key = n.payload ?? '';
      const waiter = probe.waiters.get(key);
      if (waiter) {
        probe.waiters.delete(key);
        waiter(at);
      } else if (!probe.seen.has(key)) {
        probe.seen.set(key, at);
      }
    });
    await listener.query(`listen ${PROBE_CHANNEL}`);
    return probe;
  }

  /** Resolves with the performance.now() at which `key` committed, or null after `timeoutMs`. */
  wait(key: string, timeoutMs: number): Promise<number | null> {
    const early = this.seen.get(key);
    if (early !== undefined) {
      this.seen.delete(key);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        resolve(null);
      }, timeoutMs);
      this.waiters.set(key, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  async close(): Promise<void> {
    await this.listener.end().catch(() => undefined);
    const admin = new PgClient({ connectionString: this.databaseUrl, application_name: 'bench-probe-setup' });
    await admin.connect();
    try {
      await admin.query(`
        drop trigger if exists bench_latency_probe on reservations;
        drop trigger if exists bench_latency_probe on stock_movements;
        drop function if exists bench_latency_probe();
      `);
    } finally {
      await admin.end();
    }
  }
}

/** Settings of the Postgres the figures ran against (named with every figure). */
export async function postgresSettings(databaseUrl: string): Promise<Record<string, string>> {
  const c = new PgClient({ connectionString: databaseUrl, application_name: 'bench-settings' });
  await c.connect();
  try {
    const { rows } = await c.query<{ name: string; setting: string }>(
      `select name, setting from pg_settings
       where name in ('synchronous_commit', 'fsync', 'max_connections', 'shared_buffers', 'server_version')`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------- a process's resources from /proc

/** The pid of the process of this user listening on TCP `port` (IPv4 or IPv6), if any. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const local = cols[1] as string;
      const state = cols[3];
      if (state === '0A' && parseInt(local.split(':')[1] as string, 16) === port)
        inodes.add(cols[9] as string);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = fs.readlinkSync(`/proc/${entry}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (m && inodes.has(m[1] as string)) return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
  }
  return undefined;
}

export interface ProcSample {
  at: number;
  rssBytes: number;
  /** user + system CPU time so far, in seconds. */
  cpuSeconds: number;
  threads: number;
}

/** RSS (VmRSS), CPU time (utime + stime) and thread count of a process, from /proc. */
export function readProc(pid: number): ProcSample {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const threads = Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command (which may hold spaces) start after the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { at: Date.now(), rssBytes: rssKb * 1024, cpuSeconds: ticks / CLOCK_TICKS, threads };
}

/** USER_HZ; 100 on Linux for x86 and arm. */
const CLOCK_TICKS = 100;

/** A Prometheus text exposition as name{labels} → value. */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([^\s{]+(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

/** The sum of every series of metric `name` (any labels), or undefined when none. */
export function metricSum(
  metrics: Map<string, number>,
  name: string,
  labelFilter?: string,
): number | undefined {
  let sum: number | undefined;
  for (const [key, value] of metrics) {
    const base = key.split('{')[0];
    if (base !== name) continue;
    if (labelFilter && !key.includes(labelFilter)) continue;
    sum = (sum ?? 0) + value;
  }
  return sum;
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** CPU seconds so far of a process and, with `children`, of its direct children (Postgres backends). */
export function cpuSecondsOf(pid: number, children = false): number {
  let total = 0;
  try {
    total += readProc(pid).cpuSeconds;
  } catch {
    return NaN;
  }
  if (!children) return total;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== pid) continue;
      total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/**
 * The processes of the system under test, found by the ports they listen on; CPU use between two
 * readings in percent of one core. A process not found is left out.
 */
export class CpuAccount {
  private constructor(private readonly pids: { name: string; pid: number; children: boolean }[]) {}

  static find(ports: { name: string; port: number; children?: boolean }[]): CpuAccount {
    const pids: { name: string; pid: number; children: boolean }[] = [];
    for (const p of ports) {
      const pid = Number.isFinite(p.port) ? pidListeningOn(p.port) : undefined;
      if (pid !== undefined) pids.push({ name: p.name, pid, children: p.children ?? false });
    }
    return new CpuAccount(pids);
  }

  read(): { at: number; cpu: Record<string, number> } {
    const cpu: Record<string, number> = {};
    for (const p of this.pids) cpu[p.name] = cpuSecondsOf(p.pid, p.children);
    const self = process.cpuUsage();
    cpu['bench (this process)'] = (self.user + self.system) / 1e6;
    return { at: performance.now(), cpu };
  }

  /** Percent of one core each process used between `a` and `b`. */
  static between(
    a: { at: number; cpu: Record<string, number> },
    b: { at: number; cpu: Record<string, number> },
  ): Record<string, number> {
    const seconds = (b.at - a.at) / 1000;
    const out: Record<string, number> = {};
    for (const [name, v] of Object.entries(b.cpu)) {
      const before = a.cpu[name];
      if (before !== undefined && Number.isFinite(v) && Number.isFinite(before)) {
        // a Postgres backend that exited between the readings takes its CPU time with it: never below 0
        out[name] = Math.max(0, Math.round(((v - before) / seconds) * 1000) / 10);
      }
    }
    return out;
  }
}
