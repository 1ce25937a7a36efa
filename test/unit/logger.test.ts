/** Logs are JSON lines and never carry a secret. */
import { Writable } from 'node:stream';
import { createLogger } from '../../lib/logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  let raw = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw += chunk.toString();
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', 'test', stream), lines, raw: () => raw };
}

describe('logger', () => {
  it('writes JSON lines with the fields given', () => {
    const { logger, lines } = capture();
    logger.info({ eventId: 'evt-1', correlationId: 'flow-1', workflowId: 'sku-A' }, 'event accepted');
    expect(lines[0]).toMatchObject({
      level: 30,
      name: 'test',
      msg: 'event accepted',
      eventId: 'evt-1',
      correlationId: 'flow-1',
      workflowId: 'sku-A',
    });
  });

  it('redacts authorization headers, passwords, API keys and database URLs', () => {
    const { logger, raw } = capture();
    logger.info(
      { req: { headers: { authorization: 'Bearer s3cret-token', cookie: 'sid=s3cret-cookie' } } },
      'req',
    );
    logger.info(
      { config: { DATABASE_URL: 'postgres://erp:s3cret-pw@db/erp', TEMPORAL_API_KEY: 's3cret-key' } },
      'c',
    );
    logger.info({ DATABASE_URL: 'postgres://erp:s3cret-pw@db/erp', user: { password: 's3cret-pw' } }, 'd');
    logger.info({ connection: { apiKey: 's3cret-key' } }, 'e');
    expect(raw()).not.toMatch(/s3cret/);
    expect(raw().match(/\[Redacted\]/g)).toHaveLength(7);
  });
});
