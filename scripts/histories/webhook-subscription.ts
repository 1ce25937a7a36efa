/**
 * webhookSubscriptionWorkflow: (1) a receiver failing twice then accepting three events, ended by
 * deleting the subscription; (2) a receiver that keeps failing, disabled past the retry period.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { wakeSubscription } from '../../api/outbox-relay';
import { appendOutbox } from '../../db/queries/outbox';
import { maxOutboxSeq } from '../../db/queries/webhooks';
import { webhookSubscriptions } from '../../db/schema';
import { webhookSubscriptionWorkflowId } from '../../domain/names';
import { webhookStateQuery } from '../../domain/webhooks';
import { generateWebhookSecret } from '../../lib/webhooks';
import type { Db } from '../../db/client';
import type { HistoryScenario } from './scenario';

/** A receiver answering 500 to the first `failures` requests (all of them when Infinity), then 200. */
async function receiver(failures: number): Promise<{ url: string; close(): Promise<void> }> {
  let seen = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(seen++ < failures ? 500 : 200).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function subscription(db: Db, url: string): Promise<string> {
  const [row] = await db
    .insert(webhookSubscriptions)
    .values({ url, secret: generateWebhookSecret(), cursorSeq: await maxOutboxSeq(db) })
    .returning();
  return row!.id;
}

async function emit(db: Db, orderId: string, n: number): Promise<void> {
  await db.transaction((tx) =>
    appendOutbox(tx, {
      aggregateType: 'order',
      aggregateId: orderId,
      type: 'order.invoiced',
      payload: { orderId, n },
      idempotencyKey: `history/order.invoiced/${orderId}/${n}`,
      cause: { correlationId: 'history-scenario' },
    }),
  );
}

export const webhookSubscriptionScenario: HistoryScenario = {
  name: 'webhook-subscription',
  settings: {
    integration: {
      webhookAllowPrivateTargets: true,
      webhookRetryInitialInterval: '200 milliseconds',
      webhookRetryMaxInterval: '1 second',
      webhookRetryPeriod: '3 seconds',
      webhookPollInterval: '1 second',
    },
  },
  async run({ client, taskQueuePrefix, db, save }) {
    const files: string[] = [];

    const flaky = await receiver(2);
    const delivered = await subscription(db, flaky.url);
    for (let n = 1; n <= 3; n++) await emit(db, `O-HISTORY-${delivered.slice(0, 8)}`, n);
    await wakeSubscription(client, taskQueuePrefix, delivered);
    const handle = client.workflow.getHandle(webhookSubscriptionWorkflowId(delivered));
    for (;;) {
      // a query before the first workflow task completes is refused: ask again
      const state = await handle.query(webhookStateQuery).catch(() => undefined);
      if (state?.delivered === 3) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await db.delete(webhookSubscriptions).where(eq(webhookSubscriptions.id, delivered));
    await wakeSubscription(client, taskQueuePrefix, delivered);
    await handle.result();
    await flaky.close();
    files.push(...(await save(handle.workflowId, 'webhook-subscription-delivered')));

    const down = await receiver(Infinity);
    const disabled = await subscription(db, down.url);
    await emit(db, `O-HISTORY-${disabled.slice(0, 8)}`, 1);
    await wakeSubscription(client, taskQueuePrefix, disabled);
    const failing = client.workflow.getHandle(webhookSubscriptionWorkflowId(disabled));
    await failing.result();
    await down.close();
    files.push(...(await save(failing.workflowId, 'webhook-subscription-disabled')));
    return files;
  },
};
