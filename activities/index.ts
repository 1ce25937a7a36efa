/** The activities, built by a factory from their dependencies. */
import type { Db } from '../db/client';
import type { BusinessSettings } from '../domain/settings';
import { createCrmActivities } from './crm';
import { createFinanceActivities } from './finance';
import { createInventoryActivities } from './inventory';
import { createInventorySweepActivities } from './inventory-sweep';
import { createSalesActivities } from './sales';
import { createProcurementActivities } from './procurement';
import { createReportActivities } from './reports';
import { createReconciliationBatchActivities } from './reconciliation-batch';
import { createReplayActivities } from './replays';
import { createSettingsActivities } from './settings';
import { createWebhookActivities } from './webhooks';
import { withCauses, withLineage } from './lineage';

export interface ActivityDeps {
  db: Db;
  settings: BusinessSettings;
  /**
   * The prefix of this worker's task queues, for activities that signal or start workflows (with
   * the worker's client, `Context.current().client`) on another domain's queue.
   */
  taskQueuePrefix: string;
}

export function createActivities(given: ActivityDeps) {
  // every transaction an activity opens records who wrote what (lineage, activities/lineage.ts)
  const deps = { ...given, db: withLineage(given.db) };
  return withCauses({
    ...createSettingsActivities(deps),
    ...createInventoryActivities(deps),
    ...createSalesActivities(deps),
    ...createProcurementActivities(deps),
    ...createCrmActivities(deps),
    ...createWebhookActivities(deps),
    ...createFinanceActivities(deps),
    ...createInventorySweepActivities(deps),
    ...createReportActivities(deps),
    ...createReconciliationBatchActivities(deps),
    ...createReplayActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
