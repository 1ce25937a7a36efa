/** The OpenAPI document covers every route the app serves, every event type, and the error format. */
import pino from 'pino';
import { createApp } from '../../api/app';
import { buildOpenApiDocument } from '../../api/openapi';
import { eventCatalogue } from '../../domain/events/catalogue';

type Doc = ReturnType<typeof buildOpenApiDocument>;
type Json = Record<string, unknown>;

const doc: Doc = buildOpenApiDocument();
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The parts of Express 5 router layers this test reads. */
interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** `METHOD /path` of every route, from the app's router stack and the routers mounted in it. */
function appRoutes(): string[] {
  // building the app opens no connections: createApp only wires routers around the deps it is given
  const app = createApp({
    db: {} as never,
    temporal: { namespace: 'default', uiUrl: 'http://x', taskQueue: 'q', rpcTimeoutMs: 1 } as never,
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: 1024,
  });
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = layer.route.path.replace(/:(\w+)/g, '{$1}');
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') found.push(`${method.toUpperCase()} ${path}`);
        }
      } else if (Array.isArray(layer.handle.stack)) {
        walk(layer.handle.stack);
      }
    }
  };
  // `/docs` is swagger-ui middleware mounted with app.use, not a route, so the walk does not list it
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found.sort();
}

function documentedRoutes(): string[] {
  return Object.entries(doc.paths ?? {})
    .flatMap(([path, item]) =>
      METHODS.filter((m) => (item as Json)[m] !== undefined).map((m) => `${m.toUpperCase()} ${path}`),
    )
    .sort();
}

function operations(): [string, Json][] {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Json)[m] !== undefined).map((m): [string, Json] => [
      `${m.toUpperCase()} ${path}`,
      (item as Json)[m] as Json,
    ]),
  );
}

const schemas = (): Record<string, Json> => (doc.components?.schemas ?? {}) as Record<string, Json>;

/** The schema itself, following a `$ref` into components. */
function resolve(schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const target = schemas()[ref.replace('#/components/schemas/', '')];
  if (!target) throw new Error(`dangling ${ref}`);
  return target;
}

function operation(method: string, path: string): Json {
  const op = ((doc.paths ?? {})[path] as Json | undefined)?.[method] as Json | undefined;
  if (!op) throw new Error(`${method} ${path} not documented`);
  return op;
}

