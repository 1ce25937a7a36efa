/**
 * The worker process: `npm run worker` (started by `npm start`). One worker per domain it serves
 * (WORKER_DOMAINS), each on its own task queue, plus /healthz, /readyz and /metrics. On SIGINT or
 * SIGTERM it stops polling, lets in-flight activities finish for WORKER_SHUTDOWN_GRACE_MS, then exits.
 */
import fs from 'node:fs';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadBusinessSettingsOrExit, loadConfigOrExit } from '../lib/config';
import { createLogger } from '../lib/logger';
import { freePort } from '../lib/net';
import { temporalAddress, temporalSecurityOrExit } from '../lib/temporal';
import { createDatabase } from '../db/client';
import { buildWorkflowBundle } from './bundle';
import { startWorkerHealthServer } from './health';
import { registerSchedules } from './schedules';
import { createDomainWorkers, installSdkLogging } from './worker';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const settings = loadBusinessSettingsOrExit(config);
  const logger = createLogger(config.LOG_LEVEL, 'worker');
  if (!config.DATABASE_URL) {
    logger.fatal('DATABASE_URL is required by the worker (npm start sets it for you)');
    process.exit(1);
  }
  if (config.WORKFLOW_BUNDLE_PATH && !fs.existsSync(config.WORKFLOW_BUNDLE_PATH)) {
    logger.fatal(`WORKFLOW_BUNDLE_PATH: ${config.WORKFLOW_BUNDLE_PATH} does not exist`);
    process.exit(1);
  }
  const security = temporalSecurityOrExit(config);
  const sdkMetricsAddress = `127.0.0.1:${await freePort()}`;
  installSdkLogging(config.LOG_LEVEL, { logger, forwardCore: true, metricsBindAddress: sdkMetricsAddress });

  const database = createDatabase(config.DATABASE_URL, {
    max: config.DB_POOL_MAX,
    applicationName: 'erp-worker',
  });
  const address = temporalAddress(config);
  const connection = await NativeConnection.connect({ address, ...security });
  const workflowBundle = config.WORKFLOW_BUNDLE_PATH
    ? { codePath: config.WORKFLOW_BUNDLE_PATH }
    : await buildWorkflowBundle();
  const workers = await createDomainWorkers({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueuePrefix: config.TEMPORAL_TASK_QUEUE,
    domains: config.WORKER_DOMAINS,
    db: database.db,
    settings,
    workflowBundle,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    shutdownGraceTimeMs: config.WORKER_SHUTDOWN_GRACE_MS,
  });
  // the batch schedules: created, or updated to match the code; idempotent, so every worker does it
  await registerSchedules(
    new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
    { taskQueuePrefix: config.TEMPORAL_TASK_QUEUE, idPrefix: config.SCHEDULE_ID_PREFIX },
    { logger },
  ).catch((err: unknown) => {
    // the worker still serves its queues; the next start (or another worker) registers them
    logger.error({ err }, 'schedule registration failed');
  });
  const health = await startWorkerHealthServer({
    host: config.WORKER_HEALTH_HOST,
    port: config.WORKER_HEALTH_PORT,
    db: database.db,
    connection,
    workers,
    sdkMetricsUrl: `http://${sdkMetricsAddress}/metrics`,
  }).catch((err: unknown) => {
    logger.fatal({ err }, `WORKER_HEALTH_PORT ${config.WORKER_HEALTH_PORT}: cannot listen`);
    process.exit(1);
  });

  // the SDK's runtime turns SIGINT/SIGTERM into a graceful shutdown of every worker; this bounds it
  const bound = config.WORKER_SHUTDOWN_GRACE_MS + 5000;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal, graceMs: config.WORKER_SHUTDOWN_GRACE_MS }, 'worker stopping');
      setTimeout(() => {
        logger.error({ boundMs: bound }, 'worker did not stop in time; exiting');
        process.exit(1);
      }, bound).unref();
    });
  }

  logger.info(
    {
      address,
      taskQueues: workers.map((w) => w.taskQueue),
      health: `http://${config.WORKER_HEALTH_HOST}:${config.WORKER_HEALTH_PORT}`,
    },
    'worker polling',
  );
  await Promise.all(workers.map((w) => w.worker.run()));
  await new Promise((resolve) => health.close(resolve));
  await connection.close();
  await database.close();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
