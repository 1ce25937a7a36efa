/**
 * Workflow logic with mocked activities (the only place mocks belong): order of application,
 * retries, and nothing lost across continue-as-new.
 */
import { randomUUID } from 'node:crypto';
import { WORKFLOW_TYPES } from '../../domain/names';
import {
  inventoryStateQuery,
  reorderCheckRequestedSignal,
  type InventoryItemInput,
  type ReorderRule,
  type StockChange,
  type StockChangeOutcome,
} from '../../domain/inventory';
import type { ProcurementInput, PurchaseOrderCreated } from '../../domain/procurement';
import { DEFAULT_SETTINGS } from '../../domain/settings';
import type { Activities } from '../../activities';
import { noReorderRule } from '../support/inventory-mocks';
import { workflowTestbed } from '../support/workflow-testbed';
import { eventually, uniqueKey, waitForApplied } from '../support/harness';
import { sendStockChange } from '../../api/routing';
import { fetchRunChain } from '../../lib/temporal';

const testbed = workflowTestbed();

function change(sku: string, i: number, delta: number): StockChange {
  return { sku, delta, reason: 'unit', cause: { source: 'unit', id: `e${i}`, correlationId: 'c' } };
}

async function withWorker(
  activities: Pick<Activities, 'applyStockChange'> & Partial<Activities>,
  fn: (taskQueue: string) => Promise<void>,
) {
  const taskQueue = `unit-${randomUUID()}`;
  await testbed.runWorker(taskQueue, { ...noReorderRule, ...activities }, () => fn(taskQueue));
}

async function signalAll(taskQueue: string, input: InventoryItemInput, changes: StockChange[]) {
  for (const c of changes) await sendStockChange(testbed.client, taskQueue, input, c);
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
      const handle = await testbed.client.workflow.start(WORKFLOW_TYPES.inventoryItem, {
        workflowId,
        taskQueue,
        args: [{ sku, maxChangesPerRun: 3 } satisfies InventoryItemInput],
      });
      const firstRunId = handle.firstExecutionRunId;
      await signalAll(taskQueue, { sku, maxChangesPerRun: 3 }, changes);
      const state = await waitForApplied(testbed.client, workflowId, 11);
      expect(state).toMatchObject({ sku, applied: 11, pending: 0, duplicatesIgnored: 0 });
      const first = await testbed.client.workflow.getHandle(workflowId, firstRunId).describe();
      expect(first.status.name).toBe('CONTINUED_AS_NEW');
      const latest = await testbed.client.workflow.getHandle(workflowId).describe();
      expect(latest.runId).not.toBe(firstRunId);
      await testbed.client.workflow.getHandle(workflowId).terminate('test done');
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
      await waitForApplied(testbed.client, workflowId, 2);
      await testbed.client.workflow.getHandle(workflowId).terminate('test done');
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
      await waitForApplied(testbed.client, workflowId, 2);
      await eventually(async () =>
        (await fetchRunChain(testbed.client, workflowId, { allRuns: true })).length === 2 ? true : undefined,
      );
      await signalAll(taskQueue, input, [b, c, a]);
      const state = await waitForApplied(testbed.client, workflowId, 3);
      // the counter is per run: one repeat in the first, two in the second
      expect(state).toMatchObject({ applied: 3, pending: 0, duplicatesIgnored: 2 });
      await testbed.client.workflow.getHandle(workflowId).terminate('test done');
    });
    expect(seen).toEqual(['e0', 'e1', 'e2']);
  });
});

