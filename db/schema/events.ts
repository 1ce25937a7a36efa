/** The append-only event store and the routing status of each event. */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/** Every accepted inbound event, exactly as received. No UPDATE or DELETE (enforced by a trigger). */
export const events = pgTable(
  'events',
  {
    source: text('source').notNull(),
    id: text('id').notNull(),
    seq: bigserial('seq', { mode: 'number' }).notNull().unique(),
    type: text('type').notNull(),
    typeVersion: integer('type_version').notNull(),
    specVersion: text('spec_version').notNull(),
    subject: text('subject'),
    time: timestamp('time', { withTimezone: true }),
    dataSchema: text('data_schema'),
    data: jsonb('data').notNull(),
    correlationId: text('correlation_id').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.source, t.id] }),
    index('events_type_received_idx').on(t.type, t.receivedAt),
    index('events_correlation_idx').on(t.correlationId),
  ],
);
export type EventRow = typeof events.$inferSelect;
export type NewEventRow = typeof events.$inferInsert;

export const ROUTE_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type RouteStatus = (typeof ROUTE_STATUSES)[number];

/**
 * Where each event goes and whether it got there. The request that stored an event holds a lease
 * on its route while it delivers it; the relay retries 'pending' rows nobody holds.
 */
export const eventRoutes = pgTable(
  'event_routes',
  {
    eventSource: text('event_source').notNull(),
    eventId: text('event_id').notNull(),
    eventSeq: bigint('event_seq', { mode: 'number' }).notNull(),
    workflowId: text('workflow_id').notNull(),
    status: text('status', { enum: ROUTE_STATUSES }).notNull().default('pending'),
    runId: text('run_id'),
    attempts: integer('attempts').notNull().default(0),
    /** While in the future, a process is delivering this route (or the routes before it); the relay waits. */
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    routedAt: timestamp('routed_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.eventSource, t.eventId] }),
    foreignKey({ columns: [t.eventSource, t.eventId], foreignColumns: [events.source, events.id] }),
    check('event_routes_status_check', sql`${t.status} in ('pending', 'delivered', 'failed')`),
    check('event_routes_delivered_has_run', sql`${t.status} <> 'delivered' or ${t.runId} is not null`),
    // lineage: the events routed to a business key's workflow
    index('event_routes_workflow_idx').on(t.workflowId, t.eventSeq),
    index('event_routes_pending_idx')
      .on(t.workflowId, t.eventSeq)
      .where(sql`${t.status} = 'pending'`),
  ],
);
export type EventRouteRow = typeof eventRoutes.$inferSelect;
