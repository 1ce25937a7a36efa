/**
 * API keys: who may call the HTTP API and with which scopes. Only a SHA-256 hash of each key's
 * secret is stored; the key id (the public part of `erp_<id>_<secret>`) is the lookup.
 */
import { sql } from 'drizzle-orm';
import { check, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const apiKeys = pgTable(
  'api_keys',
  {
    /** The public key id, the `<id>` of `erp_<id>_<secret>`. */
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    scopes: text('scopes').array().notNull(),
    /** hex SHA-256 of the secret part (256 random bits, so a fast hash is enough). */
    secretHash: text('secret_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    check('api_keys_id_format', sql`${t.id} ~ '^[a-z0-9]{8,32}$'`),
    check('api_keys_secret_hash_format', sql`${t.secretHash} ~ '^[0-9a-f]{64}$'`),
    check('api_keys_has_scope', sql`cardinality(${t.scopes}) > 0`),
    check('api_keys_name_length', sql`char_length(${t.name}) between 1 and 200`),
  ],
);
export type ApiKeyRow = typeof apiKeys.$inferSelect;
