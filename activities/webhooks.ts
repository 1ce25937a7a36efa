/** Webhook activities: fan-out of outbox rows, one signed HTTP POST per attempt, and disabling. */
import { log } from '@temporalio/activity';
import { msToNumber } from '@temporalio/common';
import { and, eq, sql } from 'drizzle-orm';
import { appendOutbox } from '../db/queries/outbox';
import { findSubscription, nextWebhookBatch, webhookDestination } from '../db/queries/webhooks';
import { outbox, outboxDeliveries, webhookSubscriptions } from '../db/schema';
import { outboundEnvelope } from '../domain/events/outbound-envelope';
import type { WebhookAttempt, WebhookAttemptOutcome, WebhookBatch } from '../domain/webhooks';
import { webhookSubscriptionWorkflowId } from '../domain/names';
import { checkWebhookTarget, signWebhook } from '../lib/webhooks';
import type { ActivityDeps } from './index';

/** Longest response text kept in last_error. */
const ERROR_TEXT_LIMIT = 300;

export function createWebhookActivities({ db, settings }: ActivityDeps) {
  const integration = settings.integration;
  return {
    /** Fans new outbox rows out to the subscription and returns its pending deliveries, oldest first. */
    async nextWebhookDeliveries(input: { subscriptionId: string; limit: number }): Promise<WebhookBatch> {
      return nextWebhookBatch(db, input.subscriptionId, input.limit);
    },

    /**
     * One attempt: POSTs the event's CloudEvent, signed, and records the outcome on its delivery row.
     * Never throws for the receiver's failure (the workflow owns the retry schedule); throws only when
     * Postgres does, so Temporal retries the activity.
     */
    async deliverWebhook(input: WebhookAttempt): Promise<WebhookAttemptOutcome> {
      const destination = webhookDestination(input.subscriptionId);
      const sub = await findSubscription(db, input.subscriptionId);
      if (!sub) return { outcome: 'skipped', reason: 'subscription deleted', stop: 'gone' };
      if (sub.status !== 'active') {
        return { outcome: 'skipped', reason: `subscription ${sub.status}`, stop: 'disabled' };
      }
      const [row] = await db
        .select({ delivery: outboxDeliveries, event: outbox })
        .from(outboxDeliveries)
        .innerJoin(outbox, eq(outbox.id, outboxDeliveries.outboxId))
        .where(
          and(eq(outboxDeliveries.outboxId, input.eventId), eq(outboxDeliveries.destination, destination)),
        );
      if (!row) return { outcome: 'skipped', reason: 'no such delivery' };
      if (row.delivery.status !== 'pending')
        return { outcome: 'skipped', reason: `delivery ${row.delivery.status}` };

      const body = JSON.stringify(outboundEnvelope(row.event));
      const headers = signWebhook(sub.secret, row.event.id, Math.floor(Date.now() / 1000), body);
      let result: WebhookAttemptOutcome;
      const refused = await checkWebhookTarget(sub.url, integration.webhookAllowPrivateTargets);
      if (refused) {
        result = { outcome: 'failed', error: `target refused: ${refused}` };
      } else {
        try {
          const res = await fetch(sub.url, {
            method: 'POST',
            headers: { 'content-type': 'application/cloudevents+json', ...headers },
            body,
            redirect: 'manual',
            signal: AbortSignal.timeout(msToNumber(integration.webhookRequestTimeout)),
          });
          const text = await res.text().catch(() => '');
          result =
            res.status >= 200 && res.status < 300
              ? { outcome: 'delivered', status: res.status }
              : {
                  outcome: 'failed',
                  error: `HTTP ${res.status}${text ? `: ${text.slice(0, ERROR_TEXT_LIMIT)}` : ''}`,
                };
        } catch (err) {
          const e = err as Error & { cause?: { code?: string; message?: string } };
          result = { outcome: 'failed', error: e.cause?.code ?? e.cause?.message ?? e.message };
        }
      }

      const delivered = result.outcome === 'delivered';
      await db
        .update(outboxDeliveries)
        .set({
          attempts: sql`${outboxDeliveries.attempts} + 1`,
          status: delivered ? 'delivered' : 'pending',
          deliveredAt: delivered ? sql`now()` : null,
          lastError: result.outcome === 'failed' ? result.error : null,
          nextAttemptAt: delivered ? null : sql`now() + make_interval(secs => ${input.retryInMs / 1000})`,
          updatedAt: sql`now()`,
        })
        .where(
          and(
            eq(outboxDeliveries.outboxId, input.eventId),
            eq(outboxDeliveries.destination, destination),
            eq(outboxDeliveries.status, 'pending'),
          ),
        );
      log.info(`webhook ${result.outcome}`, {
        subscriptionId: input.subscriptionId,
        eventId: input.eventId,
        attempt: input.attempt,
        correlationId: row.event.correlationId,
        ...(result.outcome === 'failed' ? { error: result.error } : {}),
      });
      return result;
    },

    /**
     * Past the retry period: the subscription is disabled, its pending deliveries (the event that
     * kept failing first) are marked failed, and an alert.raised event is written, in one
     * transaction. Idempotent per episode.
     */
    async disableWebhookSubscription(input: {
      subscriptionId: string;
      eventId: string;
      /** ISO time of the first failure of this episode (also its idempotency key). */
      failingSince: string;
      reason: string;
    }): Promise<void> {
      await db.transaction(async (tx) => {
        const [sub] = await tx
          .update(webhookSubscriptions)
          .set({
            status: 'disabled',
            disabledAt: sql`now()`,
            disabledReason: input.reason,
            updatedAt: sql`now()`,
          })
          .where(
            and(eq(webhookSubscriptions.id, input.subscriptionId), eq(webhookSubscriptions.status, 'active')),
          )
          .returning();
        if (!sub) return;
        // the event that kept failing, and every other one queued behind it, wait for re-enabling
        await tx
          .update(outboxDeliveries)
          .set({
            status: 'failed',
            nextAttemptAt: null,
            lastError: sql`coalesce(${outboxDeliveries.lastError}, 'subscription disabled')`,
            updatedAt: sql`now()`,
          })
          .where(
            and(
              eq(outboxDeliveries.destination, webhookDestination(input.subscriptionId)),
              eq(outboxDeliveries.status, 'pending'),
            ),
          );
        await appendOutbox(tx, {
          aggregateType: 'subscription',
          aggregateId: input.subscriptionId,
          type: 'alert.raised',
          payload: {
            alert: 'webhook_subscription_disabled',
            severity: 'warning',
            subscriptionId: input.subscriptionId,
            url: sub.url,
            failingSince: input.failingSince,
            eventId: input.eventId,
            reason: input.reason,
          },
          idempotencyKey: `webhook.disabled/${input.subscriptionId}/${input.failingSince}`,
          cause: { correlationId: webhookSubscriptionWorkflowId(input.subscriptionId) },
        });
      });
      log.warn('webhook subscription disabled', {
        subscriptionId: input.subscriptionId,
        reason: input.reason,
      });
    },
  };
}
