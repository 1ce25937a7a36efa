/** Column and constraint builders shared by the domain tables, so every table spells them the same. */
import { sql } from 'drizzle-orm';
import { bigint, char, check, text, timestamp, type AnyPgColumn } from 'drizzle-orm/pg-core';

/** An amount in integer minor units of the row's `currency`. */
export const money = (name: string) => bigint(name, { mode: 'number' });

/** ISO 4217 code, upper case; pair with {@link currencyCheck}. */
export const currency = () => char('currency', { length: 3 }).notNull();

export const currencyCheck = (table: string, column: AnyPgColumn) =>
  check(`${table}_currency_check`, sql`${column} ~ '^[A-Z]{3}$'`);

/** The event that caused the row, and the correlation id of the whole flow; always known. */
export const causationColumns = () => ({
  causationSource: text('causation_source').notNull(),
  causationId: text('causation_id').notNull(),
  correlationId: text('correlation_id').notNull(),
});

/** As {@link causationColumns}, for rows a schedule or an operator may cause (no causing event). */
export const optionalCausationColumns = () => ({
  causationSource: text('causation_source'),
  causationId: text('causation_id'),
  correlationId: text('correlation_id').notNull(),
});

/** Why a row is written: the causing event (absent for a schedule or an operator) and the flow. */
export interface Cause {
  source?: string;
  id?: string;
  correlationId: string;
}

/**
 * The values of {@link optionalCausationColumns} for a row written because of `cause`: the causing
 * event (absent for a schedule or an operator) and the flow's correlation id.
 */
export const causeColumns = (cause: Cause) => ({
  causationSource: cause.source ?? null,
  causationId: cause.id ?? null,
  correlationId: cause.correlationId,
});

/** A nullable causation names both its source and its id, or neither. */
export const causationPairCheck = (table: string, source: AnyPgColumn, id: AnyPgColumn) =>
  check(`${table}_causation_pair`, sql`(${source} is null) = (${id} is null)`);

export const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
export const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/**
 * `a, b, c` as SQL string literals, for `status in (...)` checks built from the status constants.
 * Raw SQL: only for constants in code (migrations), never for input.
 */
export const sqlList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/**
 * The columns every durable run shares (a reconciliation run, a replay run): its status, starting
 * as 'running', the workflow that drives it, and when it started and finished.
 */
export const runColumns = <S extends readonly [string, ...string[]]>(statuses: S) => ({
  status: text('status', { enum: statuses as unknown as [S[number], ...S[number][]] })
    .notNull()
    .default('running' as S[number]),
  workflowId: text('workflow_id').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
});
