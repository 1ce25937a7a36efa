/**
 * Real worker processes (`workers/main.ts`) for the fault tests: started on a database and task
 * queue of the test's own, killed for real (SIGKILL), and started again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from './infrastructure';
import { eventually } from './harness';

const ROOT = path.resolve(__dirname, '..', '..');

export interface WorkerProcess {
  proc: ChildProcess;
  pid: number;
  output(): string;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface WorkerProcessOptions {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueuePrefix: string;
  workflowBundlePath: string;
  /** WORKER_DOMAINS (default: every domain). */
  domains?: string;
  /** A SETTINGS_FILE for the process. */
  settingsFile?: string;
  env?: Record<string, string>;
}

/** Starts `workers/main.ts` and waits until its /readyz answers. */
export async function startWorkerProcess(opts: WorkerProcessOptions): Promise<WorkerProcess> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers', 'main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: opts.databaseUrl,
      TEMPORAL_ADDRESS: opts.temporalAddress,
      TEMPORAL_NAMESPACE: opts.namespace,
      TEMPORAL_TASK_QUEUE: opts.taskQueuePrefix,
      SCHEDULE_ID_PREFIX: `${opts.taskQueuePrefix}-`,
      ...(opts.domains ? { WORKER_DOMAINS: opts.domains } : {}),
      ...(opts.settingsFile ? { SETTINGS_FILE: opts.settingsFile } : {}),
      WORKER_HEALTH_PORT: String(port),
      WORKER_SHUTDOWN_GRACE_MS: '2000',
      WORKFLOW_BUNDLE_PATH: opts.workflowBundlePath,
      LOG_LEVEL: 'warn',
      // `npm run test:cache3`: the worker processes run with the small cache too
      ...(process.env.TEST_WORKFLOW_CACHE_SIZE
        ? { WORKER_MAX_CACHED_WORKFLOWS: process.env.TEST_WORKFLOW_CACHE_SIZE }
        : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)));
  proc.stderr?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const worker: WorkerProcess = {
    proc,
    pid: proc.pid ?? -1,
    output: () => output,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  try {
    await eventually(async () => {
      if (proc.exitCode !== null) throw new Error(`worker exited: ${output}`);
      const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      return r?.ok ? true : undefined;
    }, 90_000);
  } catch (err) {
    await worker.kill();
    throw err;
  }
  return worker;
}
