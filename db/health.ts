/** Readiness of the database: reachable, and migrated to the migrations this code ships with. */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Db } from './client';
import { MIGRATIONS_FOLDER } from './migrate';

export interface Check {
  ok: boolean;
  detail?: string;
}

interface Journal {
  entries: { idx: number; when: number; tag: string }[];
}

/** The newest migration this code expects (drizzle records each applied one by its `when`). */
export function expectedMigration(): { tag: string; when: number } {
  const journal = JSON.parse(
    fs.readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'),
  ) as Journal;
  const last = journal.entries[journal.entries.length - 1];
  if (!last) throw new Error('the migration journal is empty');
  return { tag: last.tag, when: last.when };
}

export async function checkDatabase(db: Db): Promise<{ postgres: Check; migrations: Check }> {
  try {
    await db.execute(sql`select 1`);
  } catch (err) {
    const detail = `unreachable: ${(err as Error).message}`;
    return { postgres: { ok: false, detail }, migrations: { ok: false, detail: 'database unreachable' } };
  }
  const expected = expectedMigration();
  try {
    const result = await db.execute<{ created_at: string | null }>(
      sql`select max(created_at)::text as created_at from drizzle.__drizzle_migrations`,
    );
    const applied = Number(result.rows[0]?.created_at ?? 0);
    if (applied === expected.when) return { postgres: { ok: true }, migrations: { ok: true } };
    const detail =
      applied < expected.when
        ? `behind: the newest migration ${expected.tag} is not applied (run npm run db:migrate)`
        : 'ahead: the database has migrations this code does not know (an older build?)';
    return { postgres: { ok: true }, migrations: { ok: false, detail } };
  } catch (err) {
    return {
      postgres: { ok: true },
      migrations: { ok: false, detail: `no migration record: ${(err as Error).message}` },
    };
  }
}
