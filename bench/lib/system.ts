/**
 * Starts the system the way the quick start does (`scripts/start.ts`, what `npm start` runs after
 * its dependency check) as a child process with its own DATA_DIR and ports, waits until the API
 * and the worker answer /readyz, and describes the machine, the versions and the settings.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'pg';
import { loadConfig, type Config } from '../../lib/config';
import { resolveTemporalCli } from '../../scripts/lib/temporal-dev-server';

const ROOT = path.resolve(__dirname, '..', '..');

/** The settings the benchmark runs the system with, unless the environment says otherwise. */
export const BENCH_DEFAULTS: Record<string, string> = {
  API_PORT: '3100',
  EMBEDDED_PG_PORT: '15500',
  TEMPORAL_DEV_PORT: '17300',
  TEMPORAL_DEV_UI_PORT: '18300',
  WORKER_HEALTH_PORT: '3101',
  DATA_DIR: path.join(os.tmpdir(), 'erp-bench'),
  AUTH_MODE: 'keys',
  // the default 600 requests per minute and key would measure the rate limiter, not the path
  RATE_LIMIT_PER_MINUTE: '0',
  TEMPORAL_TASK_QUEUE: 'erp',
};

export interface RunningSystem {
  config: Config;
  env: Record<string, string>;
  baseUrl: string;
  workerUrl: string;
  apiKey?: string;
  temporalAddress: string;
  databaseUrl: string;
  dataDir: string;
  logFile: string;
  stop(): Promise<void>;
}

async function waitForHttp(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!alive()) throw new Error(`the system stopped before ${url} answered (see the log)`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

/** The bench's settings: BENCH_DEFAULTS under the caller's environment (BENCH_* names win). */
export function benchEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(BENCH_DEFAULTS)) env[k] = process.env[`BENCH_${k}`] ?? v;
  for (const k of [
    'WORKER_MAX_CACHED_WORKFLOWS',
    'WORKER_MAX_CONCURRENT_ACTIVITIES',
    'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
    'DB_POOL_MAX',
    'LOG_LEVEL',
  ]) {
    const v = process.env[`BENCH_${k}`];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

/**
 * Starts a fresh system (the DATA_DIR is emptied first, so counts start at zero). Its output goes
 * to `logFile`. DATABASE_URL and TEMPORAL_ADDRESS are removed from the child's environment, so it
 * runs its own embedded Postgres and Temporal dev server as the quick start does.
 */
export async function startSystem(opts: { logFile: string; keepData?: boolean }): Promise<RunningSystem> {
  const env = benchEnv();
  const config = loadConfig({ ...process.env, ...env, DATABASE_URL: '', TEMPORAL_ADDRESS: '' });
  const dataDir = path.resolve(ROOT, config.DATA_DIR);
  if (!opts.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = fs.openSync(opts.logFile, 'a');
  const childEnvironment: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnvironment.DATABASE_URL;
  delete childEnvironment.TEMPORAL_ADDRESS;
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'scripts/start.ts')],
    {
      cwd: ROOT,
      env: childEnvironment,
      stdio: ['ignore', log, log],
    },
  );
  let exited = false;
  proc.once('exit', () => {
    exited = true;
  });
  const stop = async () => {
    if (exited) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  };
  const baseUrl = `http://127.0.0.1:${config.API_PORT}`;
  const workerUrl = `http://127.0.0.1:${config.WORKER_HEALTH_PORT}`;
  try {
    await waitForHttp(`${baseUrl}/readyz`, 240_000, () => !exited);
    await waitForHttp(`${workerUrl}/readyz`, 240_000, () => !exited);
  } catch (err) {
    await stop();
    throw err;
  }
  const keyFile = path.join(dataDir, 'dev-api-key');
  const apiKey = fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8').trim() : undefined;
  return {
    config,
    env,
    baseUrl,
    workerUrl,
    apiKey,
    temporalAddress: `127.0.0.1:${config.TEMPORAL_DEV_PORT}`,
    databaseUrl: `postgres://postgres:postgres@localhost:${config.EMBEDDED_PG_PORT}/erp`,
    dataDir,
    logFile: opts.logFile,
    stop,
  };
}

