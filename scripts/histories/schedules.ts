/**
 * The scheduled batch workflows. inventorySweepWorkflow, in pages of one: a SKU whose workflow never
 * ran and one whose workflow missed the change that emptied its shelf are found and signalled; the
 * second's workflow (saved too) reloads from Postgres and starts a procurement. receivablesAgeingReportWorkflow: run by a
 * real schedule's backfill for a past day, so its history carries TemporalScheduledStartTime.
 */
import {
  inventoryWorkflowId,
  procurementWorkflowId,
  SCHEDULE_IDS,
  WORKFLOW_TYPES,
  workflowTaskQueue,
} from '../../domain/names';
import { eq } from 'drizzle-orm';
import { sendStockChange } from '../../api/planners/inventory';
import { stockLevels } from '../../db/schema';
import { inventoryStateQuery, purchaseOrderIdFor, type StockChange } from '../../domain/inventory';
import { eventually } from '../../test/support/harness';
import { deleteSchedules, registerSchedules, scheduleDefinition } from '../../workers/schedules';
import type { HistoryScenario } from './scenario';
import { seedReorderRule } from './reorder-fixtures';

export const inventorySweepScenario: HistoryScenario = {
  name: 'inventory-sweep',
  async run({ client, taskQueuePrefix, db, save }) {
    // A: its workflow never ran; B: its workflow runs but missed the change that emptied the shelf
    const [a, b] = ['SKU-HISTORY-SWEEP-A', 'SKU-HISTORY-SWEEP-B'] as const;
    for (const sku of [a, b]) {
      await seedReorderRule(db, sku, {
        reorderPoint: 4,
        orderUpTo: 12,
        packMultiple: 1,
        minOrderQuantity: 1,
      });
    }
    const change: StockChange = {
      sku: b,
      delta: 20,
      reason: 'history scenario',
      cause: { source: 'record-histories', id: `evt-${b}`, correlationId: 'history-scenario' },
    };
    await sendStockChange(
      client,
      workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.inventoryItem),
      { sku: b },
      change,
    );
    await eventually(async () => {
      const state = await client.workflow.getHandle(inventoryWorkflowId(b)).query(inventoryStateQuery);
      return state.onHand === 20 && state.pending === 0 ? true : undefined;
    });
    await db.update(stockLevels).set({ onHand: 1 }).where(eq(stockLevels.sku, b));

    const workflowId = 'history-inventory-sweep';
    await client.workflow.execute(WORKFLOW_TYPES.inventorySweep, {
      workflowId,
      taskQueue: workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.inventorySweep),
      args: [{ pageSize: 1 }],
    });
    for (const sku of [a, b]) {
      const procurement = client.workflow.getHandle(procurementWorkflowId(purchaseOrderIdFor(sku, 1)));
      await eventually(async () => ((await procurement.describe()) ? true : undefined));
      await client.workflow.getHandle(inventoryWorkflowId(sku)).terminate('history recorded');
      await procurement.terminate('history recorded');
    }
    return [
      ...(await save(workflowId, 'inventory-sweep')),
      ...(await save(inventoryWorkflowId(b), 'inventory-item-reorder-check')),
    ];
  },
};

export const receivablesAgeingReportScenario: HistoryScenario = {
  name: 'receivables-ageing-report',
  async run({ client, taskQueuePrefix, save }) {
    const target = { taskQueuePrefix, idPrefix: `${taskQueuePrefix}-` };
    const definition = scheduleDefinition(SCHEDULE_IDS.receivablesAgeingReport);
    await registerSchedules(client, target, { definitions: [definition] });
    const schedule = client.schedule.getHandle(`${target.idPrefix}${definition.scheduleId}`);
    try {
      const day = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
      await schedule.backfill({
        start: new Date(`${day}T00:00:00Z`),
        end: new Date(`${day}T23:00:00Z`),
        overlap: 'ALLOW_ALL',
      });
      const workflowId = await eventually(async () => {
        const d = await schedule.describe();
        return d.info.recentActions[0]?.action.workflow.workflowId;
      });
      await client.workflow.getHandle(workflowId).result();
      return save(workflowId, 'receivables-ageing-report');
    } finally {
      await deleteSchedules(client, target);
    }
  },
};
