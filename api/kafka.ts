/**
 * The optional Kafka connector (KAFKA_BROKERS). In: business events consumed from KAFKA_IN_TOPICS
 * (CloudEvents 1.0 in structured mode, the JSON in the message value) go through the same
 * validation, store and dedupe as POST /v1/events; a partition's offset is committed only after
 * the event is stored, and an invalid message goes to KAFKA_DEAD_LETTER_TOPIC with the reason, so it
 * never blocks its partition. Out: outbox events are published to `<KAFKA_OUT_TOPIC_PREFIX><aggregate
 * type>`, keyed by aggregate id (one partition per aggregate keeps its order), the event id in the
 * `ce_id` header; each publication is recorded in outbox_deliveries (destination `kafka`).
 */
import { isUtf8 } from 'node:buffer';
import { Kafka, logLevel, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { GAP_SETTLE_SECONDS } from '../db/queries/webhooks';
import { outbox, outboxDeliveries } from '../db/schema';
import { outboundEnvelope } from '../domain/events/outbound-envelope';
import type { AppDeps } from './app';
import { ingestEvents, validateCounted } from './ingest';
import { Problem } from './problem';
import { findUnstorable } from './input-guard';

export const KAFKA_DESTINATION = 'kafka';

export function createKafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({ brokers, clientId, logLevel: logLevel.NOTHING });
}

// ---- in -------------------------------------------------------------------------------------------

export type KafkaIngestOutcome =
  { outcome: 'stored'; status: 'accepted' | 'duplicate' } | { outcome: 'invalid'; reason: string };

