/**
 * The one reader of the environment. Every setting the processes use is declared, documented and
 * validated here; a bad or missing setting stops the process with a message naming it.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { DOMAINS } from '../domain/names';
import { businessSettingsSchema, DEFAULT_SETTINGS, type BusinessSettings } from '../domain/settings';

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const commaList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

const domainList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.enum(DOMAINS, { message: `each must be one of ${DOMAINS.join(', ')}` }))
      .min(1, `name at least one of ${DOMAINS.join(', ')}`),
  );

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /** Interface and port the API listens on. */
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  /** Largest accepted request body, in bytes. */
  API_BODY_LIMIT_BYTES: positiveInt.default(1_048_576),

  /** keys: every route but health, metrics and docs needs an API key with the right scope; off: none does. */
  AUTH_MODE: z.enum(['keys', 'off'], { message: 'must be keys or off' }).default('keys'),
  /** Requests per minute one API key may make, per API process (429 with Retry-After above it); 0: no limit. */
  RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ message: 'must be a whole number of requests per minute (0: no limit)' })
    .int('must be a whole number of requests per minute (0: no limit)')
    .min(0, 'must be a whole number of requests per minute (0: no limit)')
    .default(600),
  /** How many requests a key may make at once before the per-minute rate applies; default the rate. */
  RATE_LIMIT_BURST: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce
      .number({ message: 'must be a positive whole number' })
      .int('must be a positive whole number')
      .positive('must be a positive whole number')
      .optional(),
  ),

  /** Postgres to use. When unset, an embedded Postgres is started under DATA_DIR. */
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  DB_POOL_MAX: positiveInt.default(10),
  /** Port of the embedded Postgres (only used when DATABASE_URL is unset). */
  EMBEDDED_PG_PORT: port.default(54329),
  /** Where the embedded Postgres and the dev server keep their data (git-ignored). */
  DATA_DIR: z.string().min(1).default('.data'),

  /** Temporal frontend host:port. When unset, `npm start` runs a Temporal dev server. */
  TEMPORAL_ADDRESS: optionalString.pipe(
    z
      .string()
      .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, for example localhost:7233')
      .optional(),
  ),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Prefix of the task queues, one per domain: `<prefix>-sales`, `-inventory`, `-finance`, `-crm`. */
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('erp'),
  /** Connect with TLS (Temporal Cloud, or a server behind TLS). On by default when an API key is set. */
  TEMPORAL_TLS: z.preprocess((v) => (v === '' ? undefined : v), booleanFlag.optional()),
  /** Client certificate and key (PEM files) for mTLS, for example a Temporal Cloud namespace certificate. */
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  /** An API key (Temporal Cloud); sent as a bearer token. Never logged. */
  TEMPORAL_API_KEY: optionalString,
  /** Base URL of the Temporal Web UI, used for links. Defaults to the dev server's UI. */
  TEMPORAL_UI_URL: optionalString.pipe(z.url().optional()),
  /** Ports of the dev server that `npm start` runs when TEMPORAL_ADDRESS is unset. */
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_DEV_UI_PORT: port.default(8233),
  /** An existing `temporal` CLI binary to run the dev server with. */
  TEMPORAL_CLI_PATH: optionalString,

  /** Which domains' task queues this worker process serves (comma-separated). */
  WORKER_DOMAINS: domainList.default([...DOMAINS]),
  /** Interface and port of the worker's /healthz, /readyz and /metrics. */
  WORKER_HEALTH_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_HEALTH_PORT: port.default(3001),
  /** How long a stopping worker lets in-flight activities finish before it exits, in milliseconds. */
  WORKER_SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  /** Workflow executions kept in the worker's cache, per task queue (lower forces more replays). */
  WORKER_MAX_CACHED_WORKFLOWS: positiveInt.default(1000),
  /** Activities and workflow tasks one worker runs at once, per task queue. */
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt.default(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt.default(100),

  /**
   * Put in front of the ids of the Temporal Schedules (and of the workflows they start), so two
   * deployments sharing one namespace keep their own schedules. Empty: the ids in SCHEDULE_IDS.
   */
  SCHEDULE_ID_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]{0,100}$/, 'letters, digits, ".", "_" and "-", at most 100')
    .default(''),
  /** A prebuilt workflow bundle; when unset the worker bundles workflows/ once at start. */
  WORKFLOW_BUNDLE_PATH: optionalString,
  /** How often the relay looks for events whose routing is still pending, in milliseconds. */
  ROUTE_RELAY_INTERVAL_MS: positiveInt.default(2000),
  /** How often the API looks for new outbox rows and wakes the webhook subscriptions' workflows, in milliseconds. */
  OUTBOX_RELAY_INTERVAL_MS: positiveInt.default(1000),
  /** Deadline for delivering one event to Temporal; past it the event stays pending for the relay. */
  ROUTE_DELIVERY_TIMEOUT_MS: positiveInt.default(3000),
  /** How long an Idempotency-Key of a command is remembered, in hours. */
  IDEMPOTENCY_KEY_TTL_HOURS: positiveInt.max(24 * 365).default(24),
  /** Business settings (tax rate, SLAs, timeouts, dunning, ...) as JSON; unset: the domain defaults. */
  SETTINGS_FILE: optionalString,

  /** Kafka brokers (host:port, comma-separated). Unset: the Kafka connector is off. */
  KAFKA_BROKERS: commaList.pipe(z.array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'each must be host:port'))),
  /** The client id the connector's Kafka clients use. */
  KAFKA_CLIENT_ID: z.string().min(1).default('erp-temporal'),
  /** Topics whose business events (CloudEvents, structured JSON) are ingested (comma-separated). */
  KAFKA_IN_TOPICS: commaList,
  /** The consumer group of the ingesting consumer (offsets are committed after the store). */
  KAFKA_GROUP_ID: z.string().min(1).default('erp-events-in'),
  /** Where invalid messages go, with the reason in the `dlq-reason` header. */
  KAFKA_DEAD_LETTER_TOPIC: z.string().min(1).default('erp.events.dead-letter'),
  /** Publish outbox events to `<prefix><aggregate type>` (e.g. `erp.order`). Unset: nothing is published. */
  KAFKA_OUT_TOPIC_PREFIX: optionalString,
  /** How often the outbox is published to Kafka, in milliseconds. */
  KAFKA_OUT_INTERVAL_MS: positiveInt.default(1000),

  /** Search path for the `temporal` binary (the process's PATH). */
  PATH: z.string().default(''),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: { setting: string; message: string }[]) {
    super('Invalid configuration:\n' + problems.map((p) => `  ${p.setting}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Validates the given environment (the process's by default) and returns the typed settings. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ setting: String(i.path[0] ?? '(root)'), message: i.message })),
    );
  }
  const config = parsed.data;
  const problems: { setting: string; message: string }[] = [];
  if ((config.TEMPORAL_TLS_CERT_PATH === undefined) !== (config.TEMPORAL_TLS_KEY_PATH === undefined)) {
    problems.push({
      setting: config.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH',
      message: 'set both TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH, or neither',
    });
  }
  if (config.TEMPORAL_TLS === false && (config.TEMPORAL_API_KEY || config.TEMPORAL_TLS_CERT_PATH)) {
    problems.push({ setting: 'TEMPORAL_TLS', message: 'an API key or client certificate needs TLS' });
  }
  if (!config.KAFKA_BROKERS.length) {
    for (const setting of ['KAFKA_IN_TOPICS', 'KAFKA_OUT_TOPIC_PREFIX'] as const) {
      if (config[setting]?.length) problems.push({ setting, message: 'needs KAFKA_BROKERS' });
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** For process entry points: the config, or a message naming the bad setting and exit code 1. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/**
 * The business settings: SETTINGS_FILE (any subset, checked against the schema) over the defaults.
 * A missing or invalid file names SETTINGS_FILE and the failing path.
 */
export function loadBusinessSettings(config: Pick<Config, 'SETTINGS_FILE'>): BusinessSettings {
  if (!config.SETTINGS_FILE) return DEFAULT_SETTINGS;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(config.SETTINGS_FILE, 'utf8'));
  } catch (err) {
    throw new ConfigError([
      { setting: 'SETTINGS_FILE', message: `cannot read ${config.SETTINGS_FILE}: ${(err as Error).message}` },
    ]);
  }
  const parsed = businessSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({
        setting: 'SETTINGS_FILE',
        message: `${i.path.join('.') || '(root)'}: ${i.message}`,
      })),
    );
  }
  return parsed.data;
}

/** For process entry points: the business settings, or a message naming the bad setting and exit 1. */
export function loadBusinessSettingsOrExit(config: Config): BusinessSettings {
  try {
    return loadBusinessSettings(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** The Temporal Web UI base URL: the configured one, or the dev server's. */
export function temporalUiUrl(config: Config): string {
  return (config.TEMPORAL_UI_URL ?? `http://localhost:${config.TEMPORAL_DEV_UI_PORT}`).replace(/\/$/, '');
}

/** The environment for a child process: this process's own, with the given settings on top. */
export function childEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
