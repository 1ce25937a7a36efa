/**
 * The webhook subscription workflow with mocked activities: deliveries in order, each retried with
 * a growing backoff until it succeeds; past the retry period the subscription is disabled.
 */
import { randomUUID } from 'node:crypto';
import { WORKFLOW_TYPES } from '../../domain/names';
import { businessSettingsSchema } from '../../domain/settings';
import type { WebhookAttempt, WebhookAttemptOutcome, WebhookBatch } from '../../domain/webhooks';
import type { Activities } from '../../activities';
import { workflowTestbed } from '../support/workflow-testbed';

const testbed = workflowTestbed();

const settingsWith = (webhookRetryPeriod: string) =>
  businessSettingsSchema.parse({
    integration: {
      webhookRetryInitialInterval: '100 milliseconds',
      webhookRetryMaxInterval: '400 milliseconds',
      webhookRetryPeriod,
      webhookPollInterval: '200 milliseconds',
    },
  });

type Mocked = Pick<
  Activities,
  'businessSettings' | 'nextWebhookDeliveries' | 'deliverWebhook' | 'disableWebhookSubscription'
>;

async function run(
  activities: Omit<Mocked, 'businessSettings'>,
  retryPeriod = '30 seconds',
): Promise<string> {
  const settings = settingsWith(retryPeriod);
  const taskQueue = `unit-${randomUUID()}`;
  return testbed.runWorker(
    taskQueue,
    { businessSettings: async () => settings, ...activities },
    () =>
      testbed.client.workflow.execute(WORKFLOW_TYPES.webhookSubscription, {
        taskQueue,
        workflowId: `webhook-unit-${randomUUID()}`,
        args: [{ subscriptionId: 'S-1' }],
      }) as Promise<string>,
  );
}

/** Pages of pending deliveries: each event until delivered, then `gone` once all are. */
function pages(eventIds: string[], delivered: Set<string>) {
  return jest.fn(async (): Promise<WebhookBatch> => {
    const pending = eventIds.filter((id) => !delivered.has(id));
    if (!pending.length) return { status: 'gone', deliveries: [], more: false };
    return {
      status: 'active',
      deliveries: pending.map((eventId, i) => ({ eventId, seq: i + 1, attempts: 0 })),
      more: false,
    };
  });
}

describe('webhookSubscriptionWorkflow', () => {
  it('delivers in order, retrying a failing event with growing, jittered waits until it succeeds', async () => {
    const delivered = new Set<string>();
    const attempts: (WebhookAttempt & { at: number })[] = [];
    let failuresLeft = 3;
    const deliverWebhook = jest.fn(async (a: WebhookAttempt): Promise<WebhookAttemptOutcome> => {
      attempts.push({ ...a, at: Date.now() });
      if (a.eventId === 'e2' && failuresLeft-- > 0) return { outcome: 'failed', error: 'HTTP 503' };
      delivered.add(a.eventId);
      return { outcome: 'delivered', status: 200 };
    });
    const disable = jest.fn(async () => undefined);
    const result = await run({
      nextWebhookDeliveries: pages(['e1', 'e2', 'e3'], delivered),
      deliverWebhook,
      disableWebhookSubscription: disable,
    });

    expect(result).toBe('gone');
    expect(attempts.map((a) => `${a.eventId}#${a.attempt}`)).toEqual([
      'e1#1',
      'e2#1',
      'e2#2',
      'e2#3',
      'e2#4',
      'e3#1',
    ]);
    const e2 = attempts.filter((a) => a.eventId === 'e2');
    for (const [i, a] of e2.entries()) {
      const ceiling = Math.min(400, 100 * 2 ** i);
      expect(a.retryInMs).toBeGreaterThanOrEqual(ceiling / 2);
      expect(a.retryInMs).toBeLessThanOrEqual(ceiling);
      // the next attempt waited at least the backoff announced with this one
      if (i < 3) expect(e2[i + 1]!.at - a.at).toBeGreaterThanOrEqual(a.retryInMs - 20);
    }
    expect(disable).not.toHaveBeenCalled();
  });

  it('disables the subscription once the receiver has failed for longer than the retry period', async () => {
    const deliverWebhook = jest.fn(async (_attempt: WebhookAttempt): Promise<WebhookAttemptOutcome> => ({
      outcome: 'failed',
      error: 'ECONNREFUSED',
    }));
    const disable = jest.fn(
      async (_input: Parameters<Activities['disableWebhookSubscription']>[0]) => undefined,
    );
    const started = Date.now();
    const result = await run(
      {
        nextWebhookDeliveries: pages(['e1', 'e2'], new Set()),
        deliverWebhook,
        disableWebhookSubscription: disable,
      },
      '1500 milliseconds',
    );
    expect(result).toBe('disabled');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(deliverWebhook.mock.calls.every(([a]) => a.eventId === 'e1')).toBe(true);
    expect(disable).toHaveBeenCalledTimes(1);
    expect(disable.mock.calls[0]![0]).toMatchObject({
      subscriptionId: 'S-1',
      eventId: 'e1',
      reason: expect.stringMatching(/last error: ECONNREFUSED/),
    });
  });
});
