/**
 * The route scope table (every served route needs a scope or is explicitly public), the scope
 * rules, the rate limiter, the key format, the OpenAPI security and the AUTH_MODE settings.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { Request } from 'express';
import { createApp } from '../../api/app';
import { presentedKey, RateLimiter } from '../../api/auth';
import { buildOpenApiDocument } from '../../api/openapi';
import { generateApiKey, hashSecret, parseApiKey } from '../../db/queries/api-keys';
import { grants, requiredScope, ROUTE_SCOPES, SCOPES } from '../../domain/access';
import { loadConfig, type ConfigError } from '../../lib/config';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** [METHOD, /path/with/params/filled] of every route the app serves. */
function appRoutes(): [string, string, string][] {
  const app = createApp({
    db: {} as never,
    temporal: { namespace: 'default', uiUrl: 'http://x', taskQueue: 'q', rpcTimeoutMs: 1 } as never,
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: 1024,
    auth: { mode: 'keys' },
  });
  const found: [string, string, string][] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') {
            found.push([method.toUpperCase(), layer.route.path, layer.route.path.replace(/:(\w+)/g, 'x1')]);
          }
        }
      } else if (Array.isArray(layer.handle.stack)) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}

describe('the route scope table', () => {
  const routes = appRoutes();

  it('gives every route the app serves a scope, or marks it public', () => {
    expect(routes.length).toBeGreaterThan(40);
    const unmapped = routes
      .filter(([method, , sample]) => requiredScope(method, sample) === null)
      .map(([m, p]) => `${m} ${p}`);
    // a new write route under no rule in domain/access.ts ROUTE_SCOPES lands here: add a rule
    expect(unmapped).toEqual([]);
  });

  it('keeps only health, readiness, metrics, the documentation and the console page public', () => {
    const open = routes
      .filter(([m, , sample]) => requiredScope(m, sample) === 'public')
      .map(([m, p]) => `${m} ${p}`);
    expect(open.sort()).toEqual(['GET /healthz', 'GET /metrics', 'GET /openapi.json', 'GET /readyz']);
    expect(requiredScope('GET', '/docs/')).toBe('public');
    expect(requiredScope('GET', '/docs/swagger-ui.css')).toBe('public');
    // the console's static files; its data calls go to /v1 routes with a key
    expect(requiredScope('GET', '/console')).toBe('public');
    expect(requiredScope('GET', '/console/vendor/preact.mjs')).toBe('public');
    expect(requiredScope('GET', '/consoles')).toBe('read');
    // a look-alike is not public
    expect(requiredScope('GET', '/healthzz')).toBe('read');
  });

  it('maps the areas as documented', () => {
    const cases: [string, string, string][] = [
      ['POST', '/v1/events', 'events:write'],
      ['POST', '/v1/events/batch', 'events:write'],
      ['POST', '/v1/events/replay', 'admin'],
      ['GET', '/v1/events', 'read'],
      ['POST', '/v1/orders', 'orders:write'],
      ['POST', '/v1/orders/O-1/cancel', 'orders:write'],
      ['PUT', '/v1/products/SKU-1', 'orders:write'],
      ['PUT', '/v1/inventory/SKU-1/reorder-settings', 'orders:write'],
      ['PUT', '/v1/suppliers/S-1', 'orders:write'],
      ['POST', '/v1/purchase-orders/PO-1/receipts', 'orders:write'],
      ['POST', '/v1/reconciliation/exceptions/P-1/resolve', 'finance:write'],
      ['POST', '/v1/reconciliation/payments/P-1/unmatch', 'finance:write'],
      ['PUT', '/v1/customers/C-1', 'crm:write'],
      ['POST', '/v1/tickets/T-1/responses', 'crm:write'],
      ['POST', '/v1/tasks/K-1/complete', 'crm:write'],
      ['POST', '/v1/schedules/inventory-sweep/trigger', 'admin'],
      ['GET', '/v1/schedules', 'read'],
      ['POST', '/v1/subscriptions', 'admin'],
      ['DELETE', '/v1/subscriptions/abc', 'admin'],
      ['GET', '/v1/subscriptions', 'read'],
      ['GET', '/v1/api-keys', 'admin'],
      ['POST', '/v1/api-keys', 'admin'],
      ['DELETE', '/v1/api-keys/abc', 'admin'],
      ['GET', '/v1/ledger/trial-balance', 'read'],
      ['HEAD', '/v1/orders/O-1', 'read'],
      // prefixes match whole segments only
      ['POST', '/v1/eventsx', null as unknown as string],
      ['POST', '/v1/unknown', null as unknown as string],
    ];
    for (const [method, p, scope] of cases) {
      expect({ route: `${method} ${p}`, scope: requiredScope(method, p) }).toEqual({
        route: `${method} ${p}`,
        scope,
      });
    }
  });

  it('names only known scopes, and every scope but read has a write rule', () => {
    for (const rule of ROUTE_SCOPES) expect(SCOPES).toContain(rule.scope);
    expect(new Set(ROUTE_SCOPES.map((r) => r.scope))).toEqual(new Set(SCOPES));
  });

  it('lets admin do everything and every other scope only its own', () => {
    expect(grants(['admin'], 'finance:write')).toBe(true);
    expect(grants(['admin'], 'read')).toBe(true);
    expect(grants(['read'], 'read')).toBe(true);
    expect(grants(['read'], 'events:write')).toBe(false);
    expect(grants(['events:write', 'orders:write', 'finance:write', 'crm:write'], 'read')).toBe(false);
    expect(grants(['events:write', 'orders:write', 'finance:write', 'crm:write', 'read'], 'admin')).toBe(
      false,
    );
  });

  it('is the table the README documents', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    for (const scope of SCOPES) expect(readme).toContain(`| \`${scope}\``);
    for (const rule of ROUTE_SCOPES.filter((r) => r.path !== '/'))
      expect(readme).toContain(`\`${rule.path}\``);
  });
});

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument();
  type Json = Record<string, unknown>;

  it('declares the bearer and X-API-Key schemes', () => {
    expect((doc.components as Json).securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer' },
      apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
  });

  it('gives every operation its scope and 401, 403 and 429, or no security when public', () => {
    for (const [p, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item as Record<string, Json>)) {
        const scope = requiredScope(method, p);
        const name = `${method.toUpperCase()} ${p}`;
        if (scope === 'public') {
          expect({ name, security: op.security }).toEqual({ name, security: [] });
          continue;
        }
        expect({ name, security: op.security }).toEqual({
          name,
          security: [{ bearerAuth: [scope] }, { apiKeyHeader: [scope] }],
        });
        expect({ name, codes: Object.keys(op.responses as Json) }).toEqual({
          name,
          codes: expect.arrayContaining(['401', '403', '429']),
        });
      }
    }
  });
});

