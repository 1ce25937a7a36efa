/**
 * Keyset paging newest first by (a time, an id), shared by the lists that page that way (orders,
 * purchase orders, tickets, reconciliation exceptions, reconciliation runs, replay runs).
 *
 * A list selects `atText` beside its row (the time as Postgres prints it, with microseconds, so a
 * cursor loses nothing), filters by `after` when a cursor was given, orders by `orderBy`, fetches
 * `fetch` rows (one more than the page) and hands them to `page`, which keeps `limit` of them and
 * makes the next cursor from the last one kept (null on the last page).
 */
import { desc, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { validationProblem } from './problem';

export type TimeKey = [at: string, id: string];

export const encodeTimeCursor = (key: TimeKey): string =>
  Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/** The key in a cursor this API returned; anything else is a 400 naming `cursor`. */
export function decodeTimeCursor(cursor: string): TimeKey {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'string' &&
      typeof v[1] === 'string' &&
      !Number.isNaN(Date.parse(v[0]))
    ) {
      return [v[0], v[1]];
    }
  } catch {
    // not ours
  }
  throw validationProblem([{ path: 'cursor', message: 'not a cursor this API returned' }]);
}

export function newestFirst(at: PgColumn, id: PgColumn, q: { cursor?: string | undefined; limit: number }) {
  const key = q.cursor === undefined ? undefined : decodeTimeCursor(q.cursor);
  return {
    atText: sql<string>`${at}::text`,
    after: key ? sql`(${at}, ${id}) < (${key[0]}::timestamptz, ${key[1]})` : undefined,
    orderBy: [desc(at), desc(id)] as [SQL, SQL],
    fetch: q.limit + 1,
    page<R>(rows: R[], keyOf: (row: R) => TimeKey): { items: R[]; nextCursor: string | null } {
      const items = rows.slice(0, q.limit);
      const last = items[items.length - 1];
      return {
        items,
        nextCursor: rows.length > q.limit && last ? encodeTimeCursor(keyOf(last)) : null,
      };
    },
  };
}
