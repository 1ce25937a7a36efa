/** Outcomes of writing activities, keyed by their idempotency key: a retry returns the first outcome. */
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export const idempotencyRecords = pgTable('idempotency_records', {
  key: text('key').primaryKey(),
  scope: text('scope').notNull(),
  outcome: jsonb('outcome').notNull(),
  causationSource: text('causation_source'),
  causationId: text('causation_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
export type IdempotencyRecordRow = typeof idempotencyRecords.$inferSelect;

export const HTTP_IDEMPOTENCY_STATUSES = ['in_progress', 'completed'] as const;

/**
 * Idempotency-Key of HTTP commands: the first response per (scope, key) and a hash of the request
 * it answered. A row in progress past `lockedUntil` was abandoned (its process died) and may be
 * taken over; rows are deleted after `expiresAt`.
 */
export const httpIdempotencyKeys = pgTable(
  'http_idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: text('status', { enum: HTTP_IDEMPOTENCY_STATUSES }).notNull().default('in_progress'),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    responseHeaders: jsonb('response_headers').$type<Record<string, string>>(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.key] }),
    check('http_idempotency_status_check', sql`${t.status} in ('in_progress', 'completed')`),
    check(
      'http_idempotency_completed_has_response',
      sql`${t.status} <> 'completed' or (${t.responseStatus} is not null and ${t.completedAt} is not null)`,
    ),
    index('http_idempotency_expires_idx').on(t.expiresAt),
  ],
);
export type HttpIdempotencyKeyRow = typeof httpIdempotencyKeys.$inferSelect;
