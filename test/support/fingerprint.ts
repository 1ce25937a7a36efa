/**
 * A fingerprint of the whole database (every table of the public schema, row by row, and every
 * sequence's position), to prove a request wrote nothing: take one before and one after and
 * compare with fingerprintDiff.
 *
 * Sequences are fingerprinted separately because a value they hand out is not data: an insert that
 * conflicts (a duplicate event, `on conflict do nothing`) or rolls back still moves its sequence.
 * A request refused before it reaches the database moves none, so tests of bad input compare both;
 * a test that allows conflicting inserts passes `{ sequences: false }`.
 */
import type { Pool } from 'pg';

export interface DbFingerprint {
  /** Per table: `<rows>:<md5 of every row's text, in order>`. */
  tables: Record<string, string>;
  /** Per sequence: its last value (`-` before its first use). */
  sequences: Record<string, string>;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export async function dbFingerprint(pool: Pool): Promise<DbFingerprint> {
  const { rows: tables } = await pool.query<{ tablename: string }>(
    `select tablename from pg_tables where schemaname = 'public' order by tablename`,
  );
  const tableHashes: Record<string, string> = {};
  if (tables.length > 0) {
    // one statement, one snapshot of every table
    const union = tables
      .map(
        ({ tablename }) =>
          `select ${`'${tablename.replace(/'/g, "''")}'`} as name, count(*)::text || ':' || ` +
          `md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as hash ` +
          `from public.${quoteIdent(tablename)} t`,
      )
      .join(' union all ');
    const { rows } = await pool.query<{ name: string; hash: string }>(union);
    for (const r of rows) tableHashes[r.name] = r.hash;
  }
  const { rows: seqs } = await pool.query<{ name: string; value: string | null }>(
    `select sequencename as name, last_value::text as value from pg_sequences
      where schemaname = 'public' order by sequencename`,
  );
  const sequences: Record<string, string> = {};
  for (const s of seqs) sequences[s.name] = s.value ?? '-';
  return { tables: tableHashes, sequences };
}

/** What differs between two fingerprints: `table <name>` and `sequence <name>` entries, sorted. */
export function fingerprintDiff(
  before: DbFingerprint,
  after: DbFingerprint,
  opts: { sequences?: boolean } = {},
): string[] {
  const diff: string[] = [];
  const compare = (kind: string, a: Record<string, string>, b: Record<string, string>) => {
    for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (a[name] !== b[name]) diff.push(`${kind} ${name}`);
    }
  };
  compare('table', before.tables, after.tables);
  if (opts.sequences ?? true) compare('sequence', before.sequences, after.sequences);
  return diff.sort();
}

/**
 * The fingerprint once background work (workflows writing rows) has stopped: two fingerprints
 * `quietMs` apart are equal. Fails after `timeoutMs`.
 */
export async function settledFingerprint(
  pool: Pool,
  opts: { quietMs?: number; timeoutMs?: number } = {},
): Promise<DbFingerprint> {
  const quietMs = opts.quietMs ?? 1000;
  const until = Date.now() + (opts.timeoutMs ?? 30_000);
  let last = await dbFingerprint(pool);
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, quietMs));
    const next = await dbFingerprint(pool);
    if (fingerprintDiff(last, next).length === 0) return next;
    last = next;
  }
  throw new Error(`the database kept changing for ${opts.timeoutMs ?? 30_000} ms`);
}
