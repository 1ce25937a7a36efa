/**
 * Access control through the real API, database, Temporal and workers: API keys (401 without, with
 * an unknown or revoked one), scopes (403 naming the one needed), key management over REST and with
 * `npm run keys`, only hashes stored, keys never in the logs, the per-key rate limit, body limits.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { count, eq, sql } from 'drizzle-orm';
import { createApp } from '../../api/app';
import { createApiKey } from '../../db/queries/api-keys';
import { apiKeys, events } from '../../db/schema';
import type { Scope } from '../../domain/access';
import { ensureDevKey } from '../../lib/dev-key';
import { createLogger } from '../../lib/logger';
import { silentLogger, startHarness, stockAdjusted, uniqueKey, type Harness } from '../support/harness';

const ROOT = path.resolve(__dirname, '..', '..');

/** Every line the API logged. */
const logLines: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    logLines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});

let h: Harness;
let admin: string;
/** Every key this file made, to look for in the logs at the end. */
const keysSeen: string[] = [];

beforeAll(async () => {
  h = await startHarness({
    auth: { mode: 'keys' },
    logger: createLogger('info', 'api', logSink),
  });
  admin = await newKey(['admin']);
});
afterAll(async () => {
  await h?.close();
});

async function newKey(scopes: Scope[], name = uniqueKey('key')): Promise<string> {
  const { key } = await createApiKey(h.database.db, { name, scopes });
  keysSeen.push(key);
  return key;
}

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const eventCount = async () => (await h.database.db.select({ n: count() }).from(events))[0]?.n;

function expectProblem(res: request.Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
}

