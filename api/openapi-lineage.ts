/** OpenAPI path of the lineage of an event, a business key or a flow. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { json, problem } from './openapi-common';
import { LINEAGE_NODE_KINDS, lineageQuerySchema } from './lineage';

const nodeSchema = z
  .object({
    id: z.string().meta({
      description:
        'event:<source>/<eventId>, workflow:<workflowId>/<runId>, effect:<n>, outbound:<outboxId>, ' +
        'delivery:<outboxId>/<destination>.',
    }),
    kind: z.enum(LINEAGE_NODE_KINDS),
    at: z.string().meta({ description: 'ISO 8601: received, started, written, announced, delivered.' }),
    parents: z
      .array(z.string())
      .meta({ description: 'Ids of the nodes that caused this one (earlier in the list).' }),
    label: z.string().meta({ description: 'One line for people.' }),
    detail: z.record(z.string(), z.unknown()).meta({
      description:
        'event: { source, eventId, type, subject, correlationId, routing: { status, workflowId, runId } }; ' +
        'workflow: { workflowId, runId, type, status, links: { temporalUi } }; effect: { table, key, ' +
        "operation: 'insert'|'update'|'delete', changes: { <column>: { from, to } }, activity, workflowId, runId, " +
        "attempt, cause }; outbound: { outboxId, type, subject, aggregateType, activity, workflowId }; delivery: { channel: 'webhook'|'kafka', " +
        'target, destination, status, attempts, lastError?, deliveredAt }.',
    }),
  })
  .meta({ id: 'LineageNode' });

const lineageSchema = z
  .object({
    query: z.record(z.string(), z.string()).meta({ description: 'The selector, as understood.' }),
    correlationIds: z.array(z.string()).meta({ description: 'The flows the answer covers, latest first.' }),
    nodes: z.array(nodeSchema).meta({ description: 'In time order; a node never precedes its parents.' }),
  })
  .meta({ id: 'Lineage' });

export function registerLineagePaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/lineage',
    tags: ['events'],
    summary: 'The whole chain of an event, an order, a SKU, a payment, a ticket or a correlation id.',
    description:
      'Exactly one selector: source+eventId, orderId, sku, paymentId, ticketId or correlationId. Built from ' +
      'causation recorded as things happened: inbound events and their routing, the workflow runs they ' +
      'started or signalled (status from Temporal, Web UI links), every row the activities inserted, ' +
      'updated or deleted (table, key, changed columns), the outbound events and their webhook and Kafka ' +
      'deliveries. An event answers its own flow (its correlation id); a business key the flows of its rows, ' +
      'of the events routed to its workflow and of the changes its workflow made (at most the 50 latest).',
    request: { query: lineageQuerySchema },
    responses: {
      200: { description: 'The chain.', content: json(lineageSchema) },
      400: problem(
        'No selector, more than one, source without eventId (or the reverse), or an unknown parameter.',
      ),
      404: problem('The key names nothing.'),
    },
  });
}
