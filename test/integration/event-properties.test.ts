/**
 * Property-based: arbitrary JSON and mutated CloudEvents sent to POST /v1/events and
 * POST /v1/events/batch never get a 5xx; a refusal is problem+json naming its fields and writes
 * nothing (every table and sequence unchanged); an accepted event is exactly one events row (and its
 * master data projection), and a duplicate writes no row.
 *
 * The valid starting points are master data upserts, which no workflow consumes: their whole effect
 * is written before the answer, so a fingerprint taken right after it is final. On a failure
 * fast-check prints the seed and path; rerun with FC_SEED=<seed> (and FC_PATH=<path>) to replay it.
 * Last, every documented route gets random path parameters, query values and bodies: no 5xx, and a
 * 4xx is problem+json that wrote nothing.
 *
 * FC_RUNS sets the number of runs (200 single events, half as many batches); FC_VERBOSE=1 prints how
 * many answers of each status the single-event property saw.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { buildOpenApiDocument } from '../../api/openapi';
import { eventCatalogue } from '../../domain/events/catalogue';
import { startHarness, type Harness } from '../support/harness';
import { dbFingerprint, fingerprintDiff, type DbFingerprint } from '../support/fingerprint';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const RUNS = Number(process.env.FC_RUNS ?? 200);
const replay = {
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
  ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Body = Record<string, Json>;

/** The projection table each base type writes besides `events`. */
const PROJECTED: Record<string, string> = {
  'customer.upserted': 'customers',
  'supplier.upserted': 'suppliers',
  'product.upserted': 'products',
};

/** A valid event of one of the base types, with a fresh id and key. */
const baseEvent = fc.constantFrom(...Object.keys(PROJECTED)).map((type): Body => {
  const key = randomUUID().slice(0, 8);
  const data: Record<string, Body> = {
    'customer.upserted': {
      customerId: `C-p-${key}`,
      name: 'Acme GmbH',
      creditLimit: 5000,
      currency: 'EUR',
      paymentTerms: { netDays: 30 },
      consent: true,
    },
    'supplier.upserted': { supplierId: `SUP-p-${key}`, name: 'Glaswerk', leadTimeDays: 5 },
    'product.upserted': { sku: `SKU-p-${key}`, name: 'Glass', unitPrice: 1250, currency: 'EUR' },
  };
  return {
    specversion: '1.0',
    id: `evt-p-${randomUUID()}`,
    source: 'test/properties',
    type,
    time: new Date().toISOString(),
    subject: key,
    data: data[type] as Body,
  };
});

/** Text Postgres cannot store: NUL characters and unpaired surrogates. */
const unstorable = fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\udc00\ud800', 'ok\u0000');

/** Strings a producer should never send, next to ordinary ones. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ maxLength: 600 }),
  unstorable,
  fc.constantFrom(
    '',
    "'; DROP TABLE events; --",
    '<script>alert(1)</script>',
    '1.0',
    '2026-13-45T25:61:00Z',
    '2026-11-27T10:00:00',
    'order.placed',
  ),
);

/** `{"a":{"a":...}}` `levels` deep. */
const nested = fc.integer({ min: 1, max: 60 }).map((levels) => {
  let v: Json = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
});

const anyValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 3, arbitrary: nastyString },
  { weight: 1, arbitrary: nested },
  { weight: 1, arbitrary: fc.constantFrom<Json>(-1, 0, 1.5, 3_000_000_000, 1e308, -0, true, null, [], {}) },
);

const ENVELOPE_FIELDS = ['specversion', 'id', 'source', 'type', 'time', 'subject', 'data', 'dataschema'];

/** One change to an event: a field removed, a value swapped, a field added, a part replaced. */
const mutation: fc.Arbitrary<(e: Body) => Json> = fc.oneof(
  fc.constantFrom(...ENVELOPE_FIELDS).map((f) => (e: Body) => {
    delete e[f];
    return e;
  }),
  fc.tuple(fc.constantFrom(...ENVELOPE_FIELDS), anyValue).map(([f, v]) => (e: Body) => {
    e[f] = v;
    return e;
  }),
  fc
    .oneof(nastyString, fc.constantFrom(...Object.keys(eventCatalogue)))
    .map((t) => (e: Body) => ({ ...e, type: t })),
  fc
    .oneof(nastyString, fc.constantFrom('1.0', '0.3', '1', ''))
    .map((v) => (e: Body) => ({ ...e, specversion: v })),
  fc
    .oneof(
      nastyString,
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    )
    .map((v) => (e: Body) => ({
      ...e,
      time: v,
    })),
  fc.tuple(fc.string({ maxLength: 12 }), anyValue).map(([k, v]) => (e: Body) => ({ ...e, [k]: v })),
  fc.nat().map((i) => (e: Body) => {
    const data = e.data;
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      const keys = Object.keys(data);
      if (keys.length) delete data[keys[i % keys.length] as string];
    }
    return e;
  }),
  fc.tuple(fc.nat(), anyValue).map(([i, v]) => (e: Body) => {
    const data = e.data;
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      const keys = Object.keys(data);
      if (keys.length) data[keys[i % keys.length] as string] = v;
    }
    return e;
  }),
  fc.tuple(fc.string({ maxLength: 12 }), anyValue).map(([k, v]) => (e: Body) => {
    const data = e.data;
    if (data && typeof data === 'object' && !Array.isArray(data)) data[k] = v;
    return e;
  }),
  anyValue.map((v) => () => v),
  // text that would otherwise be valid, in a field that is stored
  fc
    .tuple(fc.constantFrom('id', 'source', 'subject'), unstorable)
    .map(([f, v]) => (e: Body) => ({ ...e, [f]: v })),
  unstorable.map((v) => (e: Body) => {
    const data = e.data;
    if (data && typeof data === 'object' && !Array.isArray(data) && typeof data.name === 'string')
      data.name = v;
    return e;
  }),
);

