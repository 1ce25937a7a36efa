/** Structured JSON logs (pino); secrets are redacted by path and never reach the output. */
import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths that may carry a secret; their values are replaced with [Redacted]. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.apiKey',
  '*.databaseUrl',
  '*.DATABASE_URL',
  '*.TEMPORAL_API_KEY',
  'DATABASE_URL',
  'TEMPORAL_API_KEY',
];

export function createLogger(level: string, name: string, destination?: pino.DestinationStream): Logger {
  return pino({ name, level, redact: REDACTED_PATHS }, destination);
}
