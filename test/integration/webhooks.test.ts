/**
 * Webhooks end to end: subscriptions through the API, outbox rows delivered by the subscription's
 * workflow to a real HTTP receiver, signatures checked by an independent verifier written from the
 * Standard Webhooks spec, retries while the receiver is down, disabling and re-enabling, redelivery.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { and, eq } from 'drizzle-orm';
import { appendOutbox } from '../../db/queries/outbox';
import { outbox, outboxDeliveries, webhookSubscriptions } from '../../db/schema';
import type { AggregateType, OutboundEventType } from '../../domain/events/outbound';
import { webhookSubscriptionWorkflowId } from '../../domain/names';
import { createOutboxRelay, startOutboxRelay } from '../../api/outbox-relay';
import { eventually, startHarness, uniqueKey, type Harness } from '../support/harness';

// ---- an independent verifier, from the spec (standardwebhooks.com) --------------------------------

const TOLERANCE_SECONDS = 5 * 60;

/** null when the request is authentic and fresh, else why not. */
function verify(secret: string, headers: http.IncomingHttpHeaders, body: string, nowSeconds: number) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') {
    return 'missing headers';
  }
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > TOLERANCE_SECONDS)
    return 'timestamp out of tolerance';
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  const ok = signatures.split(' ').some((entry) => {
    const [version, sig] = entry.split(',');
    if (version !== 'v1' || !sig) return false;
    const given = Buffer.from(sig, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return ok ? null : 'signature mismatch';
}

// ---- a receiver that can go down and come back on the same port -----------------------------------

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

const receivers: Receiver[] = [];

class Receiver {
  constructor() {
    receivers.push(this);
  }
  requests: Received[] = [];
  /** Deduped by webhook-id, in arrival order: what a receiver would process. */
  processed = new Map<string, Record<string, unknown>>();
  status = 200;
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.requests.push({ headers: req.headers, body, at: Date.now() });
      if (this.status === 200 && this.secret) {
        const problem = verify(this.secret, req.headers, body, Math.floor(Date.now() / 1000));
        if (problem) {
          res.writeHead(401).end(problem);
          return;
        }
        const id = req.headers['webhook-id'] as string;
        if (!this.processed.has(id)) this.processed.set(id, JSON.parse(body) as Record<string, unknown>);
      }
      res.writeHead(this.status).end(this.status === 200 ? 'ok' : 'unavailable');
    });
  });
  port = 0;
  secret = '';

  get url() {
    return `http://127.0.0.1:${this.port}/hooks`;
  }
  async up() {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
  async down() {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

// ---- the system -----------------------------------------------------------------------------------

let h: Harness;
let relay: { stop(): void };
beforeAll(async () => {
  h = await startHarness({
    settings: {
      integration: {
        webhookAllowPrivateTargets: true,
        webhookRetryInitialInterval: '200 milliseconds',
        webhookRetryMaxInterval: '1 second',
        webhookRetryPeriod: '8 seconds',
        webhookRequestTimeout: '2 seconds',
        webhookPollInterval: '2 seconds',
      },
    },
  });
  relay = startOutboxRelay(createOutboxRelay(h.database.db, h.temporal), 200, () => undefined);
});
afterAll(async () => {
  relay?.stop();
  await Promise.all(receivers.map((r) => r.down()));
  await h?.close();
});

/** What another domain's activity does: its event, in a transaction of its own. */
async function emit(aggregateType: AggregateType, aggregateId: string, type: OutboundEventType, n: number) {
  return h.database.db.transaction((tx) =>
    appendOutbox(tx, {
      aggregateType,
      aggregateId,
      type,
      payload: { [`${aggregateType}Id`]: aggregateId, n },
      idempotencyKey: `${type}/${aggregateId}/${n}`,
      cause: { correlationId: `corr-${aggregateId}` },
    }),
  );
}

async function subscribe(receiver: Receiver, eventTypes?: OutboundEventType[]) {
  const res = await request(h.app)
    .post('/v1/subscriptions')
    .send({ url: receiver.url, ...(eventTypes ? { eventTypes } : {}), description: 'test receiver' })
    .expect(201);
  receiver.secret = res.body.secret as string;
  return res.body as { id: string; secret: string; status: string; links: { self: string } };
}

const deliveriesOf = (subscriptionId: string) =>
  h.database.db
    .select()
    .from(outboxDeliveries)
    .where(eq(outboxDeliveries.destination, `webhook:${subscriptionId}`));

describe('webhook subscriptions', () => {
  it('validates the target URL and the event types, and answers the secret only once', async () => {
    await request(h.app).post('/v1/subscriptions').send({ url: 'ftp://example.com/x' }).expect(400);
    const bad = await request(h.app)
      .post('/v1/subscriptions')
      .send({ url: 'https://example.com/x', eventTypes: ['order.teleported'] })
      .expect(400);
    expect(bad.body.errors[0].path).toMatch(/^eventTypes/);
    const receiver = new Receiver();
    await receiver.up();
    const created = await subscribe(receiver);
    expect(created.secret).toMatch(/^whsec_/);
    const one = await request(h.app).get(created.links.self).expect(200);
    expect(one.body).not.toHaveProperty('secret');
    expect(one.body.workflow.id).toBe(webhookSubscriptionWorkflowId(created.id));
    const list = await request(h.app).get('/v1/subscriptions').expect(200);
    expect(list.body.items.map((s: { id: string }) => s.id)).toContain(created.id);
    expect(JSON.stringify(list.body)).not.toContain(created.secret);
    await request(h.app).get('/v1/subscriptions/00000000-0000-4000-8000-000000000000').expect(404);
    await request(h.app).get('/v1/subscriptions/nope').expect(404);

    await request(h.app).delete(created.links.self).expect(200);
    await request(h.app).get(created.links.self).expect(404);
    await eventually(async () => {
      const d = await h.temporal.client.workflow
        .getHandle(webhookSubscriptionWorkflowId(created.id))
        .describe();
      // cancelled, or already ended on its own having found the subscription gone
      return ['CANCELLED', 'COMPLETED'].includes(d.status.name) ? true : undefined;
    });
    await receiver.down();
  });

  it('delivers every event once per id, in order per aggregate, to a receiver that was down for a while', async () => {
    const receiver = new Receiver();
    await receiver.up();
    const sub = await subscribe(receiver, ['order.invoiced', 'order.shipped', 'payment.allocated']);
    await receiver.down();

    const a = uniqueKey('O');
    const b = uniqueKey('O');
    const expected: { id: string; aggregate: string }[] = [];
    for (let n = 1; n <= 3; n++) {
      expected.push({ id: (await emit('order', a, 'order.invoiced', n)).id, aggregate: a });
      expected.push({
        id: (await emit('order', b, n === 3 ? 'order.shipped' : 'order.invoiced', n)).id,
        aggregate: b,
      });
    }
    // not subscribed to
    const ignored = await emit('ticket', uniqueKey('T'), 'ticket.escalated', 1);

    // the first event keeps failing while the receiver is down
    await eventually(async () => {
      const rows = await deliveriesOf(sub.id);
      return rows.some((r) => r.attempts >= 3 && r.status === 'pending' && r.lastError) ? true : undefined;
    });
    const failingMetrics = await request(h.app).get('/metrics').expect(200);
    const lag = /^erp_outbox_lag_seconds (\S+)$/m.exec(failingMetrics.text);
    expect(Number(lag?.[1])).toBeGreaterThan(0);

    await receiver.up();
    await eventually(async () => (receiver.processed.size === expected.length ? true : undefined), 30_000);

    // every request authentic; deduped by id the receiver saw each event exactly once
    for (const r of receiver.requests.filter((q) => q.headers['webhook-id'])) {
      expect(verify(sub.secret, r.headers, r.body, Math.floor(r.at / 1000))).toBeNull();
    }
    expect([...receiver.processed.keys()].sort()).toEqual(expected.map((e) => e.id).sort());
    expect(receiver.processed.has(ignored.id)).toBe(false);
    // in order per aggregate (and, one at a time, overall)
    for (const aggregate of [a, b]) {
      const sent = [...receiver.processed.values()].filter((e) => e.subject === aggregate).map((e) => e.id);
      expect(sent).toEqual(expected.filter((e) => e.aggregate === aggregate).map((e) => e.id));
    }
    const first = receiver.processed.get(expected[0]!.id)!;
    const [row] = await h.database.db.select().from(outbox).where(eq(outbox.id, expected[0]!.id));
    expect(first).toEqual({
      specversion: '1.0',
      id: expected[0]!.id,
      source: 'erp-temporal',
      type: 'order.invoiced',
      subject: a,
      time: row!.createdAt.toISOString(),
      datacontenttype: 'application/json',
      correlationid: `corr-${a}`,
      aggregatetype: 'order',
      data: { orderId: a, n: 1 },
    });

    // the receiver answered before the delivery activity recorded it: wait for the rows to say so
    const rows = await eventually(async () => {
      const all = await deliveriesOf(sub.id);
      return all.length === expected.length && all.every((r) => r.status === 'delivered' && r.deliveredAt)
        ? all
        : undefined;
    });
    expect(rows.find((r) => r.outboxId === expected[0]!.id)!.attempts).toBeGreaterThan(1);
    const api = await request(h.app).get(`/v1/subscriptions/${sub.id}/deliveries`).expect(200);
    expect(api.body.items.map((d: { id: string }) => d.id)).toEqual(expected.map((e) => e.id).reverse());
    expect(api.body.items[0]).toMatchObject({
      status: 'delivered',
      eventType: 'order.shipped',
      aggregateId: b,
    });

    // a tampered body, a changed timestamp and a stale one are all rejected by the verifier
    const sample = receiver.requests.find((r) => r.headers['webhook-id'] === expected[0]!.id && r.body)!;
    const ts = Number(sample.headers['webhook-timestamp']);
    expect(verify(sub.secret, sample.headers, sample.body, ts)).toBeNull();
    expect(verify(sub.secret, sample.headers, sample.body.replace('"n":1', '"n":2'), ts)).toBe(
      'signature mismatch',
    );
    expect(
      verify(sub.secret, { ...sample.headers, 'webhook-timestamp': String(ts + 1) }, sample.body, ts),
    ).toBe('signature mismatch');
    expect(verify(sub.secret, sample.headers, sample.body, ts + 301)).toBe('timestamp out of tolerance');
    expect(verify('whsec_' + Buffer.alloc(32, 7).toString('base64'), sample.headers, sample.body, ts)).toBe(
      'signature mismatch',
    );
    await request(h.app).delete(`/v1/subscriptions/${sub.id}`).expect(200);
    await receiver.down();
  });

  it('disables a subscription failing past the retry period with an alert, and re-enables it', async () => {
    const receiver = new Receiver();
    await receiver.up();
    receiver.status = 500;
    const sub = await subscribe(receiver, ['payment.refunded']);
    const payment = uniqueKey('P');
    const first = await emit('payment', payment, 'payment.refunded', 1);

    await eventually(async () => {
      const [row] = await h.database.db
        .select()
        .from(webhookSubscriptions)
        .where(eq(webhookSubscriptions.id, sub.id));
      return row?.status === 'disabled' ? row : undefined;
    }, 40_000);
    const [failed] = await h.database.db
      .select()
      .from(outboxDeliveries)
      .where(
        and(eq(outboxDeliveries.outboxId, first.id), eq(outboxDeliveries.destination, `webhook:${sub.id}`)),
      );
    expect(failed).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/HTTP 500/) });
    expect(failed!.attempts).toBeGreaterThan(2);
    const alerts = await h.database.db.select().from(outbox).where(eq(outbox.aggregateId, sub.id));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      type: 'alert.raised',
      aggregateType: 'subscription',
      payload: expect.objectContaining({ alert: 'webhook_subscription_disabled', subscriptionId: sub.id }),
    });
    const view = await request(h.app).get(`/v1/subscriptions/${sub.id}`).expect(200);
    expect(view.body).toMatchObject({
      status: 'disabled',
      disabledReason: expect.stringMatching(/HTTP 500/),
    });
    await eventually(async () => {
      const d = await h.temporal.client.workflow.getHandle(webhookSubscriptionWorkflowId(sub.id)).describe();
      return d.status.name === 'COMPLETED' ? true : undefined;
    });
    const metrics = await request(h.app).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^erp_outbox_deliveries_failed\{destination="webhook"\} [1-9]/m);

    // written while disabled: delivered after re-enabling, after the one that failed
    const second = await emit('payment', payment, 'payment.refunded', 2);
    receiver.status = 200;
    const enabled = await request(h.app).post(`/v1/subscriptions/${sub.id}/enable`).expect(200);
    expect(enabled.body).toMatchObject({ status: 'active', disabledReason: null });
    await eventually(async () => (receiver.processed.size === 2 ? true : undefined), 30_000);
    expect([...receiver.processed.keys()]).toEqual([first.id, second.id]);
    const rows = await deliveriesOf(sub.id);
    expect(rows.map((r) => r.status)).toEqual(['delivered', 'delivered']);
    await request(h.app).delete(`/v1/subscriptions/${sub.id}`).expect(200);
    await receiver.down();
  });

  it('redelivers one event on request, with the same webhook-id', async () => {
    const receiver = new Receiver();
    await receiver.up();
    const sub = await subscribe(receiver);
    const event = await emit('sku', uniqueKey('SKU'), 'stock.reorder_triggered', 1);
    await eventually(async () => (receiver.processed.has(event.id) ? true : undefined));
    const before = receiver.requests.filter((r) => r.headers['webhook-id'] === event.id).length;

    const res = await request(h.app)
      .post(`/v1/subscriptions/${sub.id}/deliveries/${event.id}/redeliver`)
      .set('Idempotency-Key', uniqueKey('redeliver'))
      .expect(202);
    expect(res.body).toMatchObject({ id: event.id, status: 'pending' });
    await eventually(async () =>
      receiver.requests.filter((r) => r.headers['webhook-id'] === event.id).length === before + 1
        ? true
        : undefined,
    );
    await eventually(async () => {
      const [row] = await deliveriesOf(sub.id);
      return row?.status === 'delivered' && row.attempts === 2 ? true : undefined;
    });
    await request(h.app)
      .post(`/v1/subscriptions/${sub.id}/deliveries/00000000-0000-4000-8000-000000000000/redeliver`)
      .expect(404);
    await request(h.app).delete(`/v1/subscriptions/${sub.id}`).expect(200);
    await receiver.down();
  });
});