export interface Environment {
  machine: {
    cpuModel: string;
    cores: number;
    memoryGiB: number;
    platform: string;
    loadAverageBefore: number[];
    loadAverageAfter?: number[];
  };
  versions: Record<string, string>;
  settings: Record<string, string | number>;
}

function packageVersion(name: string): string {
  try {
    const file = path.join(ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The machine, versions and settings, read from the running system where it can tell. */
export async function describeEnvironment(system: RunningSystem): Promise<Environment> {
  const cpus = os.cpus();
  const versions: Record<string, string> = {
    node: process.version,
    '@temporalio/client, worker': packageVersion('@temporalio/client'),
    pg: packageVersion('pg'),
    'drizzle-orm': packageVersion('drizzle-orm'),
    express: packageVersion('express'),
  };
  try {
    const cli = resolveTemporalCli(system.config, () => undefined);
    if (cli.executable.type === 'existing-path') {
      versions['temporal CLI (dev server)'] = execFileSync(cli.executable.path, ['--version'], {
        encoding: 'utf8',
      }).trim();
    } else versions['temporal CLI (dev server)'] = 'the SDK download';
  } catch (err) {
    versions['temporal CLI (dev server)'] = `unknown (${(err as Error).message})`;
  }
  try {
    const connection = await Connection.connect({ address: system.temporalAddress });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      versions['Temporal server'] = info.serverVersion || 'unknown';
    } finally {
      await connection.close();
    }
  } catch {
    versions['Temporal server'] = 'unknown';
  }
  const settings: Record<string, string | number> = {
    'worker cache size (WORKER_MAX_CACHED_WORKFLOWS, per task queue)':
      system.config.WORKER_MAX_CACHED_WORKFLOWS,
    'max concurrent workflow task slots (per task queue)': system.config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    'max concurrent activity task slots (per task queue)': system.config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    'worker task queues (one worker each)': system.config.WORKER_DOMAINS.length,
    'API pg pool (DB_POOL_MAX)': system.config.DB_POOL_MAX,
    'worker pg pool (DB_POOL_MAX)': system.config.DB_POOL_MAX,
    'rate limit per key (RATE_LIMIT_PER_MINUTE, 0 = off)': system.config.RATE_LIMIT_PER_MINUTE,
    AUTH_MODE: system.config.AUTH_MODE,
    LOG_LEVEL: system.config.LOG_LEVEL,
    'route delivery timeout (ms)': system.config.ROUTE_DELIVERY_TIMEOUT_MS,
  };
  const pool = new Pool({ connectionString: system.databaseUrl, max: 1 });
  try {
    const show = async (name: string) =>
      ((await pool.query<Record<string, string>>(`show ${name}`)).rows[0] ?? {})[name] ?? 'unknown';
    versions.Postgres = await show('server_version');
    for (const name of ['synchronous_commit', 'fsync', 'shared_buffers', 'max_connections', 'wal_level'])
      settings[`Postgres ${name}`] = await show(name);
  } finally {
    await pool.end();
  }
  return {
    machine: {
      cpuModel: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      loadAverageBefore: os.loadavg().map((l) => Math.round(l * 100) / 100),
    },
    versions,
    settings,
  };
}

/** Connects a Temporal client to the system's dev server (the bench's own connection). */
export async function temporalClient(
  address: string,
  namespace: string,
): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace }), close: () => connection.close() };
}

/** The worker and pool settings this process's environment names (defaults where unset), or none when it is not the system's environment. */
export function workerSettingsInEnv(): Record<string, unknown> {
  try {
    const c = loadConfig();
    return {
      WORKER_MAX_CACHED_WORKFLOWS: c.WORKER_MAX_CACHED_WORKFLOWS,
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: c.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      WORKER_MAX_CONCURRENT_ACTIVITIES: c.WORKER_MAX_CONCURRENT_ACTIVITIES,
      DB_POOL_MAX: c.DB_POOL_MAX,
    };
  } catch {
    return {};
  }
}
