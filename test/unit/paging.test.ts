import { PgDialect, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { decodeTimeCursor, encodeTimeCursor, newestFirst } from '../../api/paging';
import { Problem } from '../../api/problem';

const things = pgTable('things', {
  id: text('id').primaryKey(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
});
const dialect = new PgDialect();

describe('newest-first keyset paging', () => {
  it('round-trips a key with microseconds through a cursor', () => {
    const key: [string, string] = ['2026-11-27 12:00:00.123456+00', 'T-1'];
    expect(decodeTimeCursor(encodeTimeCursor(key))).toEqual(key);
  });

  it.each([
    ['not base64 json', 'abc'],
    ['a number', Buffer.from('42').toString('base64url')],
    ['one part', Buffer.from(JSON.stringify(['2026-11-27'])).toString('base64url')],
    ['a time that is not one', Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url')],
    ['a number as id', Buffer.from(JSON.stringify(['2026-11-27', 7])).toString('base64url')],
  ])('refuses %s with a 400 naming cursor', (_what, cursor) => {
    let thrown: unknown;
    try {
      decodeTimeCursor(cursor);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Problem);
    expect(thrown).toMatchObject({
      status: 400,
      errors: [{ path: 'cursor', message: 'not a cursor this API returned' }],
    });
  });

  it('filters below the cursor key, fetches one more than the page and orders newest first', () => {
    const key: [string, string] = ['2026-11-27 12:00:00.5+00', 'T-9'];
    const paging = newestFirst(things.createdAt, things.id, { cursor: encodeTimeCursor(key), limit: 2 });
    expect(paging.fetch).toBe(3);
    const after = dialect.sqlToQuery(paging.after!);
    expect(after.sql).toBe('("things"."created_at", "things"."id") < ($1::timestamptz, $2)');
    expect(after.params).toEqual(key);
    expect(paging.orderBy.map((o) => dialect.sqlToQuery(o).sql)).toEqual([
      '"things"."created_at" desc',
      '"things"."id" desc',
    ]);
    expect(newestFirst(things.createdAt, things.id, { limit: 2 }).after).toBeUndefined();
  });

  it('keeps the page, and gives a next cursor from its last row only when there was one more', () => {
    const paging = newestFirst(things.createdAt, things.id, { limit: 2 });
    const rows = [
      { at: '2026-11-27 12:00:03+00', id: 'c' },
      { at: '2026-11-27 12:00:02+00', id: 'b' },
      { at: '2026-11-27 12:00:01+00', id: 'a' },
    ];
    const more = paging.page(rows, (r) => [r.at, r.id]);
    expect(more.items).toEqual(rows.slice(0, 2));
    expect(decodeTimeCursor(more.nextCursor!)).toEqual(['2026-11-27 12:00:02+00', 'b']);
    const last = paging.page(rows.slice(0, 2), (r) => [r.at, r.id]);
    expect(last).toEqual({ items: rows.slice(0, 2), nextCursor: null });
  });
});
