/**
 * Temporal stopped in the middle: the API keeps answering 202 (stored), and once Temporal is back
 * the relay routes every waiting event exactly once, in order: stock changes, and an order placed,
 * paid and restocked during the outage, which ships after it. This file runs its own dev server
 * (persisted to a file, so a restart keeps the executions) because it stops it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { asc, eq, inArray } from 'drizzle-orm';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { relayPendingRoutes } from '../../api/routing';
import { createDatabase, type Database } from '../../db/client';
import { eventRoutes, stockLevels, stockMovements } from '../../db/schema';
import { loadConfig } from '../../lib/config';
import { connectTemporal, type TemporalHandle } from '../../lib/temporal';
import { createDomainWorkers, createWorker } from '../../workers/worker';
import { DOMAINS, taskQueueName } from '../../domain/names';
import { invoiceNumberFor } from '../../domain/sales';
import { startDevServer, type DevServer } from '../../scripts/lib/temporal-dev-server';
import { freePort, readContext } from '../support/infrastructure';
import {
  createTestDatabase,
  eventually,
  silentLogger,
  stockAdjusted,
  testWorkflowCacheSize,
  uniqueKey,
  type Harness,
} from '../support/harness';
import { addStock, createCustomer, outboxRows, outboxTypes, waitForStatus } from '../support/orders';

const context = readContext();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-outage-'));
const dbFilename = path.join(scratch, 'temporal.db');
const taskQueuePrefix = `outage-${randomUUID()}`;
let port: number;
let server: DevServer | undefined;
let database: Database;
let dropDatabase: () => Promise<void>;
let temporal: TemporalHandle;
let worker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;

const startServer = async () =>
  startDevServer({
    config: loadConfig(),
    port,
    dbFilename,
    namespace: context.namespace,
    log: () => undefined,
  });

async function startWorker() {
  const connection = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
  const w = await createWorker({
    connection,
    namespace: context.namespace,
    taskQueue: taskQueueName(taskQueuePrefix, 'inventory'),
    taskQueuePrefix,
    db: database.db,
    workflowBundle: { codePath: context.workflowBundlePath },
    maxCachedWorkflows: testWorkflowCacheSize(),
  });
  return { worker: w, running: w.run(), connection };
}

async function stopWorker() {
  if (!worker) return;
  worker.worker.shutdown();
  await worker.running;
  await worker.connection.close();
  worker = undefined;
}

beforeAll(async () => {
  port = await freePort();
  server = await startServer();
  const testDb = await createTestDatabase(context);
  dropDatabase = testDb.drop;
  database = createDatabase(testDb.url, { max: 5 });
  temporal = connectTemporal(`127.0.0.1:${port}`, {
    namespace: context.namespace,
    taskQueuePrefix,
    uiUrl: context.uiUrl,
    rpcTimeoutMs: 1000,
  });
}, 60_000);

afterAll(async () => {
  await stopWorker();
  await temporal?.connection.close();
  await server?.stop();
  await database?.close();
  await dropDatabase?.();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const movementsOf = async (sku: string) =>
  database.db
    .select()
    .from(stockMovements)
    .where(eq(stockMovements.sku, sku))
    .orderBy(asc(stockMovements.id));
const onHand = async (sku: string) =>
  (await database.db.select().from(stockLevels).where(eq(stockLevels.sku, sku)))[0]?.onHand;

it('stores events while Temporal is down and routes each exactly once after it restarts', async () => {
  const app = createApp({ db: database.db, temporal, logger: silentLogger, bodyLimitBytes: 65536 });
  const sku = uniqueKey('SKU');
  const workflowId = `sku-${sku}`;
  worker = await startWorker();

  const before = [stockAdjusted({ sku, delta: 10 }), stockAdjusted({ sku, delta: 5 })];
  for (const e of before) {
    const res = await request(app).post('/v1/events').send(e).expect(202);
    expect(res.body.routing.status).toBe('delivered');
  }
  await eventually(async () => ((await onHand(sku)) === 15 ? true : undefined));

  await stopWorker();
  await server?.stop();
  server = undefined;

  const during = [
    stockAdjusted({ sku, delta: -3 }),
    stockAdjusted({ sku, quantity: 20 }),
    stockAdjusted({ sku, delta: 1 }),
  ];
  for (const e of during) {
    const res = await request(app).post('/v1/events').send(e).expect(202);
    expect(res.body).toMatchObject({ status: 'accepted', routing: { status: 'pending', workflowId } });
  }
  const pending = await request(app).get('/v1/events').query({ routing: 'pending' }).expect(200);
  expect(pending.body.items.map((i: { eventId: string }) => i.eventId)).toEqual(during.map((e) => e.id));
  // while down, a relay pass routes nothing and loses nothing
  expect(await relayPendingRoutes(database.db, temporal, { limit: 100 })).toMatchObject({
    delivered: 0,
  });

  server = await startServer();
  let delivered = 0;
  await eventually(async () => {
    delivered += (await relayPendingRoutes(database.db, temporal, { limit: 100 })).delivered;
    return delivered === 3 ? true : undefined;
  }, 60_000);
  worker = await startWorker();

  await eventually(async () => ((await onHand(sku)) === 21 ? true : undefined), 30_000);
  const movements = await movementsOf(sku);
  expect(movements.map((m) => [m.causationId, m.delta])).toEqual([
    [before[0]!.id, 10],
    [before[1]!.id, 5],
    [during[0]!.id, -3],
    [during[1]!.id, 8],
    [during[2]!.id, 1],
  ]);
  const routes = await database.db.select().from(eventRoutes).where(eq(eventRoutes.workflowId, workflowId));
  expect(routes).toHaveLength(5);
  expect(routes.every((r) => r.status === 'delivered' && r.runId)).toBe(true);

  // the execution received each event once: five signals, no repeats
  const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
  expect(signals).toHaveLength(5);

  expect(await relayPendingRoutes(database.db, temporal, { limit: 100 })).toMatchObject({
    delivered: 0,
    failed: 0,
  });
}, 120_000);

/** A worker per domain on the restartable server, with a connection of its own. */
async function startDomainWorkers() {
  const connection = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
  const ws = (
    await createDomainWorkers({
      connection,
      namespace: context.namespace,
      taskQueuePrefix,
      domains: DOMAINS,
      db: database.db,
      workflowBundle: { codePath: context.workflowBundlePath },
      maxCachedWorkflows: testWorkflowCacheSize(),
    })
  ).map((w) => w.worker);
  const running = Promise.all(ws.map((w) => w.run()));
  return {
    async stop() {
      for (const w of ws) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      await connection.close();
    },
  };
}

