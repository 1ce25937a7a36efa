/**
 * The Kafka connector against a real broker (single node, KRaft) started here: events in with the
 * HTTP API's validation, store and dedupe, offsets committed after the store, poison messages to the
 * dead-letter topic, a consumer restarted mid-stream; outbox events out per aggregate type, and
 * their deliveries in the lineage.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { count, eq, inArray } from 'drizzle-orm';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { createApiMetrics } from '../../api/metrics';
import type { AppDeps } from '../../api/app';
import { createKafka, KAFKA_DESTINATION, publishOutboxToKafka, startKafkaIn } from '../../api/kafka';
import { appendOutbox } from '../../db/queries/outbox';
import { events, outboxDeliveries, stockLevels } from '../../db/schema';
import { startKafkaBroker, type KafkaBroker } from '../../scripts/lib/kafka-broker';
import {
  eventually,
  silentLogger,
  startHarness,
  stockAdjusted,
  uniqueKey,
  type Harness,
} from '../support/harness';

let broker: KafkaBroker;
let h: Harness;
let kafka: Kafka;
let deps: AppDeps;

beforeAll(async () => {
  broker = await startKafkaBroker((line) => process.stderr.write(`${line}\n`));
  h = await startHarness();
  kafka = createKafka(broker.brokers, 'erp-test');
  deps = {
    db: h.database.db,
    temporal: h.temporal,
    logger: silentLogger,
    bodyLimitBytes: 65536,
    metrics: createApiMetrics(h.database.db, { defaultMetrics: false }),
    settings: h.settings,
  };
}, 180_000);
afterAll(async () => {
  await h?.close();
  await broker?.stop();
});

async function createTopics(...topics: string[]) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: 3 })),
    waitForLeaders: true,
  });
  await admin.disconnect();
}

async function produce(topic: string, messages: { key?: string; value: string }[]) {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}

/** Every message of the topics from the beginning, read by a fresh group until `expected` arrived. */
async function readAll(topics: string[], expected: number) {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  const got: { topic: string; partition: number; message: KafkaMessage }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      got.push({ topic, partition, message });
    },
  });
  try {
    await eventually(async () => (got.length >= expected ? true : undefined), 30_000);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

async function committedOffsets(groupId: string, topic: string) {
  const admin = kafka.admin();
  await admin.connect();
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return { committed: committed!.partitions, ends };
}

const storedCount = async (ids: string[]) =>
  (await h.database.db.select({ n: count() }).from(events).where(inArray(events.id, ids)))[0]!.n;

describe('kafka in', () => {
  it('stores valid events once, dead-letters poison messages with the reason, and commits past both', async () => {
    const topic = uniqueKey('erp.events.in');
    const deadLetterTopic = `${topic}.dead-letter`;
    const groupId = uniqueKey('erp-in');
    await createTopics(topic, deadLetterTopic);
    const sku = uniqueKey('SKU');
    const a = stockAdjusted({ sku, delta: 5 });
    const b = stockAdjusted({ sku, delta: 2 });
    await produce(topic, [
      { key: sku, value: JSON.stringify(a) },
      { key: sku, value: 'this is not json' },
      { key: sku, value: JSON.stringify(stockAdjusted({ delta: 1 })) }, // no sku
      { key: sku, value: JSON.stringify(a) }, // the same event again
      { key: sku, value: JSON.stringify({ ...b, type: 'inventory.teleported' }) },
      { key: sku, value: JSON.stringify(b) },
    ]);

    const connector = await startKafkaIn(deps, kafka, { topics: [topic], groupId, deadLetterTopic });
    try {
      await eventually(async () => ((await storedCount([a.id, b.id])) === 2 ? true : undefined), 30_000);
      const dead = await readAll([deadLetterTopic], 3);
      const reasons = dead.map((d) => d.message.headers!['dlq-reason']!.toString());
      expect(reasons).toEqual([
        expect.stringMatching(/^not JSON/),
        expect.stringMatching(/400 Validation failed: data\.sku/),
        expect.stringMatching(/422 Unknown event type/),
      ]);
      expect(dead[0]!.message.value!.toString()).toBe('this is not json');
      expect(dead[0]!.message.headers!['dlq-topic']!.toString()).toBe(topic);
      // the partition moved on past every message, poison ones included
      await eventually(async () => {
        const { committed, ends } = await committedOffsets(groupId, topic);
        const end = (p: number) => ends.find((e) => e.partition === p)!.offset;
        // a partition nothing was written to has nothing committed (-1) and ends at 0
        const at = (offset: string) => (offset === '-1' ? '0' : offset);
        return committed.every((c) => at(c.offset) === end(c.partition)) ? true : undefined;
      });
      // routed to the SKU's workflow like an HTTP event: applied once each
      await eventually(async () => {
        const [level] = await h.database.db.select().from(stockLevels).where(eq(stockLevels.sku, sku));
        return level?.onHand === 7 ? true : undefined;
      });
      const [stored] = await h.database.db.select().from(events).where(eq(events.id, a.id));
      expect(stored).toMatchObject({ source: 'test/warehouse', type: 'inventory.stock_adjusted' });
    } finally {
      await connector.stop();
    }
  });

  it('loses nothing and stores nothing twice when the consumer is restarted mid-stream', async () => {
    const topic = uniqueKey('erp.events.in');
    const groupId = uniqueKey('erp-in');
    await createTopics(topic, `${topic}.dlq`);
    const sku = uniqueKey('SKU');
    const batch = Array.from({ length: 40 }, () => stockAdjusted({ sku, delta: 1 }));
    await produce(
      topic,
      batch.map((e) => ({ key: sku, value: JSON.stringify(e) })),
    );
    const ids = batch.map((e) => e.id as string);
    const options = { topics: [topic], groupId, deadLetterTopic: `${topic}.dlq` };

    const first = await startKafkaIn(deps, kafka, options);
    await eventually(async () => ((await storedCount(ids)) >= 10 ? true : undefined), 30_000);
    await first.stop();
    const midway = await storedCount(ids);
    expect(midway).toBeLessThan(ids.length);

    const second = await startKafkaIn(deps, kafka, options);
    try {
      await eventually(async () => ((await storedCount(ids)) === ids.length ? true : undefined), 60_000);
      await eventually(async () => {
        const [level] = await h.database.db.select().from(stockLevels).where(eq(stockLevels.sku, sku));
        return level?.onHand === ids.length ? true : undefined;
      }, 60_000);
    } finally {
      await second.stop();
    }
    expect(await storedCount(ids)).toBe(ids.length);
  });
});

describe('kafka out', () => {
  it('publishes outbox events per aggregate type, keyed by aggregate id, in order, with the id in a header', async () => {
    const prefix = `${uniqueKey('erp')}.`;
    await createTopics(`${prefix}order`, `${prefix}payment`);
    const orders = [uniqueKey('O'), uniqueKey('O')];
    const payment = uniqueKey('P');
    const written: { id: string; topic: string; key: string }[] = [];
    const emit = async (
      aggregateType: 'order' | 'payment',
      aggregateId: string,
      type: 'order.invoiced' | 'order.shipped' | 'payment.allocated',
      n: number,
    ) => {
      const { id } = await h.database.db.transaction((tx) =>
        appendOutbox(tx, {
          aggregateType,
          aggregateId,
          type,
          payload: { aggregateId, n },
          idempotencyKey: `${type}/${aggregateId}/${n}`,
          cause: { correlationId: `corr-${aggregateId}` },
        }),
      );
      written.push({ id, topic: `${prefix}${aggregateType}`, key: aggregateId });
    };
    await emit('order', orders[0]!, 'order.invoiced', 1);
    await emit('order', orders[1]!, 'order.invoiced', 1);
    await emit('payment', payment, 'payment.allocated', 1);
    await emit('order', orders[0]!, 'order.shipped', 2);
    await emit('order', orders[1]!, 'order.shipped', 2);
    await emit('payment', payment, 'payment.allocated', 2);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const first = await publishOutboxToKafka(h.database.db, producer, prefix);
      expect(first).toEqual({ published: written.length });
      expect(await publishOutboxToKafka(h.database.db, producer, prefix)).toEqual({ published: 0 });
    } finally {
      await producer.disconnect();
    }

    const got = await readAll([`${prefix}order`, `${prefix}payment`], written.length);
    expect(got).toHaveLength(written.length);
    for (const w of written) {
      const m = got.find((g) => g.message.headers!.ce_id!.toString() === w.id)!;
      expect({ topic: m.topic, key: m.message.key!.toString() }).toEqual({ topic: w.topic, key: w.key });
      expect(JSON.parse(m.message.value!.toString())).toMatchObject({
        specversion: '1.0',
        id: w.id,
        subject: w.key,
      });
    }
    // per aggregate: one partition, in outbox order
    for (const key of [...orders, payment]) {
      const mine = got.filter((g) => g.message.key!.toString() === key);
      expect(new Set(mine.map((g) => g.partition)).size).toBe(1);
      const sorted = [...mine].sort((x, y) => Number(x.message.offset) - Number(y.message.offset));
      expect(sorted.map((g) => g.message.headers!.ce_id!.toString())).toEqual(
        written.filter((w) => w.key === key).map((w) => w.id),
      );
    }
    const deliveries = await h.database.db
      .select()
      .from(outboxDeliveries)
      .where(eq(outboxDeliveries.destination, KAFKA_DESTINATION));
    expect(
      deliveries.filter((d) => written.some((w) => w.id === d.outboxId) && d.status === 'delivered'),
    ).toHaveLength(written.length);

    // the lineage of the first order's flow shows each outbound event with its Kafka delivery
    const lineage = await request(h.app)
      .get('/v1/lineage')
      .query({ correlationId: `corr-${orders[0]}` })
      .expect(200);
    const mine = written.filter((w) => w.key === orders[0]);
    const nodes = lineage.body.nodes as { id: string; kind: string; parents: string[]; detail: object }[];
    expect(nodes.filter((n) => n.kind === 'outbound').map((n) => n.id)).toEqual(
      mine.map((w) => `outbound:${w.id}`),
    );
    // deliveries in one publish share a time, so their order among themselves is not asserted
    const deliveryNodes = nodes.filter((n) => n.kind === 'delivery');
    expect(deliveryNodes).toHaveLength(mine.length);
    expect(deliveryNodes).toEqual(
      expect.arrayContaining(
        mine.map((w) =>
          expect.objectContaining({
            id: `delivery:${w.id}/${KAFKA_DESTINATION}`,
            parents: [`outbound:${w.id}`],
            detail: expect.objectContaining({
              channel: 'kafka',
              target: 'kafka:order',
              destination: KAFKA_DESTINATION,
              status: 'delivered',
              attempts: 1,
              deliveredAt: expect.any(String),
            }),
          }),
        ),
      ),
    );
  });
});
