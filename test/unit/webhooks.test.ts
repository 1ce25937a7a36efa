/** Standard Webhooks signing (against the spec's published example), target checks, backoff, envelope. */
import { signWebhook, checkWebhookTarget, generateWebhookSecret } from '../../lib/webhooks';
import { webhookBackoffMs } from '../../domain/webhooks';
import { outboundEnvelope } from '../../domain/events/outbound-envelope';
import { cloudEventEnvelopeSchema } from '../../domain/events/envelope';

describe('Standard Webhooks signature', () => {
  it('matches the example of the standard-webhooks reference libraries', () => {
    const headers = signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(headers).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('generates 32-byte secrets with the whsec_ prefix', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });
});

describe('webhook target check', () => {
  it.each([
    ['ftp://example.com/hook', /only http and https/],
    ['not a url', /not a URL/],
    ['http://user:pw@93.184.216.34/', /credentials/],
    ['http://127.0.0.1:8080/hook', /private, loopback or link-local/],
    ['http://10.1.2.3/hook', /private/],
    ['http://172.20.0.1/hook', /private/],
    ['http://192.168.1.10/hook', /private/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://[::1]/hook', /private/],
    ['http://[fe80::1]/hook', /private/],
    ['http://[fd00::1]/hook', /private/],
    ['http://[::ffff:127.0.0.1]/hook', /private/],
    ['http://localhost:3000/hook', /loopback/],
    ['http://api.localhost/hook', /loopback/],
  ])('refuses %s', async (url, reason) => {
    expect(await checkWebhookTarget(url, false)).toMatch(reason);
  });

  it('accepts public addresses, and private ones when allowed', async () => {
    expect(await checkWebhookTarget('https://93.184.216.34/hook', false)).toBeNull();
    expect(await checkWebhookTarget('http://[2606:4700::1111]/hook', false)).toBeNull();
    expect(await checkWebhookTarget('http://127.0.0.1:8080/hook', true)).toBeNull();
    expect(await checkWebhookTarget('ftp://127.0.0.1/hook', true)).toMatch(/only http/);
  });
});

describe('webhook backoff', () => {
  it('doubles per attempt up to the maximum, jittered between half and all of it', () => {
    expect(webhookBackoffMs(1, 1000, 60_000, 0)).toBe(500);
    expect(webhookBackoffMs(1, 1000, 60_000, 0.999999)).toBe(1000);
    expect(webhookBackoffMs(3, 1000, 60_000, 0)).toBe(2000);
    expect(webhookBackoffMs(30, 1000, 60_000, 0.5)).toBe(45_000);
    expect(webhookBackoffMs(10_000, 1000, 60_000, 1)).toBe(60_000);
  });
});

describe('outbound envelope', () => {
  it('is a CloudEvents 1.0 event with the outbox id, the aggregate as subject and the payload as data', () => {
    const createdAt = new Date('2026-01-02T03:04:05.000Z');
    const envelope = outboundEnvelope({
      id: '4b3f0c8e-1d2a-4f5b-9c6d-7e8f9a0b1c2d',
      aggregateType: 'order',
      aggregateId: 'O-1',
      type: 'order.invoiced',
      payload: { invoiceId: 'I-1' },
      correlationId: 'corr-1',
      createdAt,
    });
    expect(cloudEventEnvelopeSchema.parse(envelope)).toMatchObject({
      specversion: '1.0',
      id: '4b3f0c8e-1d2a-4f5b-9c6d-7e8f9a0b1c2d',
      source: 'erp-temporal',
      type: 'order.invoiced',
      subject: 'O-1',
      time: '2026-01-02T03:04:05.000Z',
      datacontenttype: 'application/json',
      correlationid: 'corr-1',
      data: { invoiceId: 'I-1' },
    });
    expect(envelope.aggregatetype).toBe('order');
  });
});