describe('the rate limiter', () => {
  it('allows the burst, then one request per interval, per key, with the seconds to wait', () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 30, burst: 2 }, () => now);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(2); // one token every 2 s
    expect(limiter.take('b')).toBe(0);
    now += 1000;
    expect(limiter.take('a')).toBe(1);
    now += 1000;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(2);
    now += 60_000;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThan(0);
  });

  it('defaults the burst to the per-minute rate', () => {
    const limiter = new RateLimiter({ perMinute: 5 }, () => 0);
    for (let i = 0; i < 5; i++) expect(limiter.take('k')).toBe(0);
    expect(limiter.take('k')).toBe(12);
  });
});

describe('keys', () => {
  it('are erp_<id>_<secret>, parse back, and hash to 64 hex characters', () => {
    const { id, secret, key } = generateApiKey();
    expect(key).toMatch(/^erp_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(key)).toEqual({ id, secret });
    expect(hashSecret(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(generateApiKey().key).not.toBe(key);
    for (const bad of [
      '',
      'erp_',
      `erp_${id}`,
      `xyz_${id}_${secret}`,
      `erp_${id}_${secret}x`,
      `erp_AB_${secret}`,
    ]) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });

  it('are read from Authorization: Bearer, else X-API-Key', () => {
    const req = (headers: Record<string, string>) =>
      ({ get: (name: string) => headers[name.toLowerCase()] }) as unknown as Request;
    expect(presentedKey(req({ authorization: 'Bearer abc' }))).toBe('abc');
    expect(presentedKey(req({ authorization: 'bearer  abc ' }))).toBe('abc');
    expect(presentedKey(req({ 'x-api-key': 'def' }))).toBe('def');
    expect(presentedKey(req({ authorization: 'Bearer abc', 'x-api-key': 'def' }))).toBe('abc');
    expect(presentedKey(req({}))).toBeUndefined();
  });
});

describe('configuration', () => {
  it('defaults to keys with 600 requests a minute', () => {
    const config = loadConfig({});
    expect(config.AUTH_MODE).toBe('keys');
    expect(config.RATE_LIMIT_PER_MINUTE).toBe(600);
    expect(config.RATE_LIMIT_BURST).toBeUndefined();
    expect(
      loadConfig({ AUTH_MODE: 'off', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_BURST: '20' }),
    ).toMatchObject({
      AUTH_MODE: 'off',
      RATE_LIMIT_PER_MINUTE: 0,
      RATE_LIMIT_BURST: 20,
    });
  });

  it('names a bad value', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problems({ AUTH_MODE: 'none' })).toEqual([
      { setting: 'AUTH_MODE', message: 'must be keys or off' },
    ]);
    for (const v of ['fast', '-1', '2.5']) {
      expect(problems({ RATE_LIMIT_PER_MINUTE: v })).toEqual([
        {
          setting: 'RATE_LIMIT_PER_MINUTE',
          message: 'must be a whole number of requests per minute (0: no limit)',
        },
      ]);
    }
    expect(problems({ RATE_LIMIT_BURST: '0' })).toEqual([
      { setting: 'RATE_LIMIT_BURST', message: 'must be a positive whole number' },
    ]);
  });
});
