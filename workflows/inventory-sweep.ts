/**
 * The hourly safety-net stock sweep (Schedule inventory-sweep): pages through SKUs at or below their
 * reorder point with no open purchase order (one set-based query per page) and asks each one's
 * workflow to reload its stock and run its reorder rule, so a lost event cannot leave a shelf empty.
 * The SKU's workflow decides and orders; the sweep never creates a purchase order itself.
 */
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  DEFAULT_SWEEP_PAGE_SIZE,
  SWEEP_SKUS_LISTED,
  type InventorySweepInput,
  type InventorySweepResult,
} from '../domain/reports';
import { ACTIVITY_PRESETS } from './presets';

const { findSkusNeedingReorder } = proxyActivities<Activities>({
  ...ACTIVITY_PRESETS.short,
  startToCloseTimeout: '1 minute',
});
// a page of signals: heartbeats after every few, so a stuck call is noticed well before the timeout
const { requestReorderChecks } = proxyActivities<Activities>({
  ...ACTIVITY_PRESETS.short,
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
});

/** The safety-net sweep (id: the schedule's, plus its scheduled time). */
export async function inventorySweepWorkflow(input: InventorySweepInput = {}): Promise<InventorySweepResult> {
  const pageSize = Math.max(1, Math.min(input.pageSize ?? DEFAULT_SWEEP_PAGE_SIZE, 5000));
  const { workflowId, runId } = workflowInfo();
  // one cause per sweep run: a SKU workflow ignores the same run's request twice (activity retry)
  const cause = {
    source: 'schedule/inventory-sweep',
    id: `${workflowId}/${runId}`,
    correlationId: workflowId,
  };
  const result: InventorySweepResult = {
    found: 0,
    signalled: 0,
    withoutSupplier: 0,
    pages: 0,
    skus: [],
    skusWithoutSupplier: [],
  };
  let afterSku = '';
  for (;;) {
    const page = await findSkusNeedingReorder({ afterSku, limit: pageSize });
    result.pages++;
    if (page.length === 0) break;
    const { signalled } = await requestReorderChecks({ skus: page.map((c) => c.sku), cause });
    result.found += page.length;
    result.signalled += signalled;
    for (const c of page) {
      if (result.skus.length < SWEEP_SKUS_LISTED) result.skus.push(c.sku);
      if (!c.supplierKnown) {
        result.withoutSupplier++;
        if (result.skusWithoutSupplier.length < SWEEP_SKUS_LISTED) result.skusWithoutSupplier.push(c.sku);
      }
    }
    if (page.length < pageSize) break;
    afterSku = page[page.length - 1]?.sku ?? afterSku;
  }
  log.info('inventory sweep done', {
    found: result.found,
    signalled: result.signalled,
    withoutSupplier: result.withoutSupplier,
  });
  return result;
}
