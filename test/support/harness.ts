/**
 * Per test file: its own database (cloned from the migrated template), its own task queue, a real
 * worker polling it, and the API app wired to the same database and Temporal server.
 */
import { randomUUID } from 'node:crypto';
import type { Client as TemporalClient } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Express } from 'express';
import type { AuthOptions } from '../../api/auth';
import type { Logger } from '../../lib/logger';
import pino from 'pino';
import { Client } from 'pg';
import { createApp } from '../../api/app';
import { createDatabase, type Database } from '../../db/client';
import { withDatabase } from '../../db/embedded';
import { inventoryStateQuery } from '../../domain/inventory';
import { connectTemporal, type TemporalHandle } from '../../lib/temporal';
import { createDomainWorkers } from '../../workers/worker';
import { createActivities, type Activities } from '../../activities';
import { DOMAINS, taskQueueName } from '../../domain/names';
import {
  businessSettingsSchema,
  type BusinessSettings,
  type BusinessSettingsInput,
} from '../../domain/settings';
import { freePort, readContext, type TestContext } from './infrastructure';

export interface Harness {
  context: TestContext;
  app: Express;
  /** The business settings the workers and the API run with. */
  settings: BusinessSettings;
  database: Database;
  databaseUrl: string;
  temporal: TemporalHandle;
  /** This file's task queue prefix: its workers poll `<prefix>-<domain>`. */
  taskQueuePrefix: string;
  /** This file's schedule id prefix (SCHEDULE_ID_PREFIX), so its schedules are its own. */
  scheduleIdPrefix: string;
  workers: Worker[];
  close(): Promise<void>;
}

/** A fresh database cloned from the migrated template; dropped by the returned function. */
export async function createTestDatabase(
  context: TestContext,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `erp_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new Client({ connectionString: context.adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}" template "${context.templateDatabase}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(context.adminUrl, name),
    async drop() {
      const c = new Client({ connectionString: context.adminUrl });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

export const silentLogger = pino({ level: 'silent' });

/** A unique business key, so test files sharing one Temporal server never share a workflow id. */
export const uniqueKey = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/**
 * The workflow cache size of every test worker: TEST_WORKFLOW_CACHE_SIZE (`npm run test:cache3`
 * sets 3, so executions are evicted and replayed all the time), else the SDK's default.
 */
export function testWorkflowCacheSize(): number | undefined {
  const raw = process.env.TEST_WORKFLOW_CACHE_SIZE;
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`TEST_WORKFLOW_CACHE_SIZE: not a count: ${raw}`);
  return n;
}

export interface HarnessOptions {
  /** Default: TEST_WORKFLOW_CACHE_SIZE, else the SDK's default. */
  maxCachedWorkflows?: number;
  /** false: no in-process workers (the test runs worker processes of its own). */
  workers?: boolean;
  /**
   * Test-only: wraps the activities the in-process workers run (fault injection). Production
   * workers always run createActivities as is.
   */
  wrapActivities?: (activities: Activities) => Activities;
  /** Business settings for the workers and the API (short durations for tests), over the defaults. */
  settings?: BusinessSettingsInput;
  /** API keys and rate limit; default off, so only the access control tests need keys. */
  auth?: AuthOptions;
  /** The API's logger (default silent), e.g. to capture its output. */
  logger?: Logger;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const context = readContext();
  const settings = businessSettingsSchema.parse(opts.settings ?? {});
  const testDb = await createTestDatabase(context);
  const database = createDatabase(testDb.url, { max: 10, applicationName: 'erp-test' });
  const taskQueuePrefix = `test-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address: context.temporalAddress });
  const maxCachedWorkflows = opts.maxCachedWorkflows ?? testWorkflowCacheSize();
  const wrap = opts.wrapActivities;
  const workers =
    opts.workers === false
      ? []
      : wrap
        ? await Promise.all(
            DOMAINS.map((domain) =>
              Worker.create({
                connection,
                namespace: context.namespace,
                taskQueue: taskQueueName(taskQueuePrefix, domain),
                workflowBundle: { codePath: context.workflowBundlePath },
                activities: wrap(createActivities({ db: database.db, settings, taskQueuePrefix })),
                ...(maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows }),
              }),
            ),
          )
        : (
            await createDomainWorkers({
              connection,
              namespace: context.namespace,
              taskQueuePrefix,
              domains: DOMAINS,
              db: database.db,
              settings,
              workflowBundle: { codePath: context.workflowBundlePath },
              maxCachedWorkflows,
            })
          ).map((w) => w.worker);
  const running = Promise.all(workers.map((w) => w.run()));
  const temporal = connectTemporal(context.temporalAddress, {
    namespace: context.namespace,
    taskQueuePrefix,
    uiUrl: context.uiUrl,
  });
  const scheduleIdPrefix = `${taskQueuePrefix}-`;
  const app = createApp({
    db: database.db,
    temporal,
    logger: opts.logger ?? silentLogger,
    bodyLimitBytes: 64 * 1024,
    settings,
    scheduleIdPrefix,
    auth: opts.auth ?? { mode: 'off' },
  });
  return {
    context,
    settings,
    app,
    database,
    databaseUrl: testDb.url,
    temporal,
    taskQueuePrefix,
    scheduleIdPrefix,
    workers,
    async close() {
      for (const w of workers) w.shutdown();
      await running;
      await connection.close();
      await temporal.connection.close();
      await database.close();
      await testDb.drop();
    },
  };
}

/**
 * The API on this harness's database, but with a Temporal address nothing listens on: every
 * delivery fails fast and events stay pending. Close it when done.
 */
export async function offlineApp(h: Harness): Promise<{ app: Express; close(): Promise<void> }> {
  const temporal = connectTemporal(`127.0.0.1:${await freePort()}`, {
    namespace: h.context.namespace,
    taskQueuePrefix: h.taskQueuePrefix,
    uiUrl: h.context.uiUrl,
    rpcTimeoutMs: 500,
  });
  const app = createApp({
    db: h.database.db,
    temporal,
    logger: silentLogger,
    bodyLimitBytes: 65536,
    settings: h.settings,
  });
  return { app, close: () => temporal.connection.close() };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}

/** Waits until the SKU's workflow reports `applied` changes, and returns its state. */
export async function waitForApplied(client: TemporalClient, workflowId: string, applied: number) {
  return eventually(async () => {
    const state = await client.workflow.getHandle(workflowId).query(inventoryStateQuery);
    return state.applied === applied ? state : undefined;
  });
}

export interface TestEvent {
  id: string;
  source: string;
  type: string;
  data: Record<string, unknown>;
  [attribute: string]: unknown;
}

/** A valid inventory.stock_adjusted CloudEvent; fields may be overridden. */
export function stockAdjusted(
  data: Record<string, unknown>,
  envelope: Record<string, unknown> = {},
): TestEvent {
  return {
    specversion: '1.0',
    id: `evt-${randomUUID()}`,
    source: 'test/warehouse',
    type: 'inventory.stock_adjusted',
    time: new Date().toISOString(),
    ...envelope,
    data: { reason: 'cycle count', ...data },
  };
}