/** A base event with 0 to 3 mutations (a quarter or so stay valid). */
const mutatedEvent: fc.Arbitrary<Json> = fc
  .tuple(baseEvent, fc.array(mutation, { maxLength: 3 }))
  .map(([event, mutations]) => {
    let out: Json = structuredClone(event);
    for (const m of mutations) {
      if (out === null || typeof out !== 'object' || Array.isArray(out)) break;
      out = m(out);
    }
    return out;
  });

const contentType = fc.constantFrom('application/json', 'application/cloudevents+json');

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

function expectProblem(res: request.Response, status: number): void {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expectProblemBody(res.body as Problem, status);
}

function expectProblemBody(problem: Problem, status: number, pathPrefix = ''): void {
  expect(problem).toMatchObject({ status, type: expect.stringMatching(/^\/problems\//) });
  expect(problem.title).toEqual(expect.stringMatching(/\S/));
  expect(problem.detail).toEqual(expect.stringMatching(/\S/));
  expect(problem.errors?.length).toBeGreaterThan(0);
  for (const e of problem.errors ?? []) {
    expect(e.path.startsWith(pathPrefix)).toBe(true);
    expect(e.message).toEqual(expect.stringMatching(/\S/));
  }
}

const rowsOf = (f: DbFingerprint, table: string): number => Number(f.tables[table]?.split(':')[0]);

/**
 * An accepted event changed `events` and at most its projection table (with that change's lineage
 * effect), and nothing else.
 */
function expectOnlyEventsAndProjections(before: DbFingerprint, after: DbFingerprint): void {
  const allowed = new Set([
    'table events',
    'table lineage_effects',
    ...Object.values(PROJECTED).map((t) => `table ${t}`),
  ]);
  const tables = fingerprintDiff(before, after, { sequences: false });
  expect(tables.filter((t) => !allowed.has(t))).toEqual([]);
}

async function storedEvent(source: string, id: string): Promise<number> {
  const { rows } = await h.database.pool.query('select 1 from events where source = $1 and id = $2', [
    source,
    id,
  ]);
  return rows.length;
}

describe('POST /v1/events with arbitrary and mutated events', () => {
  it(`never answers 5xx; refusals are problems that write nothing; an acceptance is one row (${RUNS} runs)`, async () => {
    const seen = { 202: 0, 200: 0, 400: 0, 422: 0 };
    await fc.assert(
      fc.asyncProperty(mutatedEvent, contentType, async (body, type) => {
        const before = await dbFingerprint(h.database.pool);
        const res = await request(h.app)
          .post('/v1/events')
          .set('Content-Type', type)
          .send(JSON.stringify(body));
        const after = await dbFingerprint(h.database.pool);
        expect([202, 200, 400, 422]).toContain(res.status);
        seen[res.status as keyof typeof seen]++;
        if (res.status >= 400) {
          expectProblem(res, res.status);
          expect(fingerprintDiff(before, after)).toEqual([]);
        } else if (res.status === 200) {
          // a duplicate of an earlier run's event (a mutated id can repeat): no row
          expect(res.body.status).toBe('duplicate');
          expect(fingerprintDiff(before, after, { sequences: false })).toEqual([]);
        } else {
          const event = body as Body;
          expect(res.body).toMatchObject({ status: 'accepted', routing: { status: 'none' } });
          expect(rowsOf(after, 'events')).toBe(rowsOf(before, 'events') + 1);
          expect(await storedEvent(String(event.source), String(event.id))).toBe(1);
          expectOnlyEventsAndProjections(before, after);
        }
      }),
      { numRuns: RUNS, ...replay },
    );
    if (process.env.FC_VERBOSE) console.log(seen);
    // the generator reaches both sides
    expect(seen[202]).toBeGreaterThan(0);
    expect(seen[400]).toBeGreaterThan(0);
  });
});

describe('POST /v1/events/batch with arbitrary and mutated events', () => {
  const batchBody: fc.Arbitrary<Json> = fc.oneof(
    { weight: 8, arbitrary: fc.array(mutatedEvent, { maxLength: 6 }) },
    { weight: 1, arbitrary: anyValue },
  );

  it(`never answers 5xx; each event is accepted as one row or refused with its index, never partly (${Math.ceil(RUNS / 2)} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(batchBody, async (body) => {
        const before = await dbFingerprint(h.database.pool);
        const res = await request(h.app)
          .post('/v1/events/batch')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(body));
        const after = await dbFingerprint(h.database.pool);
        expect([200, 400]).toContain(res.status);
        if (res.status === 400) {
          expectProblem(res, 400);
          expect(fingerprintDiff(before, after)).toEqual([]);
          return;
        }
        const events = body as Json[];
        const answer = res.body as {
          accepted: number;
          duplicate: number;
          rejected: number;
          results: { index: number; status: number; problem?: Problem; result?: { status: string } }[];
        };
        expect(answer.results.map((r) => r.index)).toEqual(events.map((_, i) => i));
        expect(answer.accepted + answer.duplicate + answer.rejected).toBe(events.length);
        for (const r of answer.results) {
          expect([202, 200, 400, 422]).toContain(r.status);
          if (r.status >= 400) expectProblemBody(r.problem as Problem, r.status, `[${r.index}]`);
          else expect(r.result?.status).toBe(r.status === 202 ? 'accepted' : 'duplicate');
        }
        // exactly the accepted events are new rows, and nothing but events and projections changed
        expect(rowsOf(after, 'events')).toBe(rowsOf(before, 'events') + answer.accepted);
        for (const r of answer.results.filter((x) => x.status === 202)) {
          const event = events[r.index] as Body;
          expect(await storedEvent(String(event.source), String(event.id))).toBe(1);
        }
        if (answer.accepted === 0) expect(fingerprintDiff(before, after, { sequences: false })).toEqual([]);
        else expectOnlyEventsAndProjections(before, after);
      }),
      { numRuns: Math.ceil(RUNS / 2), ...replay },
    );
  });
});

describe('every documented route with random parameters and bodies', () => {
  type Operation = { method: string; path: string; query: string[] };
  const doc = buildOpenApiDocument() as unknown as {
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  };
  const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method,
      path,
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
    })),
  );
  /** Percent-encodes, keeping an unpaired surrogate as its (undecodable) UTF-8-like bytes. */
  const encode = (s: string): string => {
    try {
      return encodeURIComponent(s);
    } catch {
      return '%ED%A0%80';
    }
  };
  const param = fc.oneof(
    nastyString,
    fc.constantFrom('C-1', 'O-1', 'SKU-1', '1', '00000000-0000-4000-8000-000000000000'),
  );

  it(`never answers 5xx; every 4xx is problem+json and writes nothing (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...operations),
        fc.array(param, { minLength: 3, maxLength: 3 }),
        fc.array(fc.oneof(anyValue, unstorable), { maxLength: 4 }),
        fc.option(fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 2 })),
        anyValue,
        async (op, params, values, extra, body) => {
          let i = 0;
          const path = op.path.replace(/\{[^}]+\}/g, () => encode(params[i++] as string));
          const text = (v: Json) => (typeof v === 'string' ? v : JSON.stringify(v));
          // some of the route's own parameters, and at times unknown ones
          const pairs: [string, string][] = [
            ...op.query.slice(0, values.length).map((n, k): [string, string] => [n, text(values[k] as Json)]),
            ...Object.entries(extra ?? {}).map(([n, v]): [string, string] => [n, text(v)]),
          ];
          const qs = pairs.map(([n, v]) => `${encode(n)}=${encode(v)}`);
          const url = qs.length ? `${path}?${qs.join('&')}` : path;
          const before = await dbFingerprint(h.database.pool);
          let req = (request(h.app) as unknown as Record<string, (u: string) => request.Test>)[op.method]?.(
            url,
          );
          if (!req) throw new Error(`no method ${op.method}`);
          if (op.method === 'post' || op.method === 'put') {
            req = req.set('Content-Type', 'application/json').send(JSON.stringify(body));
          }
          const res = await req;
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
            expect(res.body).toMatchObject({ status: res.status, title: expect.stringMatching(/\S/) });
            expect(fingerprintDiff(before, await dbFingerprint(h.database.pool))).toEqual([]);
          }
        },
      ),
      { numRuns: RUNS, ...replay },
    );
  });
});
