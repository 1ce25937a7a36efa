/** The Express app factory: routes, JSON parsing, problem+json errors. It never listens. */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import type { Db } from '../db/client';
import { DEFAULT_SETTINGS, type BusinessSettings } from '../domain/settings';
import type { Logger } from '../lib/logger';
import type { TemporalHandle } from '../lib/temporal';
import { crmRouter } from './crm';
import { BATCH_CONTENT_TYPES, EVENT_CONTENT_TYPES, eventsRouter } from './events';
import { inventoryRouter } from './inventory';
import { ledgerRouter } from './ledger';
import { masterDataRouter } from './masterdata';
import { ordersRouter } from './orders';
import { reconciliationRouter } from './reconciliation';
import { purchaseOrdersRouter } from './purchase-orders';
import { reportsRouter } from './reports';
import { schedulesRouter } from './schedules';
import { reconciliationRunsRouter } from './reconciliation-runs';
import { replaysRouter } from './replays';
import { subscriptionsRouter } from './subscriptions';
import { apiKeysRouter } from './api-keys';
import { consoleRouter } from './console';
import { worklistsRouter } from './worklists';
import { lineageRouter } from './lineage';
import { authMiddleware, type AuthOptions } from './auth';
import { buildOpenApiDocument } from './openapi';
import { inputGuard, verifyUtf8 } from './input-guard';
import { errorHandler, notFoundHandler, sendReadiness } from './problem';
import { createApiMetrics, type ApiMetrics } from './metrics';
import { checkDatabase } from '../db/health';
import { checkTemporal } from '../lib/temporal';

export interface AppDeps {
  db: Db;
  temporal: TemporalHandle;
  logger: Logger;
  bodyLimitBytes: number;
  /** How long an Idempotency-Key is remembered (default 24). */
  idempotencyTtlHours?: number;
  /** Prometheus metrics served at /metrics. */
  metrics: ApiMetrics;
  /** Business settings (SETTINGS_FILE over the defaults). */
  settings: BusinessSettings;
  /** SCHEDULE_ID_PREFIX: in front of the Temporal Schedule ids (default empty). */
  scheduleIdPrefix?: string;
  /** API keys and the rate limit (AUTH_MODE, RATE_LIMIT_*); the server always passes its config. Absent: off. */
  auth?: AuthOptions;
}

/** What createApp needs; without metrics it makes its own (without process metrics). */
export type AppOptions = Omit<AppDeps, 'metrics' | 'settings'> & {
  metrics?: ApiMetrics;
  settings?: BusinessSettings;
};

export function createApp(options: AppOptions): Express {
  const deps: AppDeps = {
    ...options,
    metrics: options.metrics ?? createApiMetrics(options.db, { defaultMetrics: false }),
    settings: options.settings ?? DEFAULT_SETTINGS,
  };
  const app = express();
  app.disable('x-powered-by');
  app.use(
    pinoHttp({
      logger: deps.logger,
      // a caller's request id is kept (and echoed) so its logs and ours line up
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\x21-\x7e]{1,128}$/.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customProps: (req) => {
        const correlationId = req.headers['x-correlation-id'];
        return typeof correlationId === 'string' ? { correlationId } : {};
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      autoLogging: {
        ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics',
      },
    }),
  );
  app.set('query parser', 'simple');
  // before the body is read: a request without a valid key costs no parsing
  app.use(authMiddleware(deps.db, deps.auth ?? { mode: 'off' }));
  app.use(
    express.json({
      limit: deps.bodyLimitBytes,
      type: [...new Set([...EVENT_CONTENT_TYPES, ...BATCH_CONTENT_TYPES])],
      strict: false,
      verify: verifyUtf8,
    }),
  );
  app.use(inputGuard);

  /** Liveness: the process answers. */
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /** Readiness: Postgres reachable, migrations at head, Temporal reachable; 503 otherwise. */
  app.get('/readyz', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      checkDatabase(deps.db),
      checkTemporal(deps.temporal.connection),
    ]);
    sendReadiness(res, { ...database, temporal });
  });

  /** Prometheus metrics. */
  app.get('/metrics', async (_req, res) => {
    const { registry } = deps.metrics;
    res.type(registry.contentType).send(await registry.metrics());
  });

  const openApi = buildOpenApiDocument();
  /** The OpenAPI 3.1 document, generated from the zod schemas. */
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openApi));

  app.use(eventsRouter(deps));
  app.use(inventoryRouter(deps));
  app.use(masterDataRouter(deps));
  app.use(ordersRouter(deps));
  app.use(reconciliationRouter(deps));
  app.use(ledgerRouter(deps));
  app.use(purchaseOrdersRouter(deps));
  app.use(crmRouter(deps));
  app.use(subscriptionsRouter(deps));
  app.use(schedulesRouter(deps));
  app.use(reportsRouter(deps));
  app.use(reconciliationRunsRouter(deps));
  app.use(replaysRouter(deps));
  app.use(apiKeysRouter(deps));
  app.use(worklistsRouter(deps));
  /** The operator console (static page; its data calls use the API keys like any client). */
  app.use(consoleRouter());
  app.use(lineageRouter(deps));

  app.use(notFoundHandler);
  app.use(errorHandler((err) => deps.logger.error({ err }, 'unhandled error')));
  return app;
}
