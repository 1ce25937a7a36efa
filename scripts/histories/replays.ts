/**
 * replayRunWorkflow: a plan of four items, one per page (so the run sleeps between pages): a
 * supplier upsert never applied (the data fix, applied again), a stock adjustment never routed
 * (re-driven), the same event again (re-driven, changes nothing), and a procurement that failed on
 * the then unknown supplier (reset to its last good point).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { insertPlan, planItemCount } from '../../db/queries/replays';
import { events, replayRuns } from '../../db/schema';
import {
  procurementWorkflowId,
  replayRunWorkflowId,
  WORKFLOW_TYPES,
  workflowTaskQueue,
} from '../../domain/names';
import type { ProcurementInput } from '../../domain/procurement';
import type { ReplayItem, ReplayRunInput, ReplayWorkflowTarget } from '../../domain/replays';
import { describeFailedExecution } from '../../lib/replay-executions';
import type { HistoryScenario } from './scenario';

export const replayRunScenario: HistoryScenario = {
  name: 'replay-run',
  settings: { ops: { replays: { pageSize: 1, itemsPerSecond: 20 } } },
  async run({ client, taskQueuePrefix, db, save }) {
    const sku = 'SKU-H-REPLAY-1';
    const event = { source: 'record-histories', id: 'evt-h-replay-1' };
    await db
      .insert(events)
      .values({
        ...event,
        type: 'inventory.stock_adjusted',
        typeVersion: 1,
        specVersion: '1.0',
        subject: sku,
        data: { sku, delta: 4, reason: 'history scenario' },
        correlationId: event.id,
      })
      .onConflictDoNothing();

    // a procurement that fails: its supplier is unknown
    const purchaseOrderId = 'PO-H-REPLAY-1';
    const supplierId = 'SUP-H-REPLAY-1';
    const workflowId = procurementWorkflowId(purchaseOrderId);
    const input: ProcurementInput = {
      purchaseOrderId,
      sku,
      quantity: 5,
      supplierId,
      leadTimeDays: 3,
      parentWorkflowId: 'sku-H-REPLAY-NONE',
    };
    const handle = await client.workflow.start(WORKFLOW_TYPES.procurement, {
      workflowId,
      taskQueue: workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.procurement),
      args: [input],
    });
    await handle.result().then(
      () => {
        throw new Error('the procurement was meant to fail');
      },
      (err: unknown) => {
        if (!(err instanceof WorkflowFailedError)) throw err;
      },
    );
    const { status, closeTime, type } = await handle.describe();
    const { target } = await describeFailedExecution(client, {
      workflowId,
      runId: handle.firstExecutionRunId,
      type,
      status,
      closeTime,
    });
    // the data fix: a supplier upsert stored (not yet applied), which the run applies first
    const fix = { source: 'record-histories', id: 'evt-h-replay-supplier' };
    await db
      .insert(events)
      .values({
        ...fix,
        type: 'supplier.upserted',
        typeVersion: 1,
        specVersion: '1.0',
        subject: supplierId,
        data: { supplierId, name: 'Glaswerk' },
        correlationId: fix.id,
      })
      .onConflictDoNothing();

    const planId = 'plan-history-replay-run';
    const runId = 'run-history-replay-run';
    const redrive: ReplayItem = {
      key: `event:${event.source}/${event.id}`,
      kind: 'redrive',
      why: 'never routed',
      target: {
        ...event,
        eventId: event.id,
        type: 'inventory.stock_adjusted',
        workflowId: `sku-${sku}`,
        routing: 'none',
      },
    };
    const items: ReplayItem[] = [
      {
        key: `event:${fix.source}/${fix.id}`,
        kind: 'redrive',
        why: 'master data: applied again',
        target: { ...fix, eventId: fix.id, type: 'supplier.upserted', workflowId: null, routing: 'none' },
      },
      redrive,
      { ...redrive, why: 'delivered; re-driving is harmless' },
      {
        key: `workflow:${workflowId}/${target.runId}`,
        kind: 'reset',
        why: 'failed (UnknownSupplier)',
        target: target as ReplayWorkflowTarget,
      },
    ];
    await insertPlan(
      db,
      {
        id: planId,
        createdBy: 'record-histories',
        predicate: { workflowStatus: ['failed'] },
        counts: { matched: 4, redrive: 3, reset: 1, skipped: 0 },
        expiresAt: new Date(Date.now() + 3_600_000),
      },
      items,
    );
    const total = await planItemCount(db, planId);
    const replayWorkflowId = replayRunWorkflowId(runId);
    await db
      .insert(replayRuns)
      .values({ id: runId, planId, startedBy: 'record-histories', total, workflowId: replayWorkflowId });
    const args: ReplayRunInput = { runId, planId, total };
    await client.workflow.execute(WORKFLOW_TYPES.replayRun, {
      taskQueue: workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.replayRun),
      workflowId: replayWorkflowId,
      args: [args],
    });
    // the reset procurement and the SKU's workflow go on waiting; not part of this scenario
    for (const id of [workflowId, `sku-${sku}`]) {
      await client.workflow
        .getHandle(id)
        .terminate('history scenario done')
        .catch(() => undefined);
    }
    return save(replayWorkflowId, 'replay-run');
  },
};
