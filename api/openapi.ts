/** The OpenAPI document, generated from the same zod schemas the API validates with. */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { cloudEventEnvelopeObject } from '../domain/events/envelope';
import { eventCatalogue } from '../domain/events/catalogue';
import { customerUpsertedV1, productUpsertedV1, supplierUpsertedV1 } from '../domain/events/masterdata';
import { reorderSettingsChangedV1 } from '../domain/events/inventory';
import { checkOrderUpTo, idSchema, skuSchema } from '../domain/events/primitives';
import { ROUTE_STATUSES } from '../db/schema/events';
import { eventListQuerySchema, MAX_BATCH, replayRequestSchema } from './events';
import { IDEMPOTENCY_HEADER } from './idempotency';
import { REST_EVENT_SOURCE } from './ingest';
import {
  commandProblems,
  commandResponseHeaders,
  idempotencyHeaders,
  json,
  locationHeaders,
  masterDataHeaders,
  problem,
  problemSchema,
  workflowRefSchema,
} from './openapi-common';
import { openApiPathModules } from './openapi-paths';
import { withSecurity } from './openapi-api-keys';

const TAGS = { events: 'events', masterData: 'master data', inventory: 'inventory', system: 'system' };

// ---- events -------------------------------------------------------------------------------------

const routingStatusSchema = z.enum([...ROUTE_STATUSES, 'none']).meta({
  id: 'RoutingStatus',
  description:
    'pending: stored, waiting for delivery to its workflow (retried by the relay); delivered; failed; ' +
    'none: no workflow consumes this event type (it is stored, and applied if master data).',
});

const eventLinksSchema = z.object({
  self: z.string().meta({ description: 'GET this stored event.' }),
  temporalUi: z
    .string()
    .nullable()
    .meta({ description: 'The workflow execution in the Temporal Web UI; null when routing is none.' }),
});

const eventAnswerSchema = z
  .object({
    eventId: z.string(),
    source: z.string(),
    status: z.enum(['accepted', 'duplicate']),
    routing: z.object({
      status: routingStatusSchema,
      workflowId: z.string().nullable().meta({ description: 'null when routing is none.' }),
      runId: z.string().nullable(),
    }),
    links: eventLinksSchema,
  })
  .meta({ id: 'EventAnswer' });

const storedEventSchema = z
  .object({
    eventId: z.string(),
    source: z.string(),
    seq: z.number().int().meta({ description: 'Position in the event store; the audit log’s order.' }),
    type: z.string(),
    typeVersion: z.number().int(),
    subject: z.string().nullable(),
    time: z.string().nullable().meta({ description: 'The producer’s `time`, if it sent one.' }),
    receivedAt: z.string().meta({ description: 'When the API stored the event.' }),
    correlationId: z.string(),
    data: z.unknown().meta({ description: 'The event data as stored (validated against its type).' }),
    routing: z.object({
      status: routingStatusSchema,
      workflowId: z.string().nullable(),
      runId: z.string().nullable(),
      attempts: z.number().int(),
      lastError: z.string().nullable(),
      routedAt: z.string().nullable(),
    }),
    links: eventLinksSchema,
  })
  .meta({ id: 'StoredEvent', description: 'One event of the audit log with its routing status.' });