describe('without a valid key', () => {
  it('answers 401 with WWW-Authenticate for no key, a malformed, an unknown and a wrong-secret key', async () => {
    const before = await eventCount();
    const valid = await newKey(['events:write']);
    const [, id] = valid.split('_');
    const wrongSecret = `erp_${id}_${'A'.repeat(43)}`;
    const unknown = `erp_zzzzzzzzzzzz_${'B'.repeat(43)}`;
    for (const headers of [
      {},
      bearer('not-a-key'),
      bearer(unknown),
      bearer(wrongSecret),
      { 'X-API-Key': unknown },
      { Authorization: 'Basic dXNlcjpwYXNz' },
    ]) {
      const res = await request(h.app)
        .post('/v1/events')
        .set(headers as Record<string, string>)
        .send(stockAdjusted({ sku: uniqueKey('SKU'), delta: 1 }));
      expectProblem(res, 401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.body.type).toBe('/problems/unauthorized');
    }
    const read = await request(h.app).get('/v1/orders/O-1');
    expectProblem(read, 401);
    expect(await eventCount()).toBe(before);
  });

  it('keeps health, readiness, metrics and the API documentation open', async () => {
    await request(h.app).get('/healthz').expect(200);
    await request(h.app).get('/readyz').expect(200);
    await request(h.app).get('/metrics').expect(200);
    const doc = await request(h.app).get('/openapi.json').expect(200);
    expect(doc.body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    await request(h.app).get('/docs/').expect(200);
  });

  it('checks the key before reading the body', async () => {
    const res = await request(h.app)
      .post('/v1/events')
      .set('Content-Type', 'application/json')
      .send(`{"pad":"${'x'.repeat(200_000)}"}`);
    expectProblem(res, 401);
  });
});

describe('scopes', () => {
  it('answers 403 naming the scope a route needs, and changes nothing', async () => {
    const reader = await newKey(['read']);
    const producer = await newKey(['events:write']);
    const sales = await newKey(['orders:write']);
    const crm = await newKey(['crm:write']);
    const before = await eventCount();
    const cases: [string, request.Test, Scope][] = [
      [
        'read key posting an event',
        request(h.app)
          .post('/v1/events')
          .set(bearer(reader))
          .send(stockAdjusted({ sku: uniqueKey('SKU'), delta: 1 })),
        'events:write',
      ],
      ['events key reading', request(h.app).get('/v1/inventory/SKU-1').set(bearer(producer)), 'read'],
      [
        'orders key resolving a payment',
        request(h.app)
          .post('/v1/reconciliation/exceptions/PAY-1/resolve')
          .set(bearer(sales))
          .send({ allocations: [], resolvedBy: 'x' }),
        'finance:write',
      ],
      [
        'crm key writing a product',
        request(h.app).put('/v1/products/SKU-1').set(bearer(crm)).send({ name: 'x' }),
        'orders:write',
      ],
      [
        'orders key writing a ticket',
        request(h.app).post('/v1/tickets/T-1/resolve').set(bearer(sales)).send({}),
        'crm:write',
      ],
      ['read key listing API keys', request(h.app).get('/v1/api-keys').set(bearer(reader)), 'admin'],
      [
        'events key replaying events',
        request(h.app)
          .post('/v1/events/replay')
          .set(bearer(producer))
          .send({ types: ['order.placed'] }),
        'admin',
      ],
      [
        'orders key triggering a schedule',
        request(h.app).post('/v1/schedules/inventory-sweep/trigger').set(bearer(sales)).send({}),
        'admin',
      ],
    ];
    for (const [name, req, scope] of cases) {
      const res = await req;
      expect({ name, status: res.status }).toEqual({ name, status: 403 });
      expectProblem(res, 403);
      expect({ name, requiredScope: res.body.requiredScope }).toEqual({ name, requiredScope: scope });
      expect(res.body.detail).toContain(scope);
      expect(res.headers['www-authenticate']).toBeUndefined();
    }
    expect(await eventCount()).toBe(before);
  });

  it('lets each scope do its own part, by Bearer or X-API-Key; admin does all', async () => {
    const producer = await newKey(['events:write']);
    const reader = await newKey(['read']);
    const crm = await newKey(['crm:write']);
    const sales = await newKey(['orders:write', 'read']);
    const sku = uniqueKey('SKU');
    await request(h.app)
      .post('/v1/events')
      .set(bearer(producer))
      .send(stockAdjusted({ sku, delta: 5 }))
      .expect(202);
    await request(h.app)
      .post('/v1/events')
      .set('X-API-Key', producer)
      .send(stockAdjusted({ sku, delta: 1 }))
      .expect(202);
    await request(h.app).get(`/v1/events`).query({ subject: sku }).set(bearer(reader)).expect(200);
    const customerId = uniqueKey('C');
    await request(h.app)
      .put(`/v1/customers/${customerId}`)
      .set(bearer(crm))
      .send({ name: 'Acme', currency: 'EUR', creditLimit: 0, paymentTerms: { netDays: 30 }, consent: true })
      .expect(201);
    await request(h.app)
      .put(`/v1/products/${sku}`)
      .set(bearer(sales))
      .send({ name: 'Widget', unitPrice: 1250, currency: 'EUR' })
      .expect(201);
    await request(h.app).get(`/v1/products/${sku}`).set(bearer(sales)).expect(200);
    await request(h.app).get(`/v1/customers/${customerId}`).set(bearer(admin)).expect(200);
    await request(h.app)
      .post('/v1/events')
      .set(bearer(admin))
      .send(stockAdjusted({ sku, delta: 1 }))
      .expect(202);
  });
});

describe('API keys over REST (admin)', () => {
  it('creates a key and shows it once; lists and reads keys without secrets; stores only a hash', async () => {
    const created = await request(h.app)
      .post('/v1/api-keys')
      .set(bearer(admin))
      .send({ name: 'shop integration', scopes: ['events:write', 'read'] })
      .expect(201);
    const { key, id } = created.body as { key: string; id: string };
    keysSeen.push(key);
    expect(key).toMatch(new RegExp(`^erp_${id}_[A-Za-z0-9_-]{43}$`));
    expect(created.headers.location).toBe(`/v1/api-keys/${id}`);
    expect(created.body).toMatchObject({
      name: 'shop integration',
      scopes: ['events:write', 'read'],
      status: 'active',
      lastUsedAt: null,
      revokedAt: null,
      prefix: `erp_${id}_`,
    });
    const secret = key.slice(`erp_${id}_`.length);

    // the new key works at once
    await request(h.app).get('/v1/api-keys').set(bearer(key)).expect(403);
    await request(h.app).get('/v1/events').set(bearer(key)).expect(200);

    const list = await request(h.app).get('/v1/api-keys').set(bearer(admin)).expect(200);
    const listed = (list.body.items as { id: string; lastUsedAt: string | null }[]).find((k) => k.id === id);
    expect(listed).toMatchObject({ id, name: 'shop integration', status: 'active' });
    expect(listed?.lastUsedAt).toEqual(expect.any(String));
    expect(listed).not.toHaveProperty('key');
    expect(listed).not.toHaveProperty('secretHash');
    expect(JSON.stringify(list.body)).not.toContain(secret);
    const one = await request(h.app).get(`/v1/api-keys/${id}`).set(bearer(admin)).expect(200);
    expect(JSON.stringify(one.body)).not.toContain(secret);

    // the table holds the SHA-256 of the secret, never the secret or the key
    const [row] = await h.database.db.select().from(apiKeys).where(eq(apiKeys.id, id));
    expect(row?.secretHash).toBe(createHash('sha256').update(secret).digest('hex'));
    const dump = await h.database.db.execute<{ t: string }>(
      sql`select row_to_json(k)::text as t from api_keys k`,
    );
    for (const r of dump.rows) {
      expect(r.t).not.toContain(secret);
    }
  });

  it('a replay of the creation (Idempotency-Key) answers the same key without its secret, kept nowhere', async () => {
    const idem = uniqueKey('idem');
    const body = { name: 'replayed', scopes: ['read'] };
    const first = await request(h.app)
      .post('/v1/api-keys')
      .set(bearer(admin))
      .set('Idempotency-Key', idem)
      .send(body)
      .expect(201);
    keysSeen.push(first.body.key);
    const secret = (first.body.key as string).split('_').slice(2).join('_');
    const again = await request(h.app)
      .post('/v1/api-keys')
      .set(bearer(admin))
      .set('Idempotency-Key', idem)
      .send(body)
      .expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(again.body).not.toHaveProperty('key');
    const stored = await h.database.db.execute<{ t: string }>(
      sql`select row_to_json(k)::text as t from http_idempotency_keys k where key = ${idem}`,
    );
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]?.t).not.toContain(secret);
  });

  it('keeps Idempotency-Keys per API key: two clients sending the same key and body get their own answers', async () => {
    const idem = uniqueKey('shared-idem');
    const body = { name: 'same request', scopes: ['read'] };
    const otherAdmin = await newKey(['admin']);
    const first = await request(h.app)
      .post('/v1/api-keys')
      .set(bearer(admin))
      .set('Idempotency-Key', idem)
      .send(body)
      .expect(201);
    const second = await request(h.app)
      .post('/v1/api-keys')
      .set(bearer(otherAdmin))
      .set('Idempotency-Key', idem)
      .send(body)
      .expect(201);
    keysSeen.push(first.body.key, second.body.key);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.body.key).toEqual(expect.stringMatching(/^erp_/));
    const stored = await h.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from http_idempotency_keys where key = ${idem}`,
    );
    expect(stored.rows[0]?.n).toBe(2);
  });

  it('revokes a key: it answers 401 from then on; revoking again keeps the first time', async () => {
    const created = await request(h.app)
      .post('/v1/api-keys')
      .set(bearer(admin))
      .send({ name: 'to revoke', scopes: ['read'] })
      .expect(201);
    const { key, id } = created.body as { key: string; id: string };
    keysSeen.push(key);
    await request(h.app).get('/v1/events').set(bearer(key)).expect(200);
    const revoked = await request(h.app).delete(`/v1/api-keys/${id}`).set(bearer(admin)).expect(200);
    expect(revoked.body).toMatchObject({ id, status: 'revoked', revokedAt: expect.any(String) });
    const res = await request(h.app).get('/v1/events').set(bearer(key));
    expectProblem(res, 401);
    expect(res.body.detail).toMatch(/revoked/);
    const again = await request(h.app).delete(`/v1/api-keys/${id}`).set(bearer(admin)).expect(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
  });

  it('refuses bad requests: unknown scope, no name, unknown id', async () => {
    const bad = await request(h.app)
      .post('/v1/api-keys')
      .set(bearer(admin))
      .send({ name: '', scopes: ['write-everything'] });
    expectProblem(bad, 400);
    expect((bad.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual(['name', 'scopes[0]']);
    expectProblem(await request(h.app).delete('/v1/api-keys/nosuchkey0').set(bearer(admin)), 404);
    expectProblem(await request(h.app).get('/v1/api-keys/NOT_AN_ID').set(bearer(admin)), 400);
  });
});

describe('limits', () => {
  it('answers 413 problem+json for a body over the limit', async () => {
    const producer = await newKey(['events:write']);
    const before = await eventCount();
    const res = await request(h.app)
      .post('/v1/events')
      .set(bearer(producer))
      .send(stockAdjusted({ sku: uniqueKey('SKU'), delta: 1, note: 'x'.repeat(70 * 1024) }));
    expectProblem(res, 413);
    expect(await eventCount()).toBe(before);
  });

  it('rate-limits per key: 429 with Retry-After, other keys unaffected, then recovers', async () => {
    // the same database and Temporal, a rate limit of 60 a minute with a burst of 3
    const limited = createApp({
      db: h.database.db,
      temporal: h.temporal,
      logger: silentLogger,
      bodyLimitBytes: 64 * 1024,
      auth: { mode: 'keys', rateLimit: { perMinute: 60, burst: 3 } },
    });
    const busy = await newKey(['read']);
    const other = await newKey(['read']);
    for (let i = 0; i < 3; i++) await request(limited).get('/v1/events').set(bearer(busy)).expect(200);
    const res = await request(limited).get('/v1/events').set(bearer(busy));
    expectProblem(res, 429);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    await request(limited).get('/v1/events').set(bearer(other)).expect(200);
    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    await request(limited).get('/v1/events').set(bearer(busy)).expect(200);
  });
});

/** `npm run keys -- ...` against this file's database. */
function keysCommand(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'scripts', 'keys.ts'), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, DATABASE_URL: h.databaseUrl, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run keys', () => {
  it('creates, lists and revokes keys from a shell', async () => {
    const created = await keysCommand(['create', '--name', 'cli key', '--scopes', 'read,crm:write']);
    expect(created).toMatchObject({ code: 0 });
    const key = /erp_[a-z0-9]+_[A-Za-z0-9_-]{43}/.exec(created.stdout)?.[0] as string;
    expect(key).toBeDefined();
    keysSeen.push(key);
    const id = key.split('_')[1] as string;
    await request(h.app).get('/v1/events').set(bearer(key)).expect(200);
    await request(h.app).post('/v1/events').set(bearer(key)).send({}).expect(403);

    const listed = await keysCommand(['list', '--json']);
    expect(listed.code).toBe(0);
    const views = JSON.parse(listed.stdout) as { id: string; name: string; scopes: string[] }[];
    expect(views.find((v) => v.id === id)).toMatchObject({ name: 'cli key', scopes: ['crm:write', 'read'] });
    expect(listed.stdout).not.toContain(key.split('_').slice(2).join('_'));

    const revoked = await keysCommand(['revoke', id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked API key ${id}`);
    await request(h.app).get('/v1/events').set(bearer(key)).expect(401);

    const bad = await keysCommand(['create', '--name', 'x', '--scopes', 'read,root']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown: root');
    const unknown = await keysCommand(['revoke', 'nosuchkey0']);
    expect(unknown.code).toBe(1);
  }, 60_000);
});