function requestSchema(method: string, path: string, contentType = 'application/json'): Json {
  const body = operation(method, path).requestBody as { content: Record<string, { schema: Json }> };
  return body.content[contentType]!.schema;
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents every route the app serves, and none it does not', () => {
    const routes = appRoutes();
    expect(routes).toEqual(
      expect.arrayContaining(['POST /v1/events', 'GET /v1/events/{id}', 'PUT /v1/customers/{customerId}']),
    );
    expect(documentedRoutes()).toEqual(routes);
  });

  it('gives every operation a summary and one of the known tags', () => {
    for (const [name, op] of operations()) {
      expect({ name, summary: typeof op.summary }).toEqual({ name, summary: 'string' });
      expect({ name, tags: op.tags }).toEqual({
        name,
        tags: [
          expect.stringMatching(
            /^(events|master data|inventory|system|orders|ledger|crm|webhooks|reconciliation)$/,
          ),
        ],
      });
    }
  });

  it('has an envelope variant for every event type and version, in single and batch bodies', () => {
    const single = (requestSchema('post', '/v1/events').anyOf as Json[]).map((s) => s.$ref);
    const cloudEvents = (
      requestSchema('post', '/v1/events', 'application/cloudevents+json').anyOf as Json[]
    ).map((s) => s.$ref);
    const batch = requestSchema('post', '/v1/events/batch');
    expect(batch).toMatchObject({ type: 'array', minItems: 1, maxItems: 500 });
    const batchItems = ((batch.items as Json).anyOf as Json[]).map((s) => s.$ref);

    for (const [type, versions] of Object.entries(eventCatalogue)) {
      for (const version of Object.keys(versions)) {
        const id = `Event.${type}.v${version}`;
        const variant = schemas()[id];
        expect({ id, type: (variant?.properties as Json | undefined)?.type }).toEqual({
          id,
          type: { type: 'string', enum: [type] },
        });
        expect(((variant as Json).required as string[]).sort()).toEqual(
          expect.arrayContaining(['data', 'id', 'source', 'specversion', 'type']),
        );
        for (const list of [single, cloudEvents, batchItems]) {
          expect(list).toContain(`#/components/schemas/${id}`);
        }
      }
    }
  });

  it('PUT customer body requires name but not customerId (it comes from the path)', () => {
    const body = resolve(requestSchema('put', '/v1/customers/{customerId}'));
    expect(body.properties).toHaveProperty('customerId');
    expect(body.required).toContain('name');
    expect(body.required).not.toContain('customerId');
    expect(body.additionalProperties).toBe(false);
  });

  it('PUT bodies of supplier, product and reorder rule leave their path key optional', () => {
    const cases: [string, string, string][] = [
      ['/v1/suppliers/{supplierId}', 'supplierId', 'name'],
      ['/v1/products/{sku}', 'sku', 'unitPrice'],
      ['/v1/products/{sku}/reorder-settings', 'sku', 'orderUpTo'],
    ];
    for (const [path, key, required] of cases) {
      const body = resolve(requestSchema('put', path));
      expect({ path, required: body.required }).toEqual({
        path,
        required: expect.arrayContaining([required]),
      });
      expect({ path, keyRequired: (body.required as string[]).includes(key) }).toEqual({
        path,
        keyRequired: false,
      });
    }
  });

  it('declares Idempotency-Key on command routes and X-Correlation-Id on master data PUTs', () => {
    const headerNames = (op: Json) =>
      ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'header').map((p) => p.name);
    for (const [name, op] of operations()) {
      const isCommand = name.startsWith('PUT ') || name.startsWith('POST ');
      expect({ name, idempotent: headerNames(op).includes('Idempotency-Key') }).toEqual({
        name,
        idempotent: isCommand,
      });
      expect({ name, correlation: headerNames(op).includes('X-Correlation-Id') }).toEqual({
        name,
        correlation: name.startsWith('PUT ') || name === 'POST /v1/orders',
      });
      if (isCommand) {
        const responses = op.responses as Record<string, Json>;
        expect({ name, codes: Object.keys(responses) }).toEqual({
          name,
          codes: expect.arrayContaining(['409', '422']),
        });
        const success = Object.entries(responses).filter(([code]) => code.startsWith('2'));
        for (const [code, response] of success) {
          expect({ name, code, headers: Object.keys((response.headers ?? {}) as Json) }).toEqual({
            name,
            code,
            headers: expect.arrayContaining(['Idempotent-Replayed']),
          });
        }
      }
    }
    const created = (operation('put', '/v1/products/{sku}').responses as Record<string, Json>)['201'];
    expect(created?.headers).toHaveProperty('Location');
  });

  it('answers every error as application/problem+json with the Problem schema', () => {
    let problems = 0;
    for (const [name, op] of operations()) {
      for (const [code, response] of Object.entries(op.responses as Record<string, Json>)) {
        const contentTypes = Object.keys((response.content ?? {}) as Json);
        if (Number(code) >= 400) {
          problems++;
          expect({ name, code, contentTypes }).toEqual({
            name,
            code,
            contentTypes: ['application/problem+json'],
          });
          const content = response.content as Record<string, { schema: Json }>;
          expect(content['application/problem+json']!.schema).toEqual({
            $ref: '#/components/schemas/Problem',
          });
        } else {
          // Prometheus scrapes text; everything else answers JSON
          const expected = name === 'GET /metrics' ? ['text/plain'] : ['application/json'];
          expect({ name, code, contentTypes }).toEqual({ name, code, contentTypes: expected });
        }
      }
    }
    expect(problems).toBeGreaterThan(20);
    expect(schemas().Problem?.required).toEqual(['type', 'title', 'status']);
  });

  it('documents the audit log query and the replay body from the route schemas', () => {
    const params = (operation('get', '/v1/events').parameters as Json[]).map((p) => `${p.in}:${p.name}`);
    expect(params.sort()).toEqual(
      ['correlationId', 'cursor', 'from', 'limit', 'order', 'routing', 'source', 'subject', 'to', 'type'].map(
        (n) => `query:${n}`,
      ),
    );
    const replay = resolve(requestSchema('post', '/v1/events/replay'));
    expect(Object.keys(replay.properties as Json)).toEqual(
      expect.arrayContaining(['from', 'to', 'types', 'dryRun', 'limit', 'cursor']),
    );
    const one = operation('get', '/v1/events/{id}').parameters as Json[];
    expect(one).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: 'query', name: 'source', required: true }),
        expect.objectContaining({ in: 'path', name: 'id', required: true }),
      ]),
    );
  });

  it('allows routing status none with null workflowId and temporalUi in EventAnswer', () => {
    const answer = schemas().EventAnswer as Json;
    const props = answer.properties as Record<string, Json>;
    const routing = props.routing!.properties as Record<string, Json>;
    expect(resolve(routing.status!).enum).toContain('none');
    expect(routing.workflowId!.type).toEqual(['string', 'null']);
    expect((props.links!.properties as Record<string, Json>).temporalUi!.type).toEqual(['string', 'null']);
  });
});
