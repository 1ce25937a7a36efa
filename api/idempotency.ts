/**
 * Idempotency-Key for command endpoints: the same key with the same request answers the first
 * response again; with a different request, 422; while the first is still running, 409. Keys are
 * kept for the configured time (IDEMPOTENCY_KEY_TTL_HOURS) and then forgotten.
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { and, eq, lt, sql } from 'drizzle-orm';
import { httpIdempotencyKeys, type HttpIdempotencyKeyRow } from '../db/schema';
import type { Db } from '../db/client';
import { Problem, validationProblem } from './problem';
import type { AppDeps } from './app';
import type { AuthLocals } from './auth';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** A request still running after this long is taken to have died; its key may be claimed again. */
const LEASE_MS = 60_000;
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface CommandResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type CommandHandler = (req: Request) => Promise<CommandResponse>;

function send(res: Response, response: CommandResponse, replayed: boolean): void {
  if (response.headers) res.set(response.headers);
  if (replayed) res.set('Idempotent-Replayed', 'true');
  res.status(response.status);
  if (response.headers?.['Content-Type'] === 'application/problem+json') {
    res.send(JSON.stringify(response.body));
  } else {
    res.json(response.body);
  }
}

/** What "the same request" means: method, path with query, and body. */
export function requestHash(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([method, url, body ?? null]))
    .digest('hex');
}

/** Claims the key: the row when this request owns it, null when another request does (or did). */
async function claim(
  db: Db,
  scope: string,
  key: string,
  hash: string,
  ttlMs: number,
): Promise<HttpIdempotencyKeyRow | null> {
  const now = sql`now()`;
  const lockedUntil = sql`now() + make_interval(secs => ${LEASE_MS / 1000})`;
  const expiresAt = sql`now() + make_interval(secs => ${ttlMs / 1000})`;
  const [row] = await db
    .insert(httpIdempotencyKeys)
    .values({ scope, key, requestHash: hash, lockedUntil, expiresAt })
    .onConflictDoUpdate({
      target: [httpIdempotencyKeys.scope, httpIdempotencyKeys.key],
      set: {
        requestHash: hash,
        status: 'in_progress',
        responseStatus: null,
        responseBody: null,
        responseHeaders: null,
        lockedUntil,
        createdAt: now,
        completedAt: null,
        expiresAt,
      },
      // an expired key is forgotten; an abandoned one (same request, lease over) is taken over
      setWhere: sql`${httpIdempotencyKeys.expiresAt} < now() or (${httpIdempotencyKeys.status} = 'in_progress' and ${httpIdempotencyKeys.lockedUntil} < now() and ${httpIdempotencyKeys.requestHash} = excluded.request_hash)`,
    })
    .returning();
  return row ?? null;
}

export interface CommandOptions {
  /**
   * What is kept for a replay instead of the answer itself, for answers holding a secret shown
   * once (a new API key): the replay answers this.
   */
  stored?: (response: CommandResponse) => CommandResponse;
}

/** Wraps a command handler with Idempotency-Key semantics (the header is optional). */
export function command(
  deps: AppDeps,
  scope: string,
  handler: CommandHandler,
  options: CommandOptions = {},
): RequestHandler {
  const ttlMs = (deps.idempotencyTtlHours ?? 24) * 3_600_000;
  return async (req, res) => {
    const key = req.get(IDEMPOTENCY_HEADER);
    if (key === undefined) return send(res, await handler(req), false);
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw validationProblem([
        {
          path: `header:${IDEMPOTENCY_HEADER}`,
          message: '1 to 255 visible ASCII characters, for example a UUID',
        },
      ]);
    }
    const hash = requestHash(req.method, req.originalUrl, req.body);
    // keys are the client's own: two API keys sending the same Idempotency-Key never share an answer
    const client = (res.locals as AuthLocals).apiKey?.id;
    const keyScope = client === undefined ? scope : `${scope} [api-key ${client}]`;
    const owned = await claim(deps.db, keyScope, key, hash, ttlMs);
    if (!owned) {
      const [existing] = await deps.db
        .select()
        .from(httpIdempotencyKeys)
        .where(and(eq(httpIdempotencyKeys.scope, keyScope), eq(httpIdempotencyKeys.key, key)));
      if (!existing) throw new Error(`idempotency key ${keyScope}/${key} vanished while being claimed`);
      if (existing.requestHash !== hash) {
        throw new Problem(
          422,
          'idempotency-key-reused',
          'Idempotency-Key reused',
          'This Idempotency-Key was used for a different request; use a new key for a new request.',
        );
      }
      if (existing.status === 'in_progress') {
        res.set('Retry-After', '1');
        throw new Problem(
          409,
          'idempotency-key-in-progress',
          'Request in progress',
          'The first request with this Idempotency-Key is still running; retry shortly.',
        );
      }
      return send(
        res,
        {
          status: existing.responseStatus as number,
          body: existing.responseBody,
          headers: existing.responseHeaders ?? undefined,
        },
        true,
      );
    }

    let response: CommandResponse;
    try {
      response = await handler(req);
    } catch (err) {
      if (!(err instanceof Problem) || err.status >= 500) {
        await release(deps.db, keyScope, key);
        throw err;
      }
      response = {
        status: err.status,
        body: err.toJSON(),
        headers: { 'Content-Type': 'application/problem+json' },
      };
    }
    if (response.status >= 500) {
      await release(deps.db, keyScope, key);
    } else {
      const kept = options.stored ? options.stored(response) : response;
      await deps.db
        .update(httpIdempotencyKeys)
        .set({
          status: 'completed',
          responseStatus: kept.status,
          responseBody: kept.body,
          responseHeaders: kept.headers ?? null,
          completedAt: sql`now()`,
        })
        .where(and(eq(httpIdempotencyKeys.scope, keyScope), eq(httpIdempotencyKeys.key, key)));
    }
    return send(res, response, false);
  };
}

/** A failed first attempt (5xx) leaves nothing behind, so the client's retry runs again. */
async function release(db: Db, scope: string, key: string): Promise<void> {
  await db
    .delete(httpIdempotencyKeys)
    .where(and(eq(httpIdempotencyKeys.scope, scope), eq(httpIdempotencyKeys.key, key)));
}

/** Deletes keys past their expiry; the API process calls it periodically. */
export async function purgeExpiredIdempotencyKeys(db: Db): Promise<number> {
  const deleted = await db
    .delete(httpIdempotencyKeys)
    .where(lt(httpIdempotencyKeys.expiresAt, sql`now()`))
    .returning({ key: httpIdempotencyKeys.key });
  return deleted.length;
}
