/**
 * Webhook subscriptions: create (the signing secret is answered once), list, read, delete, re-enable,
 * and their deliveries (list, redeliver). Deliveries are outbox_deliveries rows with destination
 * `webhook:<id>`; a delivery's id is the event's id (the outbox id, also the `webhook-id` header).
 */
import { Router, type Request } from 'express';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { maxOutboxSeq, webhookDestination } from '../db/queries/webhooks';
import { outbox, outboxDeliveries, OUTBOX_DELIVERY_STATUSES, webhookSubscriptions } from '../db/schema';
import type { WebhookSubscriptionRow } from '../db/schema';
import { OUTBOUND_EVENT_TYPES } from '../domain/events/outbound';
import { webhookSubscriptionWorkflowId } from '../domain/names';
import { executionUiLink } from '../lib/temporal';
import { checkWebhookTarget, generateWebhookSecret } from '../lib/webhooks';
import type { AppDeps } from './app';
import { command } from './idempotency';
import { wakeSubscription } from './outbox-relay';
import { parseOr400, Problem, requireContentType, validationProblem, zodFieldErrors } from './problem';
import { describeWorkflow } from './workflow-status';

export const MAX_DELIVERY_PAGE = 500;

export const subscriptionRequestSchema = z
  .object({
    url: z.string().min(1).max(2000).meta({ description: 'http or https URL the events are POSTed to.' }),
    eventTypes: z
      .array(z.enum(OUTBOUND_EVENT_TYPES))
      .max(OUTBOUND_EVENT_TYPES.length)
      .optional()
      .meta({ description: 'Outbound event types to deliver; absent or empty: every type.' }),
    description: z.string().max(500).optional(),
  })
  .strict();

export const deliveryListQuerySchema = z
  .object({
    status: z.enum(OUTBOX_DELIVERY_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_DELIVERY_PAGE).default(100),
  })
  .strict();

const subscriptionIdSchema = z.uuid();

function subscriptionPath(id: string): string {
  return `/v1/subscriptions/${id}`;
}

function subscriptionView(deps: AppDeps, row: WebhookSubscriptionRow) {
  const workflowId = webhookSubscriptionWorkflowId(row.id);
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.eventTypes,
    description: row.description,
    status: row.status,
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    links: {
      self: subscriptionPath(row.id),
      deliveries: `${subscriptionPath(row.id)}/deliveries`,
      temporalUi: executionUiLink(deps.temporal.uiUrl, deps.temporal.namespace, workflowId),
    },
  };
}

const deliveryColumns = {
  eventId: outboxDeliveries.outboxId,
  seq: outbox.seq,
  eventType: outbox.type,
  aggregateType: outbox.aggregateType,
  aggregateId: outbox.aggregateId,
  status: outboxDeliveries.status,
  attempts: outboxDeliveries.attempts,
  lastError: outboxDeliveries.lastError,
  nextAttemptAt: outboxDeliveries.nextAttemptAt,
  deliveredAt: outboxDeliveries.deliveredAt,
  createdAt: outboxDeliveries.createdAt,
};
interface DeliveryRow {
  eventId: string;
  eventType: string;
  aggregateType: string;
  aggregateId: string;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

function deliveryView(subscriptionId: string, d: DeliveryRow) {
  return {
    id: d.eventId,
    eventId: d.eventId,
    eventType: d.eventType,
    aggregateType: d.aggregateType,
    aggregateId: d.aggregateId,
    status: d.status,
    attempts: d.attempts,
    lastError: d.lastError,
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    links: { redeliver: `${subscriptionPath(subscriptionId)}/deliveries/${d.eventId}/redeliver` },
  };
}

function notFound(what: string, id: string): Problem {
  return new Problem(404, 'not-found', `${what} not found`, `No ${what.toLowerCase()} ${id}.`);
}

export function subscriptionsRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;

  const load = async (req: Request): Promise<WebhookSubscriptionRow> => {
    const id = String(req.params.id);
    if (!subscriptionIdSchema.safeParse(id).success) throw notFound('Subscription', id);
    const [row] = await db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
    if (!row) throw notFound('Subscription', id);
    return row;
  };

  /** Wakes the delivery workflow; when Temporal is away the relay or the next change does it. */
  const wake = async (id: string): Promise<void> => {
    try {
      await deps.temporal.client.withDeadline(Date.now() + deps.temporal.rpcTimeoutMs, () =>
        wakeSubscription(deps.temporal.client, deps.temporal.taskQueuePrefix, id),
      );
    } catch (err) {
      deps.logger.warn({ subscriptionId: id, err: (err as Error).message }, 'webhook workflow not woken');
    }
  };

