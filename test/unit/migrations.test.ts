/** The committed migrations match db/schema: drizzle-kit finds nothing to generate. */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

it('has a migration for every schema change', () => {
  // drizzle-kit takes --out relative to the working directory
  const out = path.join('.tmp', `migrations-check-${randomUUID()}`);
  fs.cpSync(path.join(ROOT, 'db', 'migrations'), path.join(ROOT, out), { recursive: true });
  try {
    const result = spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'drizzle-kit'),
      [
        'generate',
        '--dialect',
        'postgresql',
        '--schema',
        './db/schema/index.ts',
        '--out',
        out,
        '--casing',
        'snake_case',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.stdout + result.stderr).toContain('No schema changes');
    expect(fs.readdirSync(path.join(ROOT, out)).sort()).toEqual(
      fs.readdirSync(path.join(ROOT, 'db', 'migrations')).sort(),
    );
  } finally {
    fs.rmSync(path.join(ROOT, out), { recursive: true, force: true });
  }
});