describe('the development key of npm start', () => {
  it('is created once with every scope when no key is active, then read back from the data folder', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-dev-key-'));
    try {
      // this database has keys: none is created
      expect(await ensureDevKey(h.database.db, dataDir)).toMatchObject({ kind: 'none' });
      expect(fs.existsSync(path.join(dataDir, 'dev-api-key'))).toBe(false);

      // on an empty key table (in a transaction rolled back after), one is created and then reused
      await h.database.db
        .transaction(async (tx) => {
          await tx.update(apiKeys).set({ revokedAt: sql`now()` });
          const first = await ensureDevKey(tx as never, dataDir);
          expect(first).toMatchObject({ kind: 'created', key: expect.stringMatching(/^erp_/) });
          const file = path.join(dataDir, 'dev-api-key');
          expect(fs.readFileSync(file, 'utf8').trim()).toBe((first as { key: string }).key);
          expect(fs.statSync(file).mode & 0o777).toBe(0o600);
          const again = await ensureDevKey(tx as never, dataDir);
          expect(again).toEqual({ ...first, kind: 'existing' });
          const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.name, 'development (npm start)'));
          expect(row?.scopes).toEqual([
            'events:write',
            'orders:write',
            'finance:write',
            'crm:write',
            'read',
            'admin',
          ]);
          throw new Error('rollback');
        })
        .catch((err: Error) => {
          if (err.message !== 'rollback') throw err;
        });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('logs', () => {
  it('never hold a key or its secret, and say where one was redacted', async () => {
    // one more request with each header form, so both are surely logged
    const key = await newKey(['read']);
    await request(h.app).get('/v1/events').set(bearer(key)).expect(200);
    await request(h.app).get('/v1/events').set('X-API-Key', key).expect(200);
    await request(h.app)
      .get('/v1/events')
      .set(bearer(`${key}x`))
      .expect(401);
    const requestLines = logLines.filter((l) => l.includes('"req":'));
    expect(requestLines.length).toBeGreaterThan(10);
    expect(logLines.join('\n')).toContain('[Redacted]');
    for (const k of [...keysSeen, admin]) {
      const secret = k.split('_').slice(2).join('_');
      for (const line of logLines) {
        expect(line.includes(secret) ? line : 'clean').toBe('clean');
      }
    }
  });
});
