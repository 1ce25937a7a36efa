/**
 * Webhook subscriptions: where outbound events are POSTed, which types, the signing secret, and the
 * fan-out cursor. Their deliveries are outbox_deliveries rows with destination `webhook:<id>`.
 */
import { sql } from 'drizzle-orm';
import { bigint, check, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt, sqlList, updatedAt } from './columns';

/** A seq the fan-out skipped over, and when (epoch ms). */
export interface OpenGap {
  seq: number;
  since: number;
}

export const WEBHOOK_SUBSCRIPTION_STATUSES = ['active', 'disabled'] as const;
export type WebhookSubscriptionStatus = (typeof WEBHOOK_SUBSCRIPTION_STATUSES)[number];

export const webhookSubscriptions = pgTable(
  'webhook_subscriptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    url: text('url').notNull(),
    /** Outbound event types delivered; empty: every type. */
    eventTypes: text('event_types')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    description: text('description'),
    /** `whsec_<base64>`: the Standard Webhooks signing secret, shown once at creation. */
    secret: text('secret').notNull(),
    status: text('status', { enum: WEBHOOK_SUBSCRIPTION_STATUSES }).notNull().default('active'),
    disabledReason: text('disabled_reason'),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    /** Every outbox row with seq <= cursor has been considered for this subscription, except open gaps. */
    cursorSeq: bigint('cursor_seq', { mode: 'number' }).notNull().default(0),
    /**
     * Seqs at or below the cursor not seen yet (a transaction still running, or rolled back), each
     * with when it was first noticed; looked at again until it appears or GAP_SETTLE_SECONDS pass.
     */
    openGaps: jsonb('open_gaps').$type<OpenGap[]>().notNull().default([]),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check(
      'webhook_subscriptions_status_check',
      sql`${t.status} in (${sqlList(WEBHOOK_SUBSCRIPTION_STATUSES)})`,
    ),
    check('webhook_subscriptions_url_check', sql`${t.url} ~ '^https?://'`),
    check(
      'webhook_subscriptions_disabled_has_time',
      sql`${t.status} <> 'disabled' or ${t.disabledAt} is not null`,
    ),
  ],
);
export type WebhookSubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type NewWebhookSubscriptionRow = typeof webhookSubscriptions.$inferInsert;
