/** The worker: one task queue, the workflow bundle, and activities wired to their dependencies. */
import { NativeConnection, Worker } from '@temporalio/worker';
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
