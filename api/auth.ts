/**
 * Access control of the HTTP API: the API key (`Authorization: Bearer <key>` or `X-API-Key`), the
 * scope the route needs (domain/access.ts), and a rate limit per key. Runs before the body is read,
 * so a caller without a key costs no parsing. With AUTH_MODE=off every request passes.
 */
import type { Request, RequestHandler } from 'express';
import { authenticateApiKey } from '../db/queries/api-keys';
import type { Db } from '../db/client';
import { grants, requiredScope, type Scope } from '../domain/access';
import { Problem, sendProblem } from './problem';

export const AUTH_MODES = ['keys', 'off'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export interface RateLimitOptions {
  /** Requests per minute a key may make on average. */
  perMinute: number;
  /** How many it may make at once (the bucket's size); default perMinute. */
  burst?: number;
}

export interface AuthOptions {
  mode: AuthMode;
  rateLimit?: RateLimitOptions;
}

/**
 * A token bucket per key, in this process's memory: `burst` tokens, refilled at perMinute / 60 a
 * second; a request takes one. Several API processes each allow the rate.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly capacity: number;
  private readonly perMs: number;

  constructor(
    options: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.capacity = options.burst ?? options.perMinute;
    this.perMs = options.perMinute / 60_000;
  }

  /** Takes a token for `key`: 0 when allowed, else the whole seconds until one is there. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      if (this.buckets.size > 10_000) this.prune(now);
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  /** Forgets buckets that have refilled (they would start full anyway). */
  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.capacity) this.buckets.delete(key);
    }
  }
}

/** The key the request presents, from `Authorization: Bearer` or `X-API-Key`. */
export function presentedKey(req: Request): string | undefined {
  const authorization = req.get('authorization');
  if (authorization) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    return m ? m[1] : authorization;
  }
  return req.get('x-api-key')?.trim() || undefined;
}

const unauthorized = (detail: string) => new Problem(401, 'unauthorized', 'Unauthorized', detail);

/** Locals of an authenticated request: which key made it. */
export interface AuthLocals {
  apiKey?: { id: string; name: string; scopes: string[] };
}

export function authMiddleware(db: Db, options: AuthOptions): RequestHandler {
  if (options.mode === 'off') return (_req, _res, next) => next();
  const limiter = options.rateLimit ? new RateLimiter(options.rateLimit) : undefined;
  return (req, res, next) => {
    const needed = requiredScope(req.method, req.path);
    if (needed === 'public') return next();
    // a route no rule names needs admin: a new route is closed until it is mapped
    const scope: Scope = needed ?? 'admin';
    const key = presentedKey(req);
    const refuse = (problem: Problem) => {
      if (problem.status === 401) res.set('WWW-Authenticate', 'Bearer realm="erp"');
      sendProblem(res, problem);
    };
    if (!key) {
      return refuse(
        unauthorized('Send an API key as `Authorization: Bearer <key>` (or `X-API-Key: <key>`).'),
      );
    }
    authenticateApiKey(db, key)
      .then((row) => {
        if (!row) return refuse(unauthorized('The API key is unknown or revoked.'));
        (res.locals as AuthLocals).apiKey = { id: row.id, name: row.name, scopes: row.scopes };
        if (!grants(row.scopes, scope)) {
          return refuse(
            new Problem(
              403,
              'forbidden',
              'Forbidden',
              `${req.method} ${req.path} needs the scope ${scope}; this key has ${row.scopes.join(', ')}.`,
              undefined,
              { requiredScope: scope },
            ),
          );
        }
        const wait = limiter?.take(row.id) ?? 0;
        if (wait > 0) {
          res.set('Retry-After', String(wait));
          return refuse(
            new Problem(
              429,
              'rate-limited',
              'Too many requests',
              `This API key made more than its ${options.rateLimit?.perMinute} requests per minute; retry after ${wait} s.`,
            ),
          );
        }
        next();
      })
      .catch(next);
  };
}
