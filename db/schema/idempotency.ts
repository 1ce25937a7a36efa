/** Outcomes of writing activities, keyed by their idempotency key: a retry returns the first outcome. */
import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const idempotencyRecords = pgTable('idempotency_records', {
  key: text('key').primaryKey(),
  scope: text('scope').notNull(),
  outcome: jsonb('outcome').notNull(),
  causationSource: text('causation_source'),
  causationId: text('causation_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
export type IdempotencyRecordRow = typeof idempotencyRecords.$inferSelect;
