/** Workers: one per domain task queue, the workflow bundle, and activities wired to their dependencies. */
import { DefaultLogger, type NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Db } from '../db/client';
import { DEFAULT_SETTINGS, type BusinessSettings } from '../domain/settings';
import type { Logger } from '../lib/logger';
import { taskQueueName, type Domain } from '../domain/names';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** The prefix of the domain task queues, for activities that reach other domains' workflows. */
  taskQueuePrefix: string;
  db: Db;
  /** Business settings handed to workflows (default: the domain defaults). */
  settings?: BusinessSettings;
  /** The prebuilt bundle (code or a file); built once per process or test run. */
  workflowBundle: { code: string } | { codePath: string };
  maxCachedWorkflows?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /** How long in-flight activities may run on after shutdown starts, in milliseconds. */
  shutdownGraceTimeMs?: number;
}

/** One worker on one task queue. */
export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: opts.workflowBundle,
    activities: createActivities({
      db: opts.db,
      settings: opts.settings ?? DEFAULT_SETTINGS,
      taskQueuePrefix: opts.taskQueuePrefix,
    }),
    // the SDK rejects explicit undefined values, so only the settings given are passed
    ...defined({
      maxCachedWorkflows: opts.maxCachedWorkflows,
      maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions,
      maxConcurrentWorkflowTaskExecutions: opts.maxConcurrentWorkflowTaskExecutions,
      shutdownGraceTime: opts.shutdownGraceTimeMs,
    }),
  });
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * One worker per domain this process serves, each on its domain's task queue, each with the given
 * cache and slots (an idle domain's worker holds nothing in its cache).
 */
export async function createDomainWorkers(
  opts: Omit<WorkerOptions, 'taskQueue'> & { domains: readonly Domain[] },
): Promise<{ domain: Domain; taskQueue: string; worker: Worker }[]> {
  const { domains, ...rest } = opts;
  return Promise.all(
    domains.map(async (domain) => {
      const taskQueue = taskQueueName(rest.taskQueuePrefix, domain);
      const worker = await createWorker({ ...rest, taskQueue });
      return { domain, taskQueue, worker };
    }),
  );
}

const SDK_LOG_LEVELS = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
} as const;

const PINO_LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * Sets up the Temporal SDK's runtime for this process; call before creating any worker. With a
 * logger, workflow, activity and worker logs (and, with forwardCore, the native core's) go into it
 * as JSON lines carrying the SDK's own fields (workflowId, runId, activityType, ...). With a
 * metrics address, the SDK serves its Prometheus metrics there.
 */
export function installSdkLogging(
  level: string,
  opts: { logger?: Logger; forwardCore?: boolean; metricsBindAddress?: string } = {},
): void {
  const sdkLevel = SDK_LOG_LEVELS[level as keyof typeof SDK_LOG_LEVELS] ?? 'ERROR';
  const { logger } = opts;
  Runtime.install({
    logger: logger
      ? new DefaultLogger(sdkLevel, (entry) => {
          logger[PINO_LEVELS[entry.level]]({ ...entry.meta, source: 'temporal-sdk' }, entry.message);
        })
      : new DefaultLogger(sdkLevel),
    telemetryOptions: {
      logging: { filter: { core: sdkLevel, other: sdkLevel }, ...(opts.forwardCore ? { forward: {} } : {}) },
      ...(opts.metricsBindAddress
        ? {
            metrics: {
              prometheus: {
                bindAddress: opts.metricsBindAddress,
                countersTotalSuffix: true,
                useSecondsForDurations: true,
              },
            },
          }
        : {}),
    },
  });
}
