/** The Express app factory: routes, JSON parsing, problem+json errors. It never listens. */
import express, { type Express } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Db } from '../db/client';
import type { Logger } from '../lib/logger';
import type { TemporalHandle } from '../lib/temporal';
import { BATCH_CONTENT_TYPES, EVENT_CONTENT_TYPES, eventsRouter } from './events';
import { inventoryRouter } from './inventory';
import { masterDataRouter } from './masterdata';
import { buildOpenApiDocument } from './openapi';
import { errorHandler, notFoundHandler } from './problem';

export interface AppDeps {
  db: Db;
  temporal: TemporalHandle;
  logger: Logger;
  bodyLimitBytes: number;
  /** How long an Idempotency-Key is remembered (default 24). */
  idempotencyTtlHours?: number;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(
    express.json({
      limit: deps.bodyLimitBytes,
      type: [...new Set([...EVENT_CONTENT_TYPES, ...BATCH_CONTENT_TYPES])],
      strict: false,
    }),
  );

  /** Liveness: the process answers. */
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
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

  app.use(notFoundHandler);
  app.use(errorHandler((err) => deps.logger.error({ err }, 'unhandled error')));
  return app;
}
