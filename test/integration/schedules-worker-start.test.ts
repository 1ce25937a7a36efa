/**
 * The worker process itself (workers/main.ts) registers the batch schedules at start: started three
 * times (two restarts), it creates them once and then leaves them as they are; an operator's pause
 * survives a restart.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { SCHEDULE_DEFINITIONS, deleteSchedules } from '../../workers/schedules';
import { freePort } from '../support/infrastructure';
import { eventually, startHarness, type Harness } from '../support/harness';

const ROOT = path.resolve(__dirname, '..', '..');

let h: Harness;
let idPrefix: string;
beforeAll(async () => {
  h = await startHarness();
  idPrefix = `${h.taskQueuePrefix}-proc-`;
});
afterAll(async () => {
  if (h) await deleteSchedules(h.temporal.client, { idPrefix }).catch(() => undefined);
  await h?.close();
});

/** Runs `npm run worker` until it is ready, then stops it with SIGTERM; answers its output. */
async function startAndStopWorker(): Promise<string> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers', 'main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: h.databaseUrl,
      TEMPORAL_ADDRESS: h.context.temporalAddress,
      TEMPORAL_NAMESPACE: h.context.namespace,
      TEMPORAL_TASK_QUEUE: h.taskQueuePrefix,
      SCHEDULE_ID_PREFIX: idPrefix,
      WORKER_DOMAINS: 'finance',
      WORKER_HEALTH_PORT: String(port),
      WORKER_SHUTDOWN_GRACE_MS: '2000',
      WORKFLOW_BUNDLE_PATH: h.context.workflowBundlePath,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  try {
    // registration is awaited before the health endpoints listen
    await eventually(async () => {
      if (proc.exitCode !== null) throw new Error(`worker exited: ${output}`);
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      return r.ok ? true : undefined;
    }, 60_000);
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
  return output;
}

const outcomes = (output: string) =>
  output
    .split('\n')
    .filter((l) => l.includes('"schedule registered"'))
    .map((l) => JSON.parse(l) as { scheduleId: string; outcome: string })
    .map((l) => `${l.scheduleId.slice(idPrefix.length)} ${l.outcome}`);

it('creates the schedules at the first start and leaves them unchanged over two restarts', async () => {
  const handles = SCHEDULE_DEFINITIONS.map((d) =>
    h.temporal.client.schedule.getHandle(`${idPrefix}${d.scheduleId}`),
  );
  for (const handle of handles) await expect(handle.describe()).rejects.toThrow(ScheduleNotFoundError);

  expect(outcomes(await startAndStopWorker())).toEqual([
    'reconciliation-nightly created',
    'inventory-sweep created',
    'receivables-ageing-report created',
  ]);
  const created = await Promise.all(handles.map((x) => x.describe()));
  expect(created.map((d) => d.action.taskQueue)).toEqual([
    `${h.taskQueuePrefix}-finance`,
    `${h.taskQueuePrefix}-inventory`,
    `${h.taskQueuePrefix}-finance`,
  ]);
  await handles[1]?.pause('paused before a restart');

  for (let restart = 0; restart < 2; restart++) {
    expect(outcomes(await startAndStopWorker())).toEqual([
      'reconciliation-nightly unchanged',
      'inventory-sweep unchanged',
      'receivables-ageing-report unchanged',
    ]);
  }
  const after = await Promise.all(handles.map((x) => x.describe()));
  for (let i = 0; i < after.length; i++) {
    expect(after[i]?.info.createdAt).toEqual(created[i]?.info.createdAt);
    expect(after[i]?.spec).toEqual(created[i]?.spec);
    expect(after[i]?.info.lastUpdatedAt).toEqual(created[i]?.info.lastUpdatedAt);
  }
  expect(after[1]?.state).toMatchObject({ paused: true, note: 'paused before a restart' });
}, 180_000);
