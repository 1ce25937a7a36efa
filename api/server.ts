/** The API process: `npm run api` (started by `npm start`). Listens, and relays pending routes. */
import { loadBusinessSettingsOrExit, loadConfigOrExit, temporalUiUrl } from '../lib/config';
import { createLogger } from '../lib/logger';
import { connectTemporal, temporalAddress, temporalSecurityOrExit } from '../lib/temporal';
import { createDatabase } from '../db/client';
import { countActiveApiKeys } from '../db/queries/api-keys';
import { createApp } from './app';
import { answerClientError } from './input-guard';
import { relayPendingRoutes } from './routing';
import { createOutboxRelay, startOutboxRelay } from './outbox-relay';
import { createKafka, startKafkaIn, startKafkaOut } from './kafka';
import { createApiMetrics } from './metrics';
import { purgeExpiredIdempotencyKeys } from './idempotency';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const settings = loadBusinessSettingsOrExit(config);
  const logger = createLogger(config.LOG_LEVEL, 'api');
  if (!config.DATABASE_URL) {
    logger.fatal('DATABASE_URL is required by the API (npm start sets it for you)');
    process.exit(1);
  }
  const database = createDatabase(config.DATABASE_URL, {
    max: config.DB_POOL_MAX,
    applicationName: 'erp-api',
  });
  const temporal = connectTemporal(temporalAddress(config), {
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueuePrefix: config.TEMPORAL_TASK_QUEUE,
    uiUrl: temporalUiUrl(config),
    rpcTimeoutMs: config.ROUTE_DELIVERY_TIMEOUT_MS,
    security: temporalSecurityOrExit(config),
  });
  const metrics = createApiMetrics(database.db);
  const deps = {
    db: database.db,
    temporal,
    logger,
    bodyLimitBytes: config.API_BODY_LIMIT_BYTES,
    idempotencyTtlHours: config.IDEMPOTENCY_KEY_TTL_HOURS,
    settings,
    metrics,
    scheduleIdPrefix: config.SCHEDULE_ID_PREFIX,
    auth: {
      mode: config.AUTH_MODE,
      rateLimit: config.RATE_LIMIT_PER_MINUTE
        ? { perMinute: config.RATE_LIMIT_PER_MINUTE, burst: config.RATE_LIMIT_BURST }
        : undefined,
    },
  };
  const app = createApp(deps);
  const server = app.listen(config.API_PORT, config.API_HOST, () => {
    logger.info(
      { url: `http://${config.API_HOST}:${config.API_PORT}`, auth: config.AUTH_MODE },
      'api listening',
    );
    if (config.AUTH_MODE === 'off') {
      logger.warn('AUTH_MODE=off: every route is open, no API key is needed');
    } else {
      countActiveApiKeys(database.db)
        .then((n) => {
          if (n === 0)
            logger.warn('no active API key: create one with npm run keys -- create --name me --scopes admin');
        })
        .catch(() => undefined);
    }
  });
  server.on('clientError', answerClientError);
  server.on('error', (err) => {
    logger.fatal({ err }, `API_PORT ${config.API_PORT}: cannot listen`);
    process.exit(1);
  });

  let relaying = false;
  const relay = setInterval(() => {
    if (relaying) return;
    relaying = true;
    relayPendingRoutes(database.db, temporal, {
      limit: 500,
      observe: metrics.observeRouting,
    })
      .then((r) => {
        if (r.delivered || r.failed) logger.info(r, 'relay routed pending events');
      })
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'relay pass failed'))
      .finally(() => {
        relaying = false;
      });
  }, config.ROUTE_RELAY_INTERVAL_MS);

  // new outbox rows wake the webhook subscriptions' delivery workflows
  const outboxRelay = startOutboxRelay(
    createOutboxRelay(database.db, temporal),
    config.OUTBOX_RELAY_INTERVAL_MS,
    (err: unknown) => logger.warn({ err: (err as Error).message }, 'outbox relay pass failed'),
  );

  // the optional Kafka connector: events in from KAFKA_IN_TOPICS, outbox events out
  const kafkaParts: { stop(): Promise<void> }[] = [];
  if (config.KAFKA_BROKERS.length) {
    const kafka = createKafka(config.KAFKA_BROKERS, config.KAFKA_CLIENT_ID);
    const onKafkaError = (err: unknown) => logger.warn({ err: (err as Error).message }, 'kafka');
    if (config.KAFKA_IN_TOPICS.length) {
      kafkaParts.push(
        await startKafkaIn(deps, kafka, {
          topics: config.KAFKA_IN_TOPICS,
          groupId: config.KAFKA_GROUP_ID,
          deadLetterTopic: config.KAFKA_DEAD_LETTER_TOPIC,
        }),
      );
    }
    if (config.KAFKA_OUT_TOPIC_PREFIX) {
      kafkaParts.push(
        await startKafkaOut(database.db, kafka, {
          topicPrefix: config.KAFKA_OUT_TOPIC_PREFIX,
          intervalMs: config.KAFKA_OUT_INTERVAL_MS,
          onError: onKafkaError,
        }),
      );
    }
    logger.info(
      {
        brokers: config.KAFKA_BROKERS,
        in: config.KAFKA_IN_TOPICS,
        outPrefix: config.KAFKA_OUT_TOPIC_PREFIX ?? null,
      },
      'kafka connector started',
    );
  }

  const purge = setInterval(() => {
    purgeExpiredIdempotencyKeys(database.db)
      .then((n) => {
        if (n) logger.info({ deleted: n }, 'expired idempotency keys deleted');
      })
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'idempotency purge failed'));
  }, 600_000);
  purge.unref();

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'api stopping');
    clearInterval(relay);
    outboxRelay.stop();
    void Promise.allSettled(kafkaParts.map((k) => k.stop()));
    clearInterval(purge);
    server.close(() => {
      void Promise.allSettled([database.close(), temporal.connection.close()]).then(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
