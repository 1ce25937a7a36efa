/**
 * The outbox relay: when new outbox rows appear, it wakes the delivery workflow of every active
 * webhook subscription (signal-with-start, so a missing workflow is started). The workflows fan the
 * rows out and deliver them; the relay only shortens their wait (they also poll on their own), so
 * losing a wake-up delays delivery but loses nothing. Runs in the API process (OUTBOX_RELAY_INTERVAL_MS).
 */
import { signalWithStartKeyed } from '../lib/temporal';
import type { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { maxOutboxSeq } from '../db/queries/webhooks';
import { webhookSubscriptions } from '../db/schema';
import { WORKFLOW_TYPES, webhookSubscriptionWorkflowId, workflowTaskQueue } from '../domain/names';
import { webhookWakeSignal, type WebhookSubscriptionInput } from '../domain/webhooks';

/** Wakes (or starts) a subscription's delivery workflow. */
export async function wakeSubscription(client: Client, taskQueuePrefix: string, subscriptionId: string) {
  const input: WebhookSubscriptionInput = { subscriptionId };
  return signalWithStartKeyed(client, {
    type: WORKFLOW_TYPES.webhookSubscription,
    workflowId: webhookSubscriptionWorkflowId(subscriptionId),
    taskQueue: workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.webhookSubscription),
    args: [input],
    signal: webhookWakeSignal,
    signalArgs: [],
  });
}

export interface OutboxRelay {
  /** One pass: wakes every active subscription when the outbox grew (every pass until one succeeds). */
  pass(): Promise<{ woken: number; failed: number }>;
}

export function createOutboxRelay(
  db: Db,
  temporal: { client: Client; taskQueuePrefix: string },
): OutboxRelay {
  let seenSeq = -1;
  return {
    async pass() {
      const seq = await maxOutboxSeq(db);
      if (seq === seenSeq) return { woken: 0, failed: 0 };
      const subs = await db
        .select({ id: webhookSubscriptions.id })
        .from(webhookSubscriptions)
        .where(eq(webhookSubscriptions.status, 'active'));
      const results = await Promise.allSettled(
        subs.map((s) => wakeSubscription(temporal.client, temporal.taskQueuePrefix, s.id)),
      );
      const failed = results.filter((r) => r.status === 'rejected').length;
      // a failed wake-up is tried again next pass
      if (failed === 0) seenSeq = seq;
      return { woken: results.length - failed, failed };
    },
  };
}

/** Runs the relay every `intervalMs` until stopped; a pass never overlaps the one before. */
export function startOutboxRelay(
  relay: OutboxRelay,
  intervalMs: number,
  onError: (err: unknown) => void,
): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    relay
      .pass()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}
