/** The worker: one task queue, the workflow bundle, and activities wired to their dependencies. */
import { DefaultLogger, type NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Db } from '../db/client';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  /** The prebuilt bundle (code or a file); built once per process or test run. */
  workflowBundle: { code: string } | { codePath: string };
  maxCachedWorkflows?: number;
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: opts.workflowBundle,
    activities: createActivities({ db: opts.db }),
    maxCachedWorkflows: opts.maxCachedWorkflows,
  });
}

const SDK_LOG_LEVELS = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
} as const;

/** Sets the Temporal SDK's own log level for this process; call before creating any worker. */
export function installSdkLogging(level: string): void {
  const sdkLevel = SDK_LOG_LEVELS[level as keyof typeof SDK_LOG_LEVELS] ?? 'ERROR';
  Runtime.install({
    logger: new DefaultLogger(sdkLevel),
    telemetryOptions: { logging: { filter: { core: sdkLevel, other: sdkLevel } } },
  });
}
