/**
 * Webhook delivery: the subscription workflow's input, signals and query, the activities' shapes,
 * and the retry schedule. Sandbox-safe (no I/O): imported by the workflow, activities and the API.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export interface WebhookSubscriptionInput {
  subscriptionId: string;
  /** Workflow time (ms) of the first failed attempt since the last success, carried over continue-as-new. */
  failingSince?: number | null;
  /** Deliveries made by earlier runs of the chain. */
  deliveredBefore?: number;
}

/** New outbox rows (or a redelivery, or re-enabling) may be waiting: look now, not at the next poll. */
export const webhookWakeSignal = defineSignal('webhookWake');

export interface WebhookSubscriptionState {
  subscriptionId: string;
  delivered: number;
  failingSince: string | null;
  /** The event being retried, and its attempts so far. */
  retrying: { eventId: string; attempts: number; nextAttemptInMs: number } | null;
}
export const webhookStateQuery = defineQuery<WebhookSubscriptionState>('webhookState');

/** One delivery to make, in outbox order. */
export interface PendingWebhookDelivery {
  eventId: string;
  seq: number;
  attempts: number;
}

export interface WebhookBatch {
  /** `gone`: deleted; `disabled`: the workflow stops until someone re-enables it. */
  status: 'active' | 'disabled' | 'gone';
  deliveries: PendingWebhookDelivery[];
  /** More outbox rows are waiting to be fanned out (do not sleep before the next page). */
  more: boolean;
}

export interface WebhookAttempt {
  subscriptionId: string;
  eventId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Recorded as next_attempt_at when this attempt fails. */
  retryInMs: number;
}

export type WebhookAttemptOutcome =
  | { outcome: 'delivered'; status: number }
  | { outcome: 'failed'; error: string }
  /** The delivery is no longer pending, or (`stop`) the subscription was deleted or disabled. */
  | { outcome: 'skipped'; reason: string; stop?: 'gone' | 'disabled' };

/**
 * Exponential backoff with "equal jitter": attempt n waits between half and all of
 * min(initial * 2^(n-1), max). `random` is in [0, 1) (Math.random, deterministic in a workflow).
 */
export function webhookBackoffMs(attempt: number, initialMs: number, maxMs: number, random: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}
