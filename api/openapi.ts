/** The OpenAPI document, generated from the same zod schemas the API validates with. */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { cloudEventEnvelopeSchema } from '../domain/events/envelope';
import { eventCatalogue } from '../domain/events/catalogue';

const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

const workflowRefSchema = z
  .object({ id: z.string(), runId: z.string().nullable(), status: z.string() })
  .meta({ id: 'WorkflowRef' });

const eventAnswerSchema = z
  .object({
    eventId: z.string(),
    source: z.string(),
    status: z.enum(['accepted', 'duplicate']),
    routing: z.object({
      status: z.enum(['pending', 'delivered', 'failed']),
      workflowId: z.string(),
      runId: z.string().nullable(),
    }),
    links: z.object({ self: z.string(), temporalUi: z.string() }),
  })
  .meta({ id: 'EventAnswer' });

const inventorySchema = z
  .object({
    sku: z.string(),
    onHand: z.number().int(),
    reserved: z.number().int(),
    available: z.number().int(),
    onOrder: z.number().int(),
    updatedAt: z.string(),
    workflow: workflowRefSchema,
    links: z.object({ self: z.string(), temporalUi: z.string() }),
  })
  .meta({ id: 'Inventory' });

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

export function buildOpenApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  // one documented envelope per event type and version, each with its own data schema
  const variants = Object.entries(eventCatalogue).flatMap(([type, versions]) =>
    Object.entries(versions).map(([version, schema]) =>
      cloudEventEnvelopeSchema
        .extend({ type: z.literal(type), data: schema })
        .meta({ id: `Event.${type}.v${version}`, description: `${type}, version ${version}` }),
    ),
  );
  const eventBody = z.union(variants as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);

  registry.registerPath({
    method: 'post',
    path: '/v1/events',
    summary: 'Accept one business event (CloudEvents 1.0, structured JSON).',
    description:
      'The event is validated, stored (unique on source + id) and routed to its workflow. `data` must match ' +
      'the schema of its `type` (and version, from `dataschema` ending in /v<N>; v1 when absent).',
    request: {
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
        description: 'Stored durably; routed, or pending routing.',
        content: { 'application/json': { schema: eventAnswerSchema } },
      },
      200: {
        description: 'Duplicate: the first answer again; nothing written.',
        content: { 'application/json': { schema: eventAnswerSchema } },
      },
      400: problem('Invalid envelope or data; `errors` lists every failing field path.'),
      413: problem('Body too large.'),
      415: problem('Not JSON.'),
      422: problem('Unknown event type or version.'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/inventory/{sku}',
    summary: "One SKU's stock and its inventory workflow.",
    request: { params: z.object({ sku: z.string() }) },
    responses: {
      200: { description: 'The SKU.', content: { 'application/json': { schema: inventorySchema } } },
      404: problem('No stock recorded for this SKU.'),
    },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'ERP events API',
      version: '0.1.0',
      description: 'Business events in, durable Temporal workflows behind them.',
    },
  });
}
