/**
 * Postgres stopped while activities run: this file starts a Postgres of its own (the run's shared
 * one serves every other file), stops it right after payments arrive, while the matching,
 * allocating and shipping activities run, and starts it again on the same data. The activities
 * fail, retry with backoff (the `short` preset retries for as long as Postgres is away) and
 * succeed once it is back; every effect happens once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { sql } from 'drizzle-orm';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { createDatabase, type Database } from '../../db/client';
import { runMigrations } from '../../db/migrate';
import { DOMAINS } from '../../domain/names';
import { invoiceNumberFor } from '../../domain/sales';
import { businessSettingsSchema } from '../../domain/settings';
import { connectTemporal } from '../../lib/temporal';
import { createDomainWorkers } from '../../workers/worker';
import { freePort, readContext } from '../support/infrastructure';
import { startPostgresProcess, type PostgresProcess } from '../support/postgres-process';
import { eventually, silentLogger, testWorkflowCacheSize, uniqueKey, type Harness } from '../support/harness';
import {
  addStock,
  createCustomer,
  placeOrder,
  sendPaymentEvent,
  stockOf,
  waitForStatus,
} from '../support/orders';
import {
  expectCompletedOnce,
  expectJournalBalanced,
  expectStockSane,
  orderEffects,
} from '../support/effects';

const context = readContext();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-pg-outage-'));
fs.chmodSync(scratch, 0o755);
const dataDir = path.join(scratch, 'pg');
let port: number;
let pg: PostgresProcess | undefined;
let database: Database;
let connection: NativeConnection;
let workers: Worker[] = [];
let running: Promise<unknown>;
let h: Harness;

const startPostgres = () => startPostgresProcess(dataDir, port);

beforeAll(async () => {
  port = await freePort();
  pg = await startPostgres();
  await runMigrations(pg.url);
  database = createDatabase(pg.url, { max: 10 });
  const settings = businessSettingsSchema.parse({});
  const taskQueuePrefix = `pg-outage-${randomUUID()}`;
  connection = await NativeConnection.connect({ address: context.temporalAddress });
  workers = (
    await createDomainWorkers({
      connection,
      namespace: context.namespace,
      taskQueuePrefix,
      domains: DOMAINS,
      db: database.db,
      settings,
      workflowBundle: { codePath: context.workflowBundlePath },
      maxCachedWorkflows: testWorkflowCacheSize(),
    })
  ).map((w) => w.worker);
  running = Promise.all(workers.map((w) => w.run()));
  const temporal = connectTemporal(context.temporalAddress, {
    namespace: context.namespace,
    taskQueuePrefix,
    uiUrl: context.uiUrl,
  });
  const app = createApp({ db: database.db, temporal, logger: silentLogger, bodyLimitBytes: 65536, settings });
  // what the order helpers use of a harness
  h = { context, app, settings, database, databaseUrl: pg.url, temporal, taskQueuePrefix } as Harness;
}, 120_000);

afterAll(async () => {
  for (const w of workers) w.shutdown();
  await running;
  await connection?.close();
  await h?.temporal.connection.close();
  await database?.close();
  await pg?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

it('activities retry while Postgres is down and finish once it is back, each effect once', async () => {
  const customerId = await createCustomer(h);
  const skus = [uniqueKey('SKU-PG1'), uniqueKey('SKU-PG2')] as const;
  for (const sku of skus) await addStock(h, sku, 20);
  const orders: { orderId: string; total: number; paymentId: string }[] = [];
  for (let i = 0; i < 4; i++) {
    const orderId = await placeOrder(h, {
      customerId,
      lines: [
        { sku: skus[0], quantity: 1 + i, unitPrice: 1500 },
        { sku: skus[1], quantity: 2, unitPrice: 700 + i },
      ],
    });
    const { total } = await waitForStatus(h, orderId, 'invoiced', 60_000);
    orders.push({ orderId, total, paymentId: uniqueKey('PAY') });
  }

  for (const o of orders) {
    const reference = `Payment for ${invoiceNumberFor(o.orderId)}`;
    await sendPaymentEvent(h, { amount: o.total, customerId, reference }, o.paymentId);
  }
  // down while the reconciliations and orders run their activities
  await pg!.stop();
  pg = undefined;
  const down = Date.now();
  // activities fail meanwhile: wait until at least one attempt was retried, then a little more
  await eventually(async () => {
    for (const id of orders.flatMap((o) => [`payment-${o.paymentId}`, `order-${o.orderId}`])) {
      const d = await h.temporal.client.workflow.getHandle(id).describe();
      if (d.raw.pendingActivities?.some((a) => (a.attempt ?? 0) > 1)) return true;
    }
    return undefined;
  }, 60_000);
  await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (Date.now() - down))));
  pg = await startPostgres();

  for (const o of orders) await waitForStatus(h, o.orderId, 'shipped', 120_000);
  for (const o of orders) {
    await request(h.app)
      .post(`/v1/orders/${o.orderId}/shipment-confirmation`)
      .send({ shipmentId: `SH-${o.orderId}` })
      .expect(200);
  }
  for (const o of orders) {
    expectCompletedOnce(await orderEffects(database.db, o.orderId), o.orderId, skus, o.paymentId);
  }
  expect(await stockOf(h, skus[0])).toEqual({ onHand: 20 - (1 + 2 + 3 + 4), reserved: 0 });
  expect(await stockOf(h, skus[1])).toEqual({ onHand: 20 - 8, reserved: 0 });
  const moves = await database.db.execute(sql`select count(*)::int as n from stock_movements`);
  expect(moves.rows[0]).toEqual({ n: 2 + 8 });
  await expectStockSane(database.db, skus);
  await expectJournalBalanced(database.db);
}, 300_000);
