/**
 * Scale-out: two real worker processes on the same task queue share the work; one is killed with
 * SIGKILL in the middle, and the other finishes everything, each change applied exactly once.
 * The survivor then stops gracefully on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { count, inArray } from 'drizzle-orm';
import { createApp } from '../../api/app';
import { createDatabase, type Database } from '../../db/client';
import { stockLevels, stockMovements } from '../../db/schema';
import { inventoryWorkflowId } from '../../domain/names';
import { connectTemporal, type TemporalHandle } from '../../lib/temporal';
import { freePort, readContext } from '../support/infrastructure';
import { createTestDatabase, eventually, silentLogger, stockAdjusted, uniqueKey } from '../support/harness';

const ROOT = path.resolve(__dirname, '..', '..');
const context = readContext();
const taskQueuePrefix = `scale-${randomUUID()}`;
let database: Database;
let databaseUrl: string;
let dropDatabase: () => Promise<void>;
let temporal: TemporalHandle;
const workers: { proc: ChildProcess; port: number; output: string; exited: Promise<number | null> }[] = [];

async function startWorkerProcess() {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers', 'main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: context.temporalAddress,
      TEMPORAL_NAMESPACE: context.namespace,
      TEMPORAL_TASK_QUEUE: taskQueuePrefix,
      // its own schedule ids: the worker registers the batch schedules at start
      SCHEDULE_ID_PREFIX: `${taskQueuePrefix}-`,
      WORKER_DOMAINS: 'inventory',
      WORKER_HEALTH_PORT: String(port),
      WORKER_SHUTDOWN_GRACE_MS: '3000',
      WORKFLOW_BUNDLE_PATH: context.workflowBundlePath,
      LOG_LEVEL: 'info',
      ...(process.env.TEST_WORKFLOW_CACHE_SIZE
        ? { WORKER_MAX_CACHED_WORKFLOWS: process.env.TEST_WORKFLOW_CACHE_SIZE }
        : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const worker = {
    proc,
    port,
    output: '',
    exited: new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code))),
  };
  proc.stdout?.on('data', (b: Buffer) => (worker.output += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (worker.output += b.toString()));
  workers.push(worker);
  await eventually(async () => {
    if (proc.exitCode !== null) throw new Error(`worker exited: ${worker.output}`);
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    return r.ok ? true : undefined;
  }, 60_000);
  return worker;
}

beforeAll(async () => {
  const testDb = await createTestDatabase(context);
  databaseUrl = testDb.url;
  dropDatabase = testDb.drop;
  database = createDatabase(databaseUrl, { max: 5 });
  temporal = connectTemporal(context.temporalAddress, {
    namespace: context.namespace,
    taskQueuePrefix,
    uiUrl: context.uiUrl,
  });
}, 60_000);

afterAll(async () => {
  for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await temporal?.connection.close();
  await database?.close();
  await dropDatabase?.();
});

/** Which worker processes (by pid) started workflow or activity tasks of these workflows. */
async function pidsThatWorked(workflowIds: string[]): Promise<Set<number>> {
  const pids = new Set<number>();
  for (const id of workflowIds) {
    const history = await temporal.client.workflow.getHandle(id).fetchHistory();
    for (const e of history.events ?? []) {
      const identity =
        e.activityTaskStartedEventAttributes?.identity ?? e.workflowTaskStartedEventAttributes?.identity;
      const pid = identity ? Number(identity.split('@')[0]) : NaN;
      if (Number.isInteger(pid)) pids.add(pid);
    }
  }
  return pids;
}

it('spreads work over two worker processes; when one is killed the other finishes everything', async () => {
  const app = createApp({ db: database.db, temporal, logger: silentLogger, bodyLimitBytes: 1 << 20 });
  const [a, b] = [await startWorkerProcess(), await startWorkerProcess()];

  const skus = Array.from({ length: 30 }, () => uniqueKey('SKU'));
  const round = (n: number) => skus.flatMap((sku) => [stockAdjusted({ sku, delta: n })]);
  const onHandOf = async () => {
    const rows = await database.db.select().from(stockLevels).where(inArray(stockLevels.sku, skus));
    return new Map(rows.map((r) => [r.sku, r.onHand]));
  };
  const allAt = (value: number) => async () => {
    const levels = await onHandOf();
    return skus.every((s) => levels.get(s) === value) ? true : undefined;
  };

  await request(app).post('/v1/events/batch').send(round(10)).expect(200);
  await request(app).post('/v1/events/batch').send(round(5)).expect(200);
  await eventually(allAt(15), 60_000);
  const pids = await pidsThatWorked(skus.map(inventoryWorkflowId));
  expect(pids).toEqual(new Set([a.proc.pid, b.proc.pid]));

  // the workers' logs are JSON lines; the SDK's activity context and the causing event are on each
  const lines = `${a.output}\n${b.output}`
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const applied = lines.find((l) => l.msg === 'stock change applied');
  expect(applied).toMatchObject({
    level: 30,
    name: 'worker',
    source: 'temporal-sdk',
    activityType: 'applyStockChange',
    workflowType: 'inventoryItemWorkflow',
    taskQueue: `${taskQueuePrefix}-inventory`,
    workflowId: expect.stringMatching(/^sku-SKU-/),
    workflowRunId: expect.any(String),
    eventId: expect.stringMatching(/^evt-/),
    correlationId: expect.any(String),
  });
  expect(`${a.output}${b.output}`).not.toContain(databaseUrl);

  // kill one while the next round is being processed
  const sent = request(app).post('/v1/events/batch').send(round(1)).expect(200);
  a.proc.kill('SIGKILL');
  await sent;
  await request(app).post('/v1/events/batch').send(round(2)).expect(200);
  expect(await a.exited).toBeNull();

  await eventually(allAt(18), 90_000);
  const [movements] = (await database.db
    .select({ n: count() })
    .from(stockMovements)
    .where(inArray(stockMovements.sku, skus))) as [{ n: number }];
  expect(movements.n).toBe(skus.length * 4);

  // the survivor stops gracefully: drains and exits 0 within its bound (it exits 1 past it)
  b.proc.kill('SIGTERM');
  expect(await b.exited).toBe(0);
}, 180_000);
