/**
 * Lineage: every change to a business row, recorded as it happens by one generic row trigger (custom
 * migration), with the activity that made it and the event that caused it. GET /v1/lineage reads it.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

export const LINEAGE_OPERATIONS = ['insert', 'update', 'delete'] as const;
export type LineageOperation = (typeof LINEAGE_OPERATIONS)[number];

/** What one column went from and to (null for an insert's `from` and a delete's `to`). */
export type LineageChanges = Record<string, { from: unknown; to: unknown }>;

/**
 * One row written, changed or deleted. `changes`: for an update the columns that changed, as
 * {@link LineageChanges} (updated_at alone is no change); for an insert the new row's non-null
 * columns, for a delete the old row's, as `{ column: value }` (api/lineage.ts effectChanges). The causation and the activity come from the transaction's `erp.lineage`
 * setting (set by the activities, see activities/lineage.ts), else from the row's own causation
 * columns (inserts only); rows written outside an activity have no workflow. `tx_id` groups the
 * changes of one transaction (an outbox row with the state change it announces).
 */
export const lineageEffects = pgTable(
  'lineage_effects',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true })
      .notNull()
      .default(sql`clock_timestamp()`),
    txId: bigint('tx_id', { mode: 'number' }).notNull(),
    tableName: text('table_name').notNull(),
    rowKey: jsonb('row_key').$type<Record<string, unknown>>().notNull(),
    operation: text('operation', { enum: LINEAGE_OPERATIONS }).notNull(),
    changes: jsonb('changes').$type<LineageChanges | Record<string, unknown>>().notNull(),
    causationSource: text('causation_source'),
    causationId: text('causation_id'),
    correlationId: text('correlation_id'),
    workflowId: text('workflow_id'),
    runId: text('run_id'),
    activityType: text('activity_type'),
    activityAttempt: integer('activity_attempt'),
  },
  (t) => [
    check('lineage_effects_operation_check', sql`${t.operation} in ('insert', 'update', 'delete')`),
    index('lineage_effects_correlation_idx').on(t.correlationId, t.id),
    index('lineage_effects_workflow_idx').on(t.workflowId, t.id),
  ],
);
export type LineageEffectRow = typeof lineageEffects.$inferSelect;