const event = (type: string, data: Record<string, unknown>) => ({
  specversion: '1.0',
  id: `evt-${randomUUID()}`,
  source: 'test/outage',
  type,
  data,
});

it('order-to-cash through an outage: an order, a payment and stock stored while down, each routed once after', async () => {
  const app = createApp({ db: database.db, temporal, logger: silentLogger, bodyLimitBytes: 65536 });
  // what the order helpers use of a harness
  const h = { app, database, temporal } as unknown as Harness;
  await stopWorker(); // the first test's inventory worker; these serve every domain
  let domainWorkers: { stop(): Promise<void> } | undefined = await startDomainWorkers();
  try {
    const customerId = await createCustomer(h);
    const sku = uniqueKey('SKU-O');
    await addStock(h, sku, 5);

    // order A placed and invoiced before the outage (2000 + 19 % tax = 2380)
    const [orderA, orderB] = [uniqueKey('O'), uniqueKey('O')];
    const lines = [{ sku, quantity: 2, unitPrice: 1000 }];
    await request(app)
      .post('/v1/orders')
      .send({ orderId: orderA, customerId, currency: 'EUR', paymentTerms: { netDays: 30 }, lines })
      .expect(202);
    await waitForStatus(h, orderA, 'invoiced', 60_000);

    await domainWorkers.stop();
    domainWorkers = undefined;
    await server?.stop();
    server = undefined;

    // while Temporal is down: order B (REST), order A's payment, more stock (events)
    const placed = await request(app)
      .post('/v1/orders')
      .send({
        orderId: orderB,
        customerId,
        currency: 'EUR',
        paymentTerms: { netDays: 30 },
        lines: [{ sku, quantity: 1, unitPrice: 1000 }],
      })
      .expect(202);
    expect(placed.body.event.routing).toMatchObject({ status: 'pending' });
    const during = [
      event('payment.received', {
        paymentId: `PAY-${orderA}`,
        amount: 2380,
        currency: 'EUR',
        customerId,
        reference: `Payment for ${invoiceNumberFor(orderA)}`,
        receivedAt: new Date().toISOString(),
        method: 'bank_transfer',
      }),
      stockAdjusted({ sku, delta: 3 }),
    ];
    for (const e of during) {
      const res = await request(app).post('/v1/events').send(e).expect(202);
      expect(res.body).toMatchObject({ status: 'accepted', routing: { status: 'pending' } });
    }
    const ids = [`order-placed-${orderB}`, ...during.map((e) => e.id)];
    const pending = await request(app).get('/v1/events').query({ routing: 'pending' }).expect(200);
    expect(pending.body.items.map((i: { eventId: string }) => i.eventId)).toEqual(ids);

    server = await startServer();
    let delivered = 0;
    await eventually(async () => {
      delivered += (await relayPendingRoutes(database.db, temporal, { limit: 100 })).delivered;
      return delivered === ids.length ? true : undefined;
    }, 60_000);
    domainWorkers = await startDomainWorkers();

    await waitForStatus(h, orderA, 'shipped', 60_000);
    await waitForStatus(h, orderB, 'invoiced', 60_000);
    expect(await outboxTypes(h, [orderA])).toEqual([
      'order.accepted',
      'order.invoiced',
      'order.paid',
      'order.shipped',
    ]);
    expect(await outboxTypes(h, [orderB])).toEqual(['order.accepted', 'order.invoiced']);
    expect(await outboxRows(h, `PAY-${orderA}`, 'payment.allocated')).toHaveLength(1);
    // every acknowledged event routed exactly once; a further relay pass finds nothing to do
    const routes = await database.db.select().from(eventRoutes).where(inArray(eventRoutes.eventId, ids));
    expect(routes).toHaveLength(ids.length);
    expect(routes.every((r) => r.status === 'delivered' && r.runId)).toBe(true);
    expect(await relayPendingRoutes(database.db, temporal, { limit: 100 })).toMatchObject({
      delivered: 0,
      failed: 0,
    });
    // the stock arrived once: 5 + 3 in, 2 shipped for order A (order B holds 1 reserved)
    await eventually(async () => ((await onHand(sku)) === 6 ? true : undefined), 30_000);
    expect((await movementsOf(sku)).map((m) => m.delta).sort((a, b) => a - b)).toEqual([-2, 3, 5]);
  } finally {
    await domainWorkers?.stop();
  }
}, 180_000);
