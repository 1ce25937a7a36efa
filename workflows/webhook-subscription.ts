/**
 * One long-lived workflow per webhook subscription. It pages through the subscription's pending
 * deliveries in outbox order and delivers them one at a time, so events reach the receiver in order
 * (per aggregate, and overall). A failed attempt is retried after an exponential, jittered backoff
 * (a workflow timer, visible in the Web UI); when the receiver has failed for longer than the retry
 * period, the subscription is disabled with an alert and the workflow ends. Woken by a signal when
 * new outbox rows exist, and polls on its own as a safety net; continues-as-new between pages.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common';
import type { createActivities } from '../activities';
import {
  webhookBackoffMs,
  webhookStateQuery,
  webhookWakeSignal,
  type WebhookSubscriptionInput,
  type WebhookSubscriptionState,
} from '../domain/webhooks';
import { ACTIVITY_PRESETS } from './presets';
import { loadSettings } from './settings';

type Activities = ReturnType<typeof createActivities>;
const { nextWebhookDeliveries, disableWebhookSubscription } = proxyActivities<Activities>(
  ACTIVITY_PRESETS.short,
);
const { deliverWebhook } = proxyActivities<Activities>({
  // the HTTP deadline is webhookRequestTimeout; this bounds the whole attempt including Postgres
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Deliveries (attempts included) per run before continuing as new. */
const MAX_ATTEMPTS_PER_RUN = 500;

/** A webhook subscription's delivery loop (id: webhookSubscriptionWorkflowId(subscriptionId)). */
export async function webhookSubscriptionWorkflow(input: WebhookSubscriptionInput): Promise<string> {
  let woken = false;
  let failingSince = input.failingSince ?? null;
  let delivered = 0;
  let attemptsInRun = 0;
  let retrying: WebhookSubscriptionState['retrying'] = null;
  setHandler(webhookWakeSignal, () => {
    woken = true;
  });
  setHandler(webhookStateQuery, () => ({
    subscriptionId: input.subscriptionId,
    delivered: (input.deliveredBefore ?? 0) + delivered,
    failingSince: failingSince === null ? null : new Date(failingSince).toISOString(),
    retrying,
  }));
  // the settings load in an activity: the signal and the query above are served from the start
  const { integration } = await loadSettings();
  const retryPeriodMs = msToNumber(integration.webhookRetryPeriod);
  const initialMs = msToNumber(integration.webhookRetryInitialInterval);
  const maxMs = msToNumber(integration.webhookRetryMaxInterval);
  const pollMs = msToNumber(integration.webhookPollInterval);

  for (;;) {
    woken = false;
    const batch = await nextWebhookDeliveries({
      subscriptionId: input.subscriptionId,
      limit: integration.webhookBatchSize,
    });
    if (batch.status !== 'active') return batch.status;

    for (const delivery of batch.deliveries) {
      for (let attempt = delivery.attempts + 1; ; attempt++) {
        const retryInMs = webhookBackoffMs(attempt, initialMs, maxMs, Math.random());
        const result = await deliverWebhook({
          subscriptionId: input.subscriptionId,
          eventId: delivery.eventId,
          attempt,
          retryInMs,
        });
        attemptsInRun++;
        if (result.outcome === 'delivered') {
          delivered++;
          failingSince = null;
          retrying = null;
          break;
        }
        if (result.outcome === 'skipped') {
          retrying = null;
          if (result.stop) return result.stop;
          break;
        }
        failingSince ??= Date.now();
        if (Date.now() - failingSince >= retryPeriodMs) {
          const reason = `deliveries failing since ${new Date(failingSince).toISOString()}; last error: ${result.error}`;
          log.warn('webhook subscription failing past its retry period; disabling', {
            subscriptionId: input.subscriptionId,
            eventId: delivery.eventId,
          });
          await disableWebhookSubscription({
            subscriptionId: input.subscriptionId,
            eventId: delivery.eventId,
            failingSince: new Date(failingSince).toISOString(),
            reason,
          });
          return 'disabled';
        }
        retrying = { eventId: delivery.eventId, attempts: attempt, nextAttemptInMs: retryInMs };
        await sleep(retryInMs);
      }
    }

    if (attemptsInRun >= MAX_ATTEMPTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof webhookSubscriptionWorkflow>({
        subscriptionId: input.subscriptionId,
        failingSince,
        deliveredBefore: (input.deliveredBefore ?? 0) + delivered,
      });
    }
    if (batch.deliveries.length === 0 && !batch.more) await condition(() => woken, pollMs);
  }
}