  /** Creates a subscription; the answer carries its signing secret, which is never shown again. */
  router.post(
    '/v1/subscriptions',
    command(deps, 'POST /v1/subscriptions', async (req) => {
      requireContentType(req, ['application/json']);
      const body = subscriptionRequestSchema.safeParse(req.body ?? {});
      if (!body.success) throw validationProblem(zodFieldErrors(body.error));
      const refused = await checkWebhookTarget(
        body.data.url,
        deps.settings.integration.webhookAllowPrivateTargets,
      );
      if (refused) throw validationProblem([{ path: 'url', message: refused }]);
      const secret = generateWebhookSecret();
      const row = await db.transaction(async (tx) => {
        // events written from now on are delivered; earlier ones are not
        const cursorSeq = await maxOutboxSeq(tx);
        const [created] = await tx
          .insert(webhookSubscriptions)
          .values({
            url: body.data.url,
            eventTypes: [...new Set(body.data.eventTypes ?? [])],
            description: body.data.description ?? null,
            secret,
            cursorSeq,
          })
          .returning();
        return created as WebhookSubscriptionRow;
      });
      await wake(row.id);
      return {
        status: 201,
        body: { ...subscriptionView(deps, row), secret },
        headers: { Location: subscriptionPath(row.id) },
      };
    }),
  );

  /** Every subscription (secrets are never listed). */
  router.get('/v1/subscriptions', async (_req, res) => {
    const rows = await db.select().from(webhookSubscriptions).orderBy(asc(webhookSubscriptions.createdAt));
    res.json({ items: rows.map((r) => subscriptionView(deps, r)) });
  });

  /** One subscription, with its delivery workflow. */
  router.get('/v1/subscriptions/:id', async (req, res) => {
    const row = await load(req);
    const workflow = await describeWorkflow(deps, webhookSubscriptionWorkflowId(row.id));
    res.json({ ...subscriptionView(deps, row), workflow });
  });

  /** Deletes the subscription and its delivery records (answers its last state); its workflow is cancelled. */
  router.delete('/v1/subscriptions/:id', async (req, res) => {
    const row = await load(req);
    await db.transaction(async (tx) => {
      await tx.delete(outboxDeliveries).where(eq(outboxDeliveries.destination, webhookDestination(row.id)));
      await tx.delete(webhookSubscriptions).where(eq(webhookSubscriptions.id, row.id));
    });
    try {
      await deps.temporal.client.withDeadline(Date.now() + deps.temporal.rpcTimeoutMs, () =>
        deps.temporal.client.workflow.getHandle(webhookSubscriptionWorkflowId(row.id)).cancel(),
      );
    } catch {
      // not running, or Temporal away: the workflow stops at its next attempt (the row is gone)
    }
    res.json({ ...subscriptionView(deps, row), status: 'deleted' });
  });

  /** Re-enables a disabled subscription: the event that failed is retried first, then the backlog. */
  router.post(
    '/v1/subscriptions/:id/enable',
    command(deps, 'POST /v1/subscriptions/:id/enable', async (req) => {
      const row = await load(req);
      let current = row;
      if (row.status !== 'active') {
        current = await db.transaction(async (tx) => {
          const [updated] = await tx
            .update(webhookSubscriptions)
            .set({ status: 'active', disabledAt: null, disabledReason: null, updatedAt: sql`now()` })
            .where(eq(webhookSubscriptions.id, row.id))
            .returning();
          await tx
            .update(outboxDeliveries)
            .set({ status: 'pending', nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
            .where(
              and(
                eq(outboxDeliveries.destination, webhookDestination(row.id)),
                eq(outboxDeliveries.status, 'failed'),
              ),
            );
          return updated as WebhookSubscriptionRow;
        });
      }
      await wake(row.id);
      return { status: 200, body: subscriptionView(deps, current) };
    }),
  );

  /** The subscription's deliveries, newest event first. */
  router.get('/v1/subscriptions/:id/deliveries', async (req, res) => {
    const row = await load(req);
    // named like every other list's parameters (`limit`), unknown ones refused
    const query = parseOr400(deliveryListQuerySchema, req.query);
    const destination = webhookDestination(row.id);
    const rows = await db
      .select(deliveryColumns)
      .from(outboxDeliveries)
      .innerJoin(outbox, eq(outbox.id, outboxDeliveries.outboxId))
      .where(
        and(
          eq(outboxDeliveries.destination, destination),
          query.status ? eq(outboxDeliveries.status, query.status) : undefined,
        ),
      )
      .orderBy(desc(outbox.seq))
      .limit(query.limit);
    res.json({ items: rows.map((d) => deliveryView(row.id, d)) });
  });

  /** Sends one event again (delivered or failed): it is queued and delivered by the workflow. */
  router.post(
    '/v1/subscriptions/:id/deliveries/:deliveryId/redeliver',
    command(deps, 'POST /v1/subscriptions/:id/deliveries/:deliveryId/redeliver', async (req) => {
      const row = await load(req);
      const deliveryId = String(req.params.deliveryId);
      if (!subscriptionIdSchema.safeParse(deliveryId).success) throw notFound('Delivery', deliveryId);
      const where = and(
        eq(outboxDeliveries.outboxId, deliveryId),
        eq(outboxDeliveries.destination, webhookDestination(row.id)),
      );
      await db
        .update(outboxDeliveries)
        .set({ status: 'pending', nextAttemptAt: sql`now()`, deliveredAt: null, updatedAt: sql`now()` })
        .where(where);
      const [delivery] = await db
        .select(deliveryColumns)
        .from(outboxDeliveries)
        .innerJoin(outbox, eq(outbox.id, outboxDeliveries.outboxId))
        .where(where);
      if (!delivery) throw notFound('Delivery', deliveryId);
      if (row.status === 'active') await wake(row.id);
      return { status: 202, body: deliveryView(row.id, delivery) };
    }),
  );

  return router;
}
