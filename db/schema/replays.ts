/**
 * Selective replay: plans (a dry run's predicate and its frozen items), runs (one per executed
 * plan, with progress) and the outcome of each item in a run (written once: unique per run and item).
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { REPLAY_OUTCOMES, REPLAY_RUN_STATUSES } from '../../domain/replays';
import { createdAt, runColumns, sqlList } from './columns';

/** A dry run's answer, kept so that executing it does what the dry run said. */
export const replayPlans = pgTable(
  'replay_plans',
  {
    id: text('id').primaryKey(),
    /** The API key id that asked, or 'anonymous' (AUTH_MODE=off). */
    createdBy: text('created_by').notNull(),
    predicate: jsonb('predicate').notNull(),
    /** { redrive, reset, skipped, matched, byType, byWorkflowType, byStatus } */
    counts: jsonb('counts').notNull(),
    /** Matched items that will not be acted on, with why (a sample). */
    skipped: jsonb('skipped')
      .notNull()
      .default(sql`'[]'::jsonb`),
    /** More matched than the limit: the plan holds the first `limit` items. */
    truncated: boolean('truncated').notNull().default(false),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('replay_plans_created_idx').on(t.createdAt)],
);
export type ReplayPlanRow = typeof replayPlans.$inferSelect;

/** The items of a plan, in the order a run handles them (events by store order, then executions). */
export const replayPlanItems = pgTable(
  'replay_plan_items',
  {
    planId: text('plan_id')
      .notNull()
      .references(() => replayPlans.id),
    position: integer('position').notNull(),
    itemKey: text('item_key').notNull(),
    kind: text('kind', { enum: ['redrive', 'reset'] }).notNull(),
    why: text('why').notNull(),
    target: jsonb('target').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.planId, t.position] }),
    check('replay_plan_items_kind_check', sql`${t.kind} in ('redrive', 'reset')`),
  ],
);
export type ReplayPlanItemRow = typeof replayPlanItems.$inferSelect;

/** One execution of a plan; a plan executes at most once (plan_id unique). */
export const replayRuns = pgTable(
  'replay_runs',
  {
    id: text('id').primaryKey(),
    planId: text('plan_id')
      .notNull()
      .unique()
      .references(() => replayPlans.id),
    ...runColumns(REPLAY_RUN_STATUSES),
    /** The API key id that executed the plan, or 'anonymous' (AUTH_MODE=off). */
    startedBy: text('started_by').notNull(),
    total: integer('total').notNull(),
    done: integer('done').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    error: text('error'),
  },
  (t) => [
    check('replay_runs_status_check', sql`${t.status} in (${sqlList(REPLAY_RUN_STATUSES)})`),
    index('replay_runs_started_idx').on(t.startedAt, t.id),
  ],
);
export type ReplayRunRow = typeof replayRuns.$inferSelect;

/** What a run did to one item; the primary key makes a retried page write each outcome once. */
export const replayRunItems = pgTable(
  'replay_run_items',
  {
    runId: text('run_id')
      .notNull()
      .references(() => replayRuns.id),
    position: integer('position').notNull(),
    itemKey: text('item_key').notNull(),
    kind: text('kind', { enum: ['redrive', 'reset'] }).notNull(),
    outcome: text('outcome', { enum: REPLAY_OUTCOMES }).notNull(),
    detail: text('detail').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.position] }),
    check('replay_run_items_outcome_check', sql`${t.outcome} in (${sqlList(REPLAY_OUTCOMES)})`),
  ],
);
export type ReplayRunItemRow = typeof replayRunItems.$inferSelect;
