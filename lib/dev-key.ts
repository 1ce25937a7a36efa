/**
 * The development API key `npm start` prints, so the first run just works: created once with every
 * scope when the database has no active key, and kept in `<DATA_DIR>/dev-api-key` (git-ignored,
 * mode 600), since only its hash is in the database.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client';
import { authenticateApiKey, countActiveApiKeys, createApiKey } from '../db/queries/api-keys';
import { SCOPES } from '../domain/access';

export const DEV_KEY_FILE = 'dev-api-key';
export const DEV_KEY_NAME = 'development (npm start)';

export type DevKey =
  { kind: 'created' | 'existing'; key: string; file: string } | { kind: 'none'; reason: string };

export async function ensureDevKey(db: Db, dataDir: string): Promise<DevKey> {
  const file = path.join(dataDir, DEV_KEY_FILE);
  if (fs.existsSync(file)) {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (await authenticateApiKey(db, key)) return { kind: 'existing', key, file };
  }
  if ((await countActiveApiKeys(db)) > 0) {
    return {
      kind: 'none',
      reason:
        'the database has API keys already; use yours, or: npm run keys -- create --name me --scopes admin',
    };
  }
  const { key } = await createApiKey(db, { name: DEV_KEY_NAME, scopes: SCOPES });
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { kind: 'created', key, file };
}
