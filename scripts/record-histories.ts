/**
 * `npm run test:record-histories`: runs each workflow's scenario against real services (the same
 * ones the tests start) and saves every run's history under test/histories, for the replay test.
 * Run it after a deliberate, versioned change to a workflow; commit the new files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Client } from '@temporalio/client';
import { createDatabase } from '../db/client';
import { connectTemporal, fetchRunChain } from '../lib/temporal';
import { inventoryWorkflowId, taskQueueName, WORKFLOW_DOMAINS, WORKFLOW_TYPES } from '../domain/names';
import type { InventoryItemInput, StockChange } from '../domain/inventory';
import { createWorker, installSdkLogging } from '../workers/worker';
import { sendStockChange } from '../api/routing';
import { startInfrastructure } from '../test/support/infrastructure';
import { createTestDatabase, waitForApplied } from '../test/support/harness';
import { HISTORIES_DIR } from '../test/support/histories';

/** Saves every run of the execution chain `workflowId`, oldest first, as `<name>-run<N>.json`. */
async function saveChain(client: Client, workflowId: string, name: string): Promise<string[]> {
  const histories = await fetchRunChain(client, workflowId, { allRuns: true });
  return histories.map((history, i) => {
    const file = path.join(HISTORIES_DIR, `${name}-run${i + 1}.json`);
    fs.writeFileSync(
      file,
      `{"workflowId":${JSON.stringify(workflowId)},"history":${historyToJSON(history)}}\n`,
    );
    return path.relative(process.cwd(), file);
  });
}

/** inventoryItemWorkflow: five changes (one rejected), continue-as-new after three. */
async function inventoryItemScenario(client: Client, taskQueue: string): Promise<string[]> {
  const sku = 'SKU-HISTORY-1';
  const workflowId = inventoryWorkflowId(sku);
  const change = (i: number, c: Partial<StockChange>): StockChange => ({
    sku,
    reason: 'history scenario',
    cause: { source: 'record-histories', id: `evt-${i}`, correlationId: 'history-scenario' },
    ...c,
  });
  const changes = [
    change(1, { delta: 10 }),
    change(2, { delta: -4 }),
    change(3, { delta: -20 }),
    change(4, { quantity: 3 }),
    change(5, { delta: 2 }),
    // delivered twice, the way a retried route would: the workflow ignores the repeat
    change(5, { delta: 2 }),
  ];
  const input: InventoryItemInput = { sku, maxChangesPerRun: 3 };
  for (const c of changes) await sendStockChange(client, taskQueue, input, c);
  await waitForApplied(client, workflowId, 5);
  return saveChain(client, workflowId, 'inventory-item');
}

async function main(): Promise<void> {
  installSdkLogging('error');
  const infra = await startInfrastructure((line) => console.log(line));
  const testDb = await createTestDatabase(infra.context);
  const database = createDatabase(testDb.url);
  const connection = await NativeConnection.connect({ address: infra.context.temporalAddress });
  const taskQueue = taskQueueName('record-histories', WORKFLOW_DOMAINS[WORKFLOW_TYPES.inventoryItem]);
  const worker = await createWorker({
    connection,
    namespace: infra.context.namespace,
    taskQueue,
    db: database.db,
    workflowBundle: { codePath: infra.context.workflowBundlePath },
  });
  const temporal = connectTemporal(infra.context.temporalAddress, {
    namespace: infra.context.namespace,
    taskQueuePrefix: 'record-histories',
    uiUrl: infra.context.uiUrl,
  });
  try {
    await worker.runUntil(async () => {
      fs.mkdirSync(HISTORIES_DIR, { recursive: true });
      for (const file of await inventoryItemScenario(temporal.client, taskQueue))
        console.log(`saved ${file}`);
    });
  } finally {
    await temporal.connection.close();
    await connection.close();
    await database.close();
    await testDb.drop();
    await infra.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