const eventListSchema = z
  .object({ items: z.array(storedEventSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'EventList', description: 'Oldest first; pass nextCursor as cursor for the next page.' });

const batchAnswerSchema = z
  .object({
    accepted: z.number().int(),
    duplicate: z.number().int(),
    rejected: z.number().int(),
    results: z.array(
      z.union([
        z.object({
          index: z.number().int(),
          status: z.literal([202, 200]),
          result: eventAnswerSchema,
        }),
        z.object({
          index: z.number().int(),
          status: z.number().int().meta({ description: '400 or 422, as for a single event.' }),
          problem: problemSchema,
        }),
      ]),
    ),
  })
  .meta({
    id: 'BatchAnswer',
    description:
      'One result per event, in request order: a stored (202) or duplicate (200) answer, or a problem.',
  });

const replayAnswerSchema = z
  .object({
    matched: z.number().int().meta({ description: 'Stored events on this page matching the filters.' }),
    redriven: z.number().int().meta({ description: 'Events delivered to their workflows.' }),
    failed: z
      .number()
      .int()
      .meta({ description: 'Events whose delivery failed (left pending for the relay).' }),
    notRouted: z.number().int().meta({ description: 'Events of types no workflow consumes.' }),
    projected: z
      .number()
      .int()
      .meta({ description: 'Master data events applied again (a no-op where a newer upsert holds).' }),
    dryRun: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'ReplayAnswer' });

// ---- master data --------------------------------------------------------------------------------

/** Body of PUT: the upsert event's data, with the key optional (it comes from the path). */
const customerPutSchema = customerUpsertedV1.partial({ customerId: true }).meta({
  id: 'CustomerPut',
  description:
    'The data of customer.upserted v1; customerId may be left out (it comes from the path) and must match it ' +
    'if given.',
});
const supplierPutSchema = supplierUpsertedV1.partial({ supplierId: true }).meta({
  id: 'SupplierPut',
  description: 'The data of supplier.upserted v1; supplierId may be left out (it comes from the path).',
});
const productPutSchema = productUpsertedV1.partial({ sku: true }).meta({
  id: 'ProductPut',
  description:
    'The data of product.upserted v1; sku may be left out (it comes from the path). reorderSettings, when ' +
    'given, replaces the reorder rule too; left out, the rule is kept.',
});
// the catalogue schema has a refinement (orderUpTo > reorderPoint), which .partial() refuses, so the
// key is made optional on its shape and the refinement applied again
const reorderSettingsPutSchema = z
  .object({ ...reorderSettingsChangedV1.shape, sku: reorderSettingsChangedV1.shape.sku.optional() })
  .strict()
  .superRefine(checkOrderUpTo)
  .meta({
    id: 'ReorderSettingsPut',
    description:
      'The data of inventory.reorder_settings_changed v1; sku may be left out (it comes from the path). ' +
      'orderUpTo must be greater than reorderPoint.',
  });

const versionFields = {
  version: z
    .object({ eventId: z.string(), source: z.string(), seq: z.number().int() })
    .meta({ description: 'The upsert event this record is at.' }),
  createdAt: z.string(),
  updatedAt: z.string(),
};
const recordLinks = z.object({
  self: z.string(),
  event: z.string().meta({ description: 'GET the upsert event this record is at.' }),
});

const customerSchema = z
  .object({
    customerId: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    creditLimit: z.number().int().meta({ description: 'Minor units; 0 = no limit.' }),
    currency: z.string(),
    paymentTerms: z.object({ netDays: z.number().int() }),
    consent: z.boolean(),
    quietHours: z.object({ start: z.string(), end: z.string(), timeZone: z.string().nullable() }).nullable(),
    ...versionFields,
    links: recordLinks,
  })
  .meta({ id: 'Customer' });

const supplierSchema = z
  .object({
    supplierId: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    currency: z.string().nullable(),
    leadTimeDays: z.number().int(),
    minOrderQuantity: z.number().int(),
    ...versionFields,
    links: recordLinks,
  })
  .meta({ id: 'Supplier' });

const reorderRuleFields = {
  reorderPoint: z.number().int(),
  orderUpTo: z.number().int(),
  packMultiple: z.number().int(),
  minOrderQuantity: z.number().int(),
  leadTimeDays: z.number().int(),
  supplierId: z.string().nullable(),
};

const productSchema = z
  .object({
    sku: z.string(),
    name: z.string(),
    unitPrice: z.number().int().meta({ description: 'Minor units of currency.' }),
    currency: z.string(),
    supplierId: z.string().nullable(),
    active: z.boolean(),
    reorderSettings: z.object(reorderRuleFields).nullable(),
    ...versionFields,
    links: recordLinks,
  })
  .meta({ id: 'Product' });

const reorderSettingsSchema = z
  .object({ sku: z.string(), ...reorderRuleFields, ...versionFields, links: recordLinks })
  .meta({ id: 'ReorderSettings' });

// ---- inventory ----------------------------------------------------------------------------------

const inventorySchema = z
  .object({
    sku: z.string(),
    onHand: z.number().int(),
    reserved: z.number().int(),
    available: z.number().int(),
    onOrder: z.number().int().meta({ description: 'Still expected on open purchase orders.' }),
    reorderSettings: z.object(reorderRuleFields).nullable(),
    openPurchaseOrders: z.array(
      z.object({
        purchaseOrderId: z.string(),
        supplierId: z.string(),
        quantity: z.number().int(),
        received: z.number().int(),
        status: z.string(),
        expectedDate: z.string().nullable(),
        links: z.object({ self: z.string() }),
      }),
    ),
    updatedAt: z.string(),
    workflow: workflowRefSchema,
    links: z.object({ self: z.string(), temporalUi: z.string() }),
  })
  .meta({ id: 'Inventory' });

// ---- the document -------------------------------------------------------------------------------

/** PUT + GET of one master data record, whose PUT becomes the upsert event `eventType`. */
function masterDataPaths(m: {
  path: string;
  what: string;
  params: z.ZodObject;
  eventType: string;
  body: z.ZodType;
  record: z.ZodType;
}): RouteConfig[] {
  return [
    {
      method: 'put',
      path: m.path,
      tags: [TAGS.masterData],
      summary: `Create or replace a ${m.what}.`,
      description:
        `Stored as a \`${m.eventType}\` event from source \`${REST_EVENT_SOURCE}\` and applied in the same ` +
        'transaction, so the audit log and replays see it. A full replacement: optional fields left out are ' +
        'cleared or take their defaults. An older upsert never overwrites a newer one. The key field in the ' +
        'body may be left out; if given it must match the path.',
      request: {
        params: m.params,
        headers: masterDataHeaders,
        body: { required: true, content: json(m.body) },
      },
      responses: {
        201: {
          description: `Created; the ${m.what} as stored.`,
          headers: locationHeaders(`The ${m.what}.`),
          content: json(m.record),
        },
        200: {
          description: `Replaced; the ${m.what} as stored.`,
          headers: locationHeaders(`The ${m.what}.`),
          content: json(m.record),
        },
        400: problem(
          'Invalid path key, body, key in the body not matching the path, or Idempotency-Key; `errors` lists every failing field.',
          commandResponseHeaders,
        ),
        ...commandProblems,
        415: problem('Not application/json.', commandResponseHeaders),
        422: problem('Idempotency-Key already used for a different request.'),
      },
    },
    {
      method: 'get',
      path: m.path,
      tags: [TAGS.masterData],
      summary: `One ${m.what}.`,
      request: { params: m.params },
      responses: {
        200: { description: `The ${m.what}.`, content: json(m.record) },
        400: problem('Invalid path key.'),
        404: problem(`No such ${m.what}.`),
      },
    },
  ];
}

export function buildOpenApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  // one documented envelope per event type and version, each with its own data schema
  const variants = Object.entries(eventCatalogue).flatMap(([type, versions]) =>
    Object.entries(versions).map(([version, schema]) =>
      cloudEventEnvelopeObject
        .extend({ type: z.literal(type), data: schema })
        .meta({ id: `Event.${type}.v${version}`, description: `${type}, version ${version}` }),
    ),
  );
  const eventBody = z.union(variants as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  const batchBody = z.array(eventBody).min(1).max(MAX_BATCH);
  const skuParams = z.object({ sku: skuSchema });

  registry.registerPath({
    method: 'post',
    path: '/v1/events',
    tags: [TAGS.events],
    summary: 'Accept one business event (CloudEvents 1.0, structured JSON).',
    description:
      'The event is validated, stored (unique on source + id) and routed to its workflow. `data` must match ' +
      'the schema of its `type` (and version, from `dataschema` ending in /v<N>; v1 when absent). ' +
      '`correlationid` names the business flow; it defaults to the event id.',
    request: {
      headers: idempotencyHeaders,
      body: {
        required: true,
        content: {
          'application/json': { schema: eventBody },
          'application/cloudevents+json': { schema: eventBody },
        },
      },
    },
    responses: {
      202: {
        description: 'Stored durably; routed, pending routing, or not routed (routing status none).',
        headers: locationHeaders('The stored event.'),
        content: json(eventAnswerSchema),
      },
      200: {
        description:
          'Duplicate (same source + id): the first answer again, with status duplicate; nothing written.',
        headers: locationHeaders('The stored event.'),
        content: json(eventAnswerSchema),
      },
      400: problem(
        'Invalid envelope, data or Idempotency-Key; `errors` lists every failing field path.',
        commandResponseHeaders,
      ),
      ...commandProblems,
      415: problem('Not JSON.', commandResponseHeaders),
      422: problem(
        'Unknown event type or version, or Idempotency-Key already used for a different request.',
        commandResponseHeaders,
      ),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/v1/events/batch',
    tags: [TAGS.events],
    summary: `Accept 1 to ${MAX_BATCH} events; one result per event, in order.`,
    description:
      'Each event is validated on its own: valid ones are stored together in one transaction and routed, ' +
      'invalid ones are rejected with their problem in `results` (the request still answers 200). An event ' +
      'repeated in the batch or stored before is a duplicate.',
    request: {
      headers: idempotencyHeaders,
      body: {
        required: true,
        content: {
          'application/json': { schema: batchBody },
          'application/cloudevents-batch+json': { schema: batchBody },
        },
      },
    },
    responses: {
      200: {
        description: 'Every event accounted for: accepted, duplicate or rejected.',
        headers: commandResponseHeaders,
        content: json(batchAnswerSchema),
      },
      400: problem(
        `Not a JSON array of 1 to ${MAX_BATCH} events, or an invalid Idempotency-Key.`,
        commandResponseHeaders,
      ),
      ...commandProblems,
      415: problem('Not JSON.', commandResponseHeaders),
      422: problem('Idempotency-Key already used for a different request.'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/events',
    tags: [TAGS.events],
    summary: 'The audit log: stored events, oldest first, filtered and paginated.',
    description:
      '`type` must be a catalogue event type. `from` and `to` filter on when the API received the event ' +
      '(inclusive). `routing=none` finds events no workflow consumes. Pass `nextCursor` as `cursor` for the ' +
      'next page; it is null on the last one.',
    request: { query: eventListQuerySchema },
    responses: {
      200: { description: 'One page of events.', content: json(eventListSchema) },
      400: problem('Invalid or unknown query parameter, or a cursor this API did not return.'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/events/{id}',
    tags: [TAGS.events],
    summary: 'One stored event with its routing status.',
    request: {
      params: z.object({ id: z.string() }),
      query: z.object({ source: z.string().min(1).meta({ description: 'The event’s source.' }) }),
    },
    responses: {
      200: { description: 'The event.', content: json(storedEventSchema) },
      400: problem('source missing.'),
      404: problem('No event with this source and id.'),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/v1/events/replay',
    tags: [TAGS.events],
    summary: 'Re-drive stored events into their workflows.',
    description:
      'Selects stored events by receive time (`from`, `to`), `types`, `source` and `subject` (at least one ' +
      'of from, to and types), oldest first, up to `limit`; continue with `nextCursor`. Each is delivered ' +
      'again to its workflow in stored order and master data events are applied again. Workflows ignore ' +
      'changes they already hold and activities are idempotent, so nothing that already happened is ' +
      'repeated. `dryRun` only counts.',
    request: {
      headers: idempotencyHeaders,
      body: { required: true, content: json(replayRequestSchema) },
    },
    responses: {
      200: {
        description: 'What was matched and done.',
        headers: commandResponseHeaders,
        content: json(replayAnswerSchema),
      },
      400: problem(
        'Invalid request (or none of from, to and types), or a bad cursor.',
        commandResponseHeaders,
      ),
      ...commandProblems,
      415: problem('Not application/json.', commandResponseHeaders),
      422: problem('Idempotency-Key already used for a different request.'),
    },
  });

  const masterData = [
    {
      path: '/v1/customers/{customerId}',
      what: 'customer',
      params: z.object({ customerId: idSchema }),
      eventType: 'customer.upserted',
      body: customerPutSchema,
      record: customerSchema,
    },
    {
      path: '/v1/suppliers/{supplierId}',
      what: 'supplier',
      params: z.object({ supplierId: idSchema }),
      eventType: 'supplier.upserted',
      body: supplierPutSchema,
      record: supplierSchema,
    },
    {
      path: '/v1/products/{sku}',
      what: 'product',
      params: skuParams,
      eventType: 'product.upserted',
      body: productPutSchema,
      record: productSchema,
    },
    {
      path: '/v1/products/{sku}/reorder-settings',
      what: 'reorder rule',
      params: skuParams,
      eventType: 'inventory.reorder_settings_changed',
      body: reorderSettingsPutSchema,
      record: reorderSettingsSchema,
    },
  ];
  for (const m of masterData) for (const route of masterDataPaths(m)) registry.registerPath(route);

  registry.registerPath({
    method: 'get',
    path: '/v1/inventory/{sku}',
    tags: [TAGS.inventory],
    summary: "One SKU's stock and its inventory workflow.",
    request: { params: skuParams },
    responses: {
      200: { description: 'The SKU.', content: json(inventorySchema) },
      400: problem('Invalid SKU.'),
      404: problem('No stock and no reorder rule recorded for this SKU.'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/healthz',
    tags: [TAGS.system],
    summary: 'Liveness: the process answers.',
    responses: {
      200: { description: 'Alive.', content: json(z.object({ status: z.literal('ok') })) },
    },
  });

  const readiness = z
    .object({
      status: z.literal('ready'),
      checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
    })
    .meta({ id: 'Readiness' });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    tags: [TAGS.system],
    summary: 'Readiness: Postgres reachable, migrations at head, Temporal reachable.',
    responses: {
      200: { description: 'Ready.', content: json(readiness) },
      503: problem('Not ready: `detail` names each failing check; `checks` holds all of them.'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/metrics',
    tags: [TAGS.system],
    summary: 'Prometheus metrics: events by type and outcome, routing latency, pending routes, outbox lag.',
    responses: {
      200: {
        description: 'Prometheus text exposition format.',
        content: { 'text/plain': { schema: z.string() } },
      },
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    tags: [TAGS.system],
    summary: 'This OpenAPI 3.1 document (GET /docs renders it).',
    responses: {
      200: {
        description: 'The document.',
        content: json(z.record(z.string(), z.unknown())),
      },
    },
  });

  for (const register of openApiPathModules) register(registry);

  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'ERP events API',
      version: '0.1.0',
      description:
        'Business events in, durable Temporal workflows behind them. Errors are RFC 9457 ' +
        '`application/problem+json`. Command routes (POST /v1/events, /v1/events/batch, /v1/events/replay ' +
        `and the master data PUTs) take an optional \`${IDEMPOTENCY_HEADER}\` header.`,
    },
    tags: [
      { name: TAGS.events, description: 'Events in, the audit log, and replay.' },
      {
        name: TAGS.masterData,
        description: 'Customers, suppliers, products and reorder rules; each PUT is an upsert event.',
      },
      { name: TAGS.inventory, description: 'Stock per SKU and its workflow.' },
      { name: TAGS.system, description: 'Liveness and this document.' },
    ],
  });
  return withSecurity(document);
}