describe('inventoryItemWorkflow reorder', () => {
  it('starts one procurement for a burst crossing the reorder point, and carries it across continue-as-new', async () => {
    const sku = uniqueKey('U');
    const workflowId = `sku-${sku}`;
    const rule: ReorderRule = {
      reorderPoint: 20,
      orderUpTo: 100,
      packMultiple: 12,
      minOrderQuantity: 24,
      leadTimeDays: 0,
      supplierId: 'SUP',
      supplierKnown: true,
      version: 1,
    };
    let onHand = 110;
    const created: ProcurementInput[] = [];
    const activities = {
      businessSettings: async () => DEFAULT_SETTINGS,
      loadReorderState: async () => ({
        rule,
        stock: { onHand, reserved: 0 },
        open: [],
        nextPurchaseOrderSeq: 1,
      }),
      readReorderRule: async () => rule,
      readStockLevel: async () => ({ onHand, reserved: 0 }),
      applyStockChange: async (c: StockChange): Promise<StockChangeOutcome> => {
        onHand += c.delta ?? 0;
        return { status: 'applied', onHand };
      },
      // the procurement child runs on the same queue; it only gets as far as waiting for confirmation
      createPurchaseOrder: jest.fn(async (input: ProcurementInput): Promise<PurchaseOrderCreated> => {
        created.push(input);
        return {
          purchaseOrderId: input.purchaseOrderId,
          expectedDate: '2026-12-01',
          currency: 'EUR',
          unitCost: 0,
          overReceiptTolerance: 0,
        };
      }),
      sendPurchaseOrder: async () => ({ sent: true }),
    };
    const input: InventoryItemInput = { sku, maxChangesPerRun: 10 };
    await withWorker(activities, async (taskQueue) => {
      const changes = Array.from({ length: 100 }, (_, i) => change(sku, i, -1));
      await Promise.all(changes.map((c) => sendStockChange(testbed.client, taskQueue, input, c)));
      const state = await eventually(async () => {
        const s = await testbed.client.workflow.getHandle(workflowId).query(inventoryStateQuery);
        return s.applied === 100 && s.pending === 0 && s.onHand === 10 ? s : undefined;
      }, 60_000);
      expect(state.procurementsStarted).toBe(1);
      expect(state.openProcurements).toHaveLength(1);
      const [open] = state.openProcurements;
      expect(open?.purchaseOrderId).toBe(`PO-${sku}-1`);
      expect(open!.quantity % 12).toBe(0);
      expect(state.onOrder).toBe(open?.quantity);
      await eventually(async () => (created.length === 1 ? true : undefined));
      expect(created[0]).toMatchObject({
        sku,
        supplierId: 'SUP',
        quantity: open?.quantity,
        parentWorkflowId: workflowId,
      });
      // 100 changes at 10 per run: at least ten runs, the procurement carried through them
      expect(
        (await fetchRunChain(testbed.client, workflowId, { allRuns: true })).length,
      ).toBeGreaterThanOrEqual(10);
      await testbed.client.workflow.getHandle(workflowId).terminate('test done');
      await testbed.client.workflow.getHandle(`procurement-PO-${sku}-1`).terminate('test done');
    });
  });
  it("on the sweep's re-check drops a procurement Postgres closed, keeps one not stored yet, and reorders the rest", async () => {
    const sku = uniqueKey('U');
    const workflowId = `sku-${sku}`;
    const rule: ReorderRule = {
      reorderPoint: 5,
      orderUpTo: 20,
      packMultiple: 1,
      minOrderQuantity: 1,
      leadTimeDays: 0,
      supplierId: 'SUP',
      supplierKnown: true,
      version: 1,
    };
    const created: ProcurementInput[] = [];
    // Postgres: PO 1 and 2 exist and are closed or cancelled (next would be 3); the shelf is empty
    const loadReorderState = jest.fn(async () => ({
      rule,
      stock: { onHand: 0, reserved: 0 },
      open: [],
      nextPurchaseOrderSeq: 3,
    }));
    const activities = {
      businessSettings: async () => DEFAULT_SETTINGS,
      loadReorderState,
      readReorderRule: async () => rule,
      readStockLevel: async () => ({ onHand: 0, reserved: 0 }),
      applyStockChange: async (): Promise<StockChangeOutcome> => ({ status: 'applied', onHand: 0 }),
      createPurchaseOrder: jest.fn(async (input: ProcurementInput): Promise<PurchaseOrderCreated> => {
        created.push(input);
        return {
          purchaseOrderId: input.purchaseOrderId,
          expectedDate: '2026-12-01',
          currency: 'EUR',
          unitCost: 0,
          overReceiptTolerance: 0,
        };
      }),
      sendPurchaseOrder: async () => ({ sent: true }),
    };
    // the workflow believes PO 1 (20, its cancellation never heard of) and PO 3 (3, being created) open
    const input: InventoryItemInput = {
      sku,
      reorder: {
        rule,
        stock: { onHand: 30, reserved: 0 },
        open: [
          {
            purchaseOrderId: `PO-${sku}-1`,
            workflowId: `procurement-PO-${sku}-1`,
            quantity: 20,
            received: 0,
          },
          { purchaseOrderId: `PO-${sku}-3`, workflowId: `procurement-PO-${sku}-3`, quantity: 3, received: 0 },
        ],
        nextPurchaseOrderSeq: 4,
        procurementsStarted: 2,
      },
    };
    await withWorker(activities, async (taskQueue) => {
      const handle = await testbed.client.workflow.start(WORKFLOW_TYPES.inventoryItem, {
        workflowId,
        taskQueue,
        args: [input],
      });
      const check = {
        sku,
        cause: { source: 'schedule/inventory-sweep', id: 'sweep-1', correlationId: 'sweep' },
      };
      await handle.signal(reorderCheckRequestedSignal, check);
      const state = await eventually(async () => {
        const s = await handle.query(inventoryStateQuery);
        return s.procurementsStarted === 3 ? s : undefined;
      });
      // projected 0 + 3 ≤ 5: order up to 20 is 17, as PO 4
      expect(state.openProcurements.map((p) => [p.purchaseOrderId, p.quantity])).toEqual([
        [`PO-${sku}-3`, 3],
        [`PO-${sku}-4`, 17],
      ]);
      expect(state.onHand).toBe(0);
      await eventually(async () => (created.length === 1 ? true : undefined));
      expect(created[0]).toMatchObject({ purchaseOrderId: `PO-${sku}-4`, quantity: 17 });
      // the same sweep run asking again is ignored
      await handle.signal(reorderCheckRequestedSignal, check);
      await eventually(async () =>
        (await handle.query(inventoryStateQuery)).duplicatesIgnored === 1 ? true : undefined,
      );
      expect(loadReorderState).toHaveBeenCalledTimes(1);
      await handle.terminate('test done');
      await testbed.client.workflow.getHandle(`procurement-PO-${sku}-4`).terminate('test done');
    });
  });
});