/** Validates and stores one message's event (routing it too); throws only when storing fails. */
export async function ingestKafkaMessage(deps: AppDeps, value: Buffer | null): Promise<KafkaIngestOutcome> {
  let body: unknown;
  if (value && !isUtf8(value)) return { outcome: 'invalid', reason: 'not valid UTF-8' };
  try {
    body = JSON.parse(value?.toString('utf8') ?? '');
  } catch (err) {
    return { outcome: 'invalid', reason: `not JSON: ${(err as Error).message}` };
  }
  // text Postgres cannot store would fail the insert on every retry: refused like invalid fields
  const unstorable = findUnstorable(body);
  if (unstorable.length > 0) {
    return {
      outcome: 'invalid',
      reason: `400 Validation failed: ${unstorable.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    };
  }
  let valid;
  try {
    valid = validateCounted(deps, body);
  } catch (err) {
    if (!(err instanceof Problem)) throw err;
    const fields = (err.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ');
    return { outcome: 'invalid', reason: `${err.status} ${err.title}${fields ? `: ${fields}` : ''}` };
  }
  const [result] = await ingestEvents(deps, [valid]);
  return { outcome: 'stored', status: result?.body.status ?? 'accepted' };
}

export interface KafkaInOptions {
  topics: string[];
  groupId: string;
  deadLetterTopic: string;
}

/** Consumes the topics until stopped. */
export async function startKafkaIn(
  deps: AppDeps,
  kafka: Kafka,
  opts: KafkaInOptions,
): Promise<{ consumer: Consumer; stop(): Promise<void> }> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: opts.groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: opts.topics, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const result = await ingestKafkaMessage(deps, message.value);
      if (result.outcome === 'invalid') {
        await producer.send({
          topic: opts.deadLetterTopic,
          acks: -1,
          messages: [deadLetter(message, topic, partition, result.reason)],
        });
        deps.logger.warn(
          { topic, partition, offset: message.offset, reason: result.reason },
          'kafka message dead-lettered',
        );
      }
      // only now is the event stored (or dead-lettered): the next start begins after it
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
  return {
    consumer,
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

function deadLetter(message: KafkaMessage, topic: string, partition: number, reason: string) {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      'dlq-reason': reason.slice(0, 2000),
      'dlq-topic': topic,
      'dlq-partition': String(partition),
      'dlq-offset': message.offset,
    },
  };
}

// ---- out ------------------------------------------------------------------------------------------

/**
 * How far back a publisher looks: every outbox row at or below `floor` is published and older than
 * GAP_SETTLE_SECONDS (a transaction that took a lower seq is taken to be over by then), so a pass
 * reads only the recent and the unpublished rows. Kept in memory; a new process starts from 0.
 */
export interface PublisherScan {
  floor: number;
}

async function advanceFloor(tx: Tx, scan: PublisherScan): Promise<void> {
  const r = await tx.execute<{ floor: string | null }>(sql`
    select least(
      (select min(o.seq) - 1 from outbox o
         where o.seq > ${scan.floor}
           and not exists (select 1 from outbox_deliveries d
                            where d.outbox_id = o.id and d.destination = ${KAFKA_DESTINATION}
                              and d.status = 'delivered')),
      (select max(seq) from outbox
         where created_at < now() - make_interval(secs => ${GAP_SETTLE_SECONDS}))
    )::text as floor`);
  const floor = Number(r.rows[0]?.floor ?? scan.floor);
  if (floor > scan.floor) scan.floor = floor;
}

/** The advisory lock that makes one process at a time the outbox's Kafka publisher. */
const PUBLISHER_LOCK = sql`hashtext('erp-outbox-kafka-publisher')`;

/**
 * One pass: publishes outbox events not yet published (oldest first, at most `limit`) and records
 * them delivered. A failed send records the error on pending rows and is tried again next pass.
 */
export async function publishOutboxToKafka(
  db: Db,
  producer: Producer,
  topicPrefix: string,
  opts: { limit?: number; scan?: PublisherScan } = {},
): Promise<{ published: number; error?: string }> {
  const limit = opts.limit ?? 500;
  const scan = opts.scan ?? { floor: 0 };
  return db.transaction(async (tx) => {
    const lock = await tx.execute<{ locked: boolean }>(
      sql`select pg_try_advisory_xact_lock(${PUBLISHER_LOCK}) as locked`,
    );
    if (!lock.rows[0]?.locked) return { published: 0 };
    await advanceFloor(tx, scan);
    const rows = await tx
      .select({ event: outbox })
      .from(outbox)
      .leftJoin(
        outboxDeliveries,
        and(eq(outboxDeliveries.outboxId, outbox.id), eq(outboxDeliveries.destination, KAFKA_DESTINATION)),
      )
      .where(
        sql`${outbox.seq} > ${scan.floor} and (${outboxDeliveries.status} is null or ${outboxDeliveries.status} <> 'delivered')`,
      )
      .orderBy(asc(outbox.seq))
      .limit(limit);
    if (!rows.length) return { published: 0 };

    // topics in order of first appearance, each with its messages in outbox order
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const { event } of rows) {
      const topic = `${topicPrefix}${event.aggregateType}`;
      const envelope = outboundEnvelope(event);
      if (!byTopic.has(topic)) byTopic.set(topic, []);
      byTopic.get(topic)!.push({
        key: event.aggregateId,
        value: JSON.stringify(envelope),
        headers: {
          ce_id: event.id,
          ce_type: event.type,
          ce_source: envelope.source,
          ce_specversion: '1.0',
          'content-type': 'application/cloudevents+json',
        },
      });
    }
    let error: string | undefined;
    try {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (err) {
      error = (err as Error).message;
    }
    await tx
      .insert(outboxDeliveries)
      .values(
        rows.map(({ event }) => ({
          outboxId: event.id,
          destination: KAFKA_DESTINATION,
          status: error ? ('pending' as const) : ('delivered' as const),
          attempts: 1,
          lastError: error ?? null,
          deliveredAt: error ? null : sql`now()`,
        })),
      )
      .onConflictDoUpdate({
        target: [outboxDeliveries.outboxId, outboxDeliveries.destination],
        set: {
          status: sql`excluded.status`,
          attempts: sql`${outboxDeliveries.attempts} + 1`,
          lastError: sql`excluded.last_error`,
          deliveredAt: sql`excluded.delivered_at`,
          updatedAt: sql`now()`,
        },
      });
    return { published: error ? 0 : rows.length, ...(error ? { error } : {}) };
  });
}

/** Publishes the outbox every `intervalMs` until stopped; passes never overlap. */
export async function startKafkaOut(
  db: Db,
  kafka: Kafka,
  opts: { topicPrefix: string; intervalMs: number; onError: (err: unknown) => void },
): Promise<{ producer: Producer; stop(): Promise<void> }> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const scan: PublisherScan = { floor: 0 };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    publishOutboxToKafka(db, producer, opts.topicPrefix, { scan })
      .then((r) => {
        if (r.error) opts.onError(new Error(`kafka publish failed: ${r.error}`));
      })
      .catch(opts.onError)
      .finally(() => {
        running = false;
      });
  }, opts.intervalMs);
  return {
    producer,
    async stop() {
      clearInterval(timer);
      while (running) await new Promise((r) => setTimeout(r, 50));
      await producer.disconnect();
    },
  };
}
