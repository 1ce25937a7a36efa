/**
 * For unit tests of workflow logic: a client of the run's dev server, and workers with mocked
 * activities (the only place mocks belong) on task queues of their own. Call at the top of a file;
 * it connects before the tests and closes after them.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { readContext, type TestContext } from './infrastructure';

export interface WorkflowTestbed {
  readonly context: TestContext;
  /** Set once the file's tests start. */
  readonly client: Client;
  /** Runs a worker with `activities` on `taskQueue` while `fn` runs. */
  runWorker<T>(taskQueue: string, activities: object, fn: () => Promise<T>): Promise<T>;
}

export function workflowTestbed(): WorkflowTestbed {
  const context = readContext();
  let nativeConnection: NativeConnection | undefined;
  let connection: Connection | undefined;
  let client: Client | undefined;
  beforeAll(async () => {
    nativeConnection = await NativeConnection.connect({ address: context.temporalAddress });
    connection = await Connection.connect({ address: context.temporalAddress });
    client = new Client({ connection, namespace: context.namespace });
  });
  afterAll(async () => {
    await connection?.close();
    await nativeConnection?.close();
  });
  return {
    context,
    get client() {
      if (!client) throw new Error('the testbed connects in beforeAll');
      return client;
    },
    async runWorker(taskQueue, activities, fn) {
      if (!nativeConnection) throw new Error('the testbed connects in beforeAll');
      const worker = await Worker.create({
        connection: nativeConnection,
        namespace: context.namespace,
        taskQueue,
        workflowBundle: { codePath: context.workflowBundlePath },
        activities,
        ...(process.env.TEST_WORKFLOW_CACHE_SIZE
          ? { maxCachedWorkflows: Number(process.env.TEST_WORKFLOW_CACHE_SIZE) }
          : {}),
      });
      return worker.runUntil(fn());
    },
  };
}
