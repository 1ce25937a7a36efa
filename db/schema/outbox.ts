/**
 * Events out: outbox rows written in the same transaction as the change they announce (append-only,
 * enforced by a trigger), and their delivery status per destination.
 */
import { sql } from 'drizzle-orm';
import {
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { optionalCausationColumns, causationPairCheck, createdAt, sqlList, updatedAt } from './columns';

/**
 * One outgoing event. `id` is the consumer's dedupe key; `seq` orders delivery, per aggregate;
 * `idempotency_key` (optional) makes a retried write of the same event a no-op.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    aggregateType: text('aggregate_type').notNull(),
    aggregateId: text('aggregate_id').notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    idempotencyKey: text('idempotency_key'),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('outbox_seq_unique').on(t.seq),
    unique('outbox_idempotency_key_unique').on(t.idempotencyKey),
    causationPairCheck('outbox', t.causationSource, t.causationId),
    index('outbox_aggregate_idx').on(t.aggregateType, t.aggregateId, t.seq),
    // lineage: the outbound events of a flow
    index('outbox_correlation_idx').on(t.correlationId),
  ],
);
export type OutboxRow = typeof outbox.$inferSelect;
export type NewOutboxRow = typeof outbox.$inferInsert;

export const OUTBOX_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type OutboxDeliveryStatus = (typeof OUTBOX_DELIVERY_STATUSES)[number];

/** Whether an outbox row reached a destination; the relay retries 'pending' rows. */
export const outboxDeliveries = pgTable(
  'outbox_deliveries',
  {
    outboxId: uuid('outbox_id')
      .notNull()
      .references(() => outbox.id),
    destination: text('destination').notNull(),
    status: text('status', { enum: OUTBOX_DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.outboxId, t.destination] }),
    check('outbox_deliveries_status_check', sql`${t.status} in (${sqlList(OUTBOX_DELIVERY_STATUSES)})`),
    check('outbox_deliveries_attempts_non_negative', sql`${t.attempts} >= 0`),
    check(
      'outbox_deliveries_delivered_has_time',
      sql`${t.status} <> 'delivered' or ${t.deliveredAt} is not null`,
    ),
    index('outbox_deliveries_destination_idx').on(t.destination, t.createdAt),
    index('outbox_deliveries_pending_idx')
      .on(t.destination, t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
  ],
);
export type OutboxDeliveryRow = typeof outboxDeliveries.$inferSelect;
export type NewOutboxDeliveryRow = typeof outboxDeliveries.$inferInsert;
