/**
 * `npm start` with the Kafka connector configured: an event produced to the in-topic reaches its
 * workflow; an outbox event is published to Kafka and offered to a webhook subscription whose
 * receiver is down, which is disabled, and its alert.raised is published too; Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { createKafka } from '../../api/kafka';
import { createDatabase } from '../../db/client';
import { appendOutbox } from '../../db/queries/outbox';
import { startKafkaBroker, type KafkaBroker } from '../../scripts/lib/kafka-broker';
import { freePort } from '../support/infrastructure';
import { eventually, stockAdjusted, uniqueKey } from '../support/harness';

const ROOT = path.resolve(__dirname, '..', '..');

let broker: KafkaBroker | undefined;
let proc: ChildProcess | undefined;
let dataDir: string;
afterAll(async () => {
  if (proc?.pid && proc.exitCode === null) process.kill(-proc.pid, 'SIGKILL');
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  await broker?.stop();
});

it('runs the connector in the API process: events in, outbox out, clean stop', async () => {
  broker = await startKafkaBroker();
  const kafka = createKafka(broker.brokers, 'erp-start-test');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: ['shop.events', 'erp.dead-letter', 'erp.order', 'erp.subscription'].map((topic) => ({ topic })),
    waitForLeaders: true,
  });
  await admin.disconnect();

  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-start-kafka-'));
  fs.chmodSync(dataDir, 0o755);
  const ports = {
    EMBEDDED_PG_PORT: await freePort(),
    TEMPORAL_DEV_PORT: await freePort(),
    TEMPORAL_DEV_UI_PORT: await freePort(),
    API_PORT: await freePort(),
    WORKER_HEALTH_PORT: await freePort(),
  };
  const settingsFile = path.join(dataDir, 'settings.json');
  // a subscription to a port nothing listens on, disabled fast: its alert goes out through Kafka
  fs.writeFileSync(
    settingsFile,
    JSON.stringify({
      integration: {
        webhookAllowPrivateTargets: true,
        webhookRetryInitialInterval: '100 milliseconds',
        webhookRetryMaxInterval: '200 milliseconds',
        webhookRetryPeriod: '1 second',
      },
    }),
  );
  let output = '';
  proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'start.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      LOG_LEVEL: 'warn',
      SETTINGS_FILE: settingsFile,
      KAFKA_BROKERS: broker.brokers.join(','),
      KAFKA_IN_TOPICS: 'shop.events',
      KAFKA_DEAD_LETTER_TOPIC: 'erp.dead-letter',
      KAFKA_OUT_TOPIC_PREFIX: 'erp.',
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc?.once('exit', (code) => resolve(code)));
  await eventually(async () => (output.includes('The ERP is up') ? true : undefined), 120_000);
  const api = `http://127.0.0.1:${ports.API_PORT}`;
  const auth = {
    Authorization: `Bearer ${fs.readFileSync(path.join(dataDir, 'dev-api-key'), 'utf8').trim()}`,
  };

  const sku = uniqueKey('SKU');
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'shop.events',
    messages: [{ key: sku, value: JSON.stringify(stockAdjusted({ sku, delta: 4 })) }],
  });
  await producer.disconnect();
  await eventually(async () => {
    const body = (await (await fetch(`${api}/v1/inventory/${sku}`, { headers: auth })).json()) as {
      onHand?: number;
    };
    return body.onHand === 4 ? true : undefined;
  }, 60_000);

  const unused = await freePort();
  const created = await fetch(`${api}/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ url: `http://127.0.0.1:${unused}/hooks` }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  // what a workflow's activity does: an event in the outbox (the subscription and Kafka both get it)
  const database = createDatabase(`postgres://postgres:postgres@localhost:${ports.EMBEDDED_PG_PORT}/erp`);
  const orderId = uniqueKey('O');
  const written = await database.db.transaction((tx) =>
    appendOutbox(tx, {
      aggregateType: 'order',
      aggregateId: orderId,
      type: 'order.invoiced',
      payload: { orderId },
      idempotencyKey: `order.invoiced/${orderId}`,
      cause: { correlationId: orderId },
    }),
  );
  await database.close();

  // the relay wakes the subscription; nothing listens, so it is disabled and raises an alert
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  const got: { topic: string; message: KafkaMessage }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: ['erp.order', 'erp.subscription'], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ topic, message }) => void got.push({ topic, message }) });
  try {
    await eventually(async () => (got.length >= 2 ? true : undefined), 90_000);
  } finally {
    await consumer.disconnect();
  }
  const byTopic = Object.fromEntries(got.map((g) => [g.topic, JSON.parse(g.message.value!.toString())]));
  expect(byTopic['erp.order']).toMatchObject({ id: written.id, type: 'order.invoiced', subject: orderId });
  expect(byTopic['erp.subscription']).toMatchObject({
    type: 'alert.raised',
    subject: id,
    data: { alert: 'webhook_subscription_disabled', eventId: written.id },
  });
  const sub = (await (await fetch(`${api}/v1/subscriptions/${id}`, { headers: auth })).json()) as {
    status: string;
  };
  expect(sub.status).toBe('disabled');

  process.kill(-(proc.pid as number), 'SIGINT');
  expect(await exited).toBe(0);
}, 240_000);
