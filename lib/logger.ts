/** Structured JSON logs (pino); secrets are redacted by path. */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    redact: ['req.headers.authorization', '*.password', '*.databaseUrl'],
  });
}
