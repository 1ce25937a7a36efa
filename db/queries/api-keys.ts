/**
 * API keys: `erp_<id>_<secret>`. The id (12 base-36 characters) is public and is the lookup; the
 * secret is 32 random bytes (base64url) of which only the SHA-256 is stored. A fast hash is enough
 * here (unlike for passwords): with 256 random bits nothing can be guessed, and a slow hash would
 * cost CPU on every request.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { apiKeys, type ApiKeyRow } from '../schema';
import { SCOPES, type Scope } from '../../domain/access';

export const API_KEY_PREFIX = 'erp';
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 12;
const KEY_PATTERN = /^erp_([a-z0-9]{8,32})_([A-Za-z0-9_-]{43})$/;
/** last_used_at is written at most this often per key, so reads do not each cost a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** The id and secret of a presented key, or null when it is not shaped like one of ours. */
export function parseApiKey(key: string): { id: string; secret: string } | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { id: m[1] as string, secret: m[2] as string } : null;
}

/** A new key's id and secret, and the whole key as the caller sends it. */
export function generateApiKey(): { id: string; secret: string; key: string } {
  let id = '';
  for (let i = 0; i < ID_LENGTH; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, key: `${API_KEY_PREFIX}_${id}_${secret}` };
}

/** What may be shown of a key: never its secret or hash. */
export function apiKeyView(row: ApiKeyRow) {
  return {
    id: row.id,
    prefix: `${API_KEY_PREFIX}_${row.id}_`,
    name: row.name,
    scopes: row.scopes as Scope[],
    status: row.revokedAt ? ('revoked' as const) : ('active' as const),
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
export type ApiKeyView = ReturnType<typeof apiKeyView>;

/** Scopes in catalogue order, without repeats. */
export const normalizeScopes = (scopes: readonly Scope[]): Scope[] =>
  SCOPES.filter((s) => scopes.includes(s));

/** Creates a key; the answer is the only place its secret ever appears. */
export async function createApiKey(
  db: Db,
  input: { name: string; scopes: readonly Scope[] },
): Promise<{ row: ApiKeyRow; key: string }> {
  const { id, secret, key } = generateApiKey();
  const [row] = await db
    .insert(apiKeys)
    .values({ id, name: input.name, scopes: normalizeScopes(input.scopes), secretHash: hashSecret(secret) })
    .returning();
  return { row: row as ApiKeyRow, key };
}

export async function listApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
}

export async function findApiKey(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
  return row;
}

/** Revokes a key (from now on it answers 401); revoking it again keeps the first time. */
export async function revokeApiKey(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  await db
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
  return findApiKey(db, id);
}

/** Keys not revoked. */
export async function countActiveApiKeys(db: Db): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(apiKeys)
    .where(isNull(apiKeys.revokedAt));
  return row?.n ?? 0;
}

/** The active key a presented key string names, or null (malformed, unknown, wrong secret, revoked). */
export async function authenticateApiKey(db: Db, presented: string): Promise<ApiKeyRow | null> {
  const parsed = parseApiKey(presented);
  if (!parsed) return null;
  const row = await findApiKey(db, parsed.id);
  if (!row || row.revokedAt) return null;
  const expected = Buffer.from(row.secretHash, 'hex');
  const actual = Buffer.from(hashSecret(parsed.secret), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db
      .update(apiKeys)
      .set({ lastUsedAt: sql`now()` })
      .where(eq(apiKeys.id, row.id));
  }
  return row;
}
