/** OpenAPI paths of webhook subscriptions and their deliveries. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { OUTBOUND_EVENT_TYPES } from '../domain/events/outbound';
import { OUTBOX_DELIVERY_STATUSES, WEBHOOK_SUBSCRIPTION_STATUSES } from '../db/schema';
import {
  commandProblems,
  commandResponseHeaders,
  idempotencyHeaders,
  json,
  locationHeaders,
  problem,
  workflowRefSchema,
} from './openapi-common';
import { deliveryListQuerySchema, subscriptionRequestSchema } from './subscriptions';

const TAG = 'webhooks';

const subscriptionSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    eventTypes: z.array(z.enum(OUTBOUND_EVENT_TYPES)).meta({ description: 'Empty: every type.' }),
    description: z.string().nullable(),
    status: z.enum([...WEBHOOK_SUBSCRIPTION_STATUSES, 'deleted']),
    disabledReason: z.string().nullable(),
    disabledAt: z.string().nullable(),
    createdAt: z.string(),
    links: z.object({ self: z.string(), deliveries: z.string(), temporalUi: z.string() }),
  })
  .meta({ id: 'WebhookSubscription' });

const createdSchema = subscriptionSchema
  .extend({
    secret: z.string().meta({
      description:
        'The Standard Webhooks signing secret, `whsec_` + base64. Shown only in this answer. Each delivery ' +
        'carries webhook-id (the event id), webhook-timestamp (Unix seconds) and webhook-signature ' +
        '`v1,<base64 HMAC-SHA256(base64-decoded secret, "<id>.<timestamp>.<body>")>`.',
    }),
  })
  .meta({ id: 'WebhookSubscriptionCreated' });

const deliverySchema = z
  .object({
    id: z.uuid().meta({ description: 'The delivery id: the event id (outbox id, the webhook-id header).' }),
    eventId: z.uuid(),
    eventType: z.string(),
    aggregateType: z.string(),
    aggregateId: z.string(),
    status: z.enum(OUTBOX_DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
    links: z.object({ redeliver: z.string() }),
  })
  .meta({ id: 'WebhookDelivery' });

const idParams = z.object({ id: z.uuid() });
const notFound = problem('No such subscription.');
const replayProblem = problem('Idempotency-Key already used for a different request.');

export function registerSubscriptionPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/subscriptions',
    tags: [TAG],
    summary: 'Subscribe a URL to outbound events (signed, retried, in order).',
    description:
      'Events written after the subscription is created are POSTed to `url` as CloudEvents 1.0 ' +
      '(application/cloudevents+json), one at a time in outbox order, signed the Standard Webhooks way. A ' +
      'failed delivery (non-2xx, timeout, network error) is retried with exponential backoff and jitter; when ' +
      'the receiver keeps failing past the retry period the subscription is disabled and alert.raised is ' +
      'emitted. The URL must be http or https, and not a private, loopback or link-local address unless ' +
      'the webhookAllowPrivateTargets setting allows it.',
    request: {
      headers: idempotencyHeaders,
      body: { required: true, content: json(subscriptionRequestSchema) },
    },
    responses: {
      201: {
        description: 'Created; the answer carries the signing secret (never shown again).',
        headers: locationHeaders('The subscription.'),
        content: json(createdSchema),
      },
      400: problem('Invalid body, refused URL, or an invalid Idempotency-Key.', commandResponseHeaders),
      ...commandProblems,
      415: problem('The body is not application/json.'),
      422: replayProblem,
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/subscriptions',
    tags: [TAG],
    summary: 'Every webhook subscription (without secrets).',
    responses: {
      200: {
        description: 'The subscriptions, oldest first.',
        content: json(z.object({ items: z.array(subscriptionSchema) })),
      },
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/subscriptions/{id}',
    tags: [TAG],
    summary: 'One subscription with its delivery workflow.',
    request: { params: idParams },
    responses: {
      200: {
        description: 'The subscription.',
        content: json(subscriptionSchema.extend({ workflow: workflowRefSchema })),
      },
      404: notFound,
    },
  });

  registry.registerPath({
    method: 'delete',
    path: '/v1/subscriptions/{id}',
    tags: [TAG],
    summary: 'Delete a subscription and its delivery records; its workflow is cancelled.',
    request: { params: idParams },
    responses: {
      200: { description: 'Deleted; its last state with status deleted.', content: json(subscriptionSchema) },
      404: notFound,
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/v1/subscriptions/{id}/enable',
    tags: [TAG],
    summary: 'Re-enable a disabled subscription.',
    description:
      'The event whose failure disabled it is retried first, then every event written since, in order. ' +
      'Enabling an active subscription changes nothing.',
    request: { params: idParams, headers: idempotencyHeaders },
    responses: {
      200: { description: 'Active.', headers: commandResponseHeaders, content: json(subscriptionSchema) },
      400: problem('Invalid Idempotency-Key.', commandResponseHeaders),
      404: notFound,
      ...commandProblems,
      422: replayProblem,
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/subscriptions/{id}/deliveries',
    tags: [TAG],
    summary: 'The subscription’s deliveries, newest event first.',
    request: { params: idParams, query: deliveryListQuerySchema },
    responses: {
      200: { description: 'Deliveries.', content: json(z.object({ items: z.array(deliverySchema) })) },
      400: problem('Invalid query.'),
      404: notFound,
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/v1/subscriptions/{id}/deliveries/{deliveryId}/redeliver',
    tags: [TAG],
    summary: 'Send one event again.',
    description:
      'The delivery goes back to pending and is sent by the subscription’s workflow (a disabled subscription ' +
      'sends it once re-enabled). Receivers dedupe by webhook-id, which stays the event id.',
    request: { params: idParams.extend({ deliveryId: z.uuid() }), headers: idempotencyHeaders },
    responses: {
      202: { description: 'Queued.', headers: commandResponseHeaders, content: json(deliverySchema) },
      400: problem('Invalid Idempotency-Key.', commandResponseHeaders),
      404: problem('No such subscription, or no delivery of this event to it.'),
      ...commandProblems,
      422: replayProblem,
    },
  });
}
