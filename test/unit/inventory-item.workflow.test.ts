/**
 * Workflow logic with mocked activities (the only place mocks belong): order of application,
 * retries, and nothing lost across continue-as-new.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { WORKFLOW_TYPES } from '../../domain/names';
import { type InventoryItemInput, type StockChange, type StockChangeOutcome } from '../../domain/inventory';
import type { Activities } from '../../activities';
import { noReorderRule } from '../support/inventory-mocks';
import { readContext } from '../support/infrastructure';
import { uniqueKey, waitForApplied } from '../support/harness';
import { sendStockChange } from '../../api/routing';

const context = readContext();
let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  nativeConnection = await NativeConnection.connect({ address: context.temporalAddress });
  connection = await Connection.connect({ address: context.temporalAddress });
  client = new Client({ connection, namespace: context.namespace });
});
afterAll(async () => {
  await connection?.close();
  await nativeConnection?.close();
});

function change(sku: string, i: number, delta: number): StockChange {
  return { sku, delta, reason: 'unit', cause: { source: 'unit', id: `e${i}`, correlationId: 'c' } };
}

async function withWorker(
  activities: Pick<Activities, 'applyStockChange'>,
  fn: (taskQueue: string) => Promise<void>,
) {
  const taskQueue = `unit-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: context.namespace,
    taskQueue,
    workflowBundle: { codePath: context.workflowBundlePath },
    activities: { ...noReorderRule, ...activities },
  });
  await worker.runUntil(fn(taskQueue));
}

async function signalAll(taskQueue: string, input: InventoryItemInput, changes: StockChange[]) {
  for (const c of changes) await sendStockChange(client, taskQueue, input, c);
}

describe('inventoryItemWorkflow', () => {
  it('applies every change once, in arrival order, across several continue-as-new boundaries', async () => {
    const sku = uniqueKey('U');
    const workflowId = `sku-${sku}`;
    const seen: string[] = [];
    let onHand = 0;
    const applyStockChange = jest.fn(async (c: StockChange): Promise<StockChangeOutcome> => {
      seen.push(c.cause.id);
      onHand += c.delta ?? 0;
      return { status: 'applied', onHand };
    });
    const changes = Array.from({ length: 11 }, (_, i) => change(sku, i, i + 1));
    await withWorker({ applyStockChange }, async (taskQueue) => {
      const handle = await client.workflow.start(WORKFLOW_TYPES.inventoryItem, {
        workflowId,
        taskQueue,
        args: [{ sku, maxChangesPerRun: 3 } satisfies InventoryItemInput],
      });
      const firstRunId = handle.firstExecutionRunId;
      await signalAll(taskQueue, { sku, maxChangesPerRun: 3 }, changes);
      const state = await waitForApplied(client, workflowId, 11);
      expect(state).toMatchObject({ sku, applied: 11, pending: 0, duplicatesIgnored: 0 });
      const first = await client.workflow.getHandle(workflowId, firstRunId).describe();
      expect(first.status.name).toBe('CONTINUED_AS_NEW');
      const latest = await client.workflow.getHandle(workflowId).describe();
      expect(latest.runId).not.toBe(firstRunId);
      await client.workflow.getHandle(workflowId).terminate('test done');
    });
    expect(seen).toEqual(changes.map((c) => c.cause.id));
    expect(applyStockChange).toHaveBeenCalledTimes(11);
  });

  it('retries a failing activity and keeps the change and the order', async () => {
    const sku = uniqueKey('U');
    const workflowId = `sku-${sku}`;
    const seen: string[] = [];
    let failuresLeft = 2;
    const applyStockChange = jest.fn(async (c: StockChange): Promise<StockChangeOutcome> => {
      if (c.cause.id === 'e0' && failuresLeft-- > 0) throw new Error('database unavailable');
      seen.push(c.cause.id);
      return { status: 'applied', onHand: 0 };
    });
    await withWorker({ applyStockChange }, async (taskQueue) => {
      await signalAll(taskQueue, { sku }, [change(sku, 0, 1), change(sku, 1, 1)]);
      await waitForApplied(client, workflowId, 2);
      await client.workflow.getHandle(workflowId).terminate('test done');
    });
    expect(seen).toEqual(['e0', 'e1']);
    expect(applyStockChange).toHaveBeenCalledTimes(4);
  });

  it('ignores a change delivered twice, also when the first delivery was in an earlier run', async () => {
    const sku = uniqueKey('U');
    const workflowId = `sku-${sku}`;
    const seen: string[] = [];
    const applyStockChange = jest.fn(async (c: StockChange): Promise<StockChangeOutcome> => {
      seen.push(c.cause.id);
      return { status: 'applied', onHand: seen.length };
    });
    const input: InventoryItemInput = { sku, maxChangesPerRun: 2 };
    const [a, b, c] = [change(sku, 0, 1), change(sku, 1, 1), change(sku, 2, 1)];
    await withWorker({ applyStockChange }, async (taskQueue) => {
      await signalAll(taskQueue, input, [a, a, b]);
      // a and b fill the first run, which continues as new; c and the repeats land in the second
      await waitForApplied(client, workflowId, 2);
      await signalAll(taskQueue, input, [b, c, a]);
      const state = await waitForApplied(client, workflowId, 3);
      // the counter is per run: one repeat in the first, two in the second
      expect(state).toMatchObject({ applied: 3, pending: 0, duplicatesIgnored: 2 });
      await client.workflow.getHandle(workflowId).terminate('test done');
    });
    expect(seen).toEqual(['e0', 'e1', 'e2']);
  });
});
