/** The worker process: `npm run worker` (started by `npm start`). */
import fs from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { loadConfigOrExit } from '../lib/config';
import { createLogger } from '../lib/logger';
import { temporalAddress } from '../lib/temporal';
import { createDatabase } from '../db/client';
import { buildWorkflowBundle } from './bundle';
import { createWorker, installSdkLogging } from './worker';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'worker');
  installSdkLogging(config.LOG_LEVEL);
  if (!config.DATABASE_URL) {
    logger.fatal('DATABASE_URL is required by the worker (npm start sets it for you)');
    process.exit(1);
  }
  if (config.WORKFLOW_BUNDLE_PATH && !fs.existsSync(config.WORKFLOW_BUNDLE_PATH)) {
    logger.fatal(`WORKFLOW_BUNDLE_PATH: ${config.WORKFLOW_BUNDLE_PATH} does not exist`);
    process.exit(1);
  }
  const database = createDatabase(config.DATABASE_URL, {
    max: config.DB_POOL_MAX,
    applicationName: 'erp-worker',
  });
  const address = temporalAddress(config);
  const connection = await NativeConnection.connect({ address });
  const workflowBundle = config.WORKFLOW_BUNDLE_PATH
    ? { codePath: config.WORKFLOW_BUNDLE_PATH }
    : await buildWorkflowBundle();
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    db: database.db,
    workflowBundle,
  });
  logger.info({ address, taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker polling');
  // Worker.run() installs SIGINT/SIGTERM handlers that drain and stop the worker
  await worker.run();
  await connection.close();
  await database.close();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
