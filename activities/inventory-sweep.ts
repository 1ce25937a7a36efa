/**
 * The safety-net stock sweep's activities: one set-based query per page finds SKUs at or below
 * their reorder point with no open purchase order, and each one's workflow is asked to re-check.
 */
import { Context, log } from '@temporalio/activity';
import { sql } from 'drizzle-orm';
import { reorderCheckRequestedSignal, type EventRef } from '../domain/inventory';
import { inventoryWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../domain/names';
import { OPEN_PURCHASE_ORDER_STATUSES } from '../domain/procurement';
import type { SweepCandidate } from '../domain/reports';
import type { Db } from '../db/client';
import { signalWithStartKeyed } from '../lib/temporal';
import type { ActivityDeps } from './index';

/** Signals sent at once while asking a page of SKU workflows to re-check. */
const SIGNAL_CONCURRENCY = 8;

/**
 * SKUs after `afterSku` (keyset, SKU order) whose projected stock (on hand − reserved + on order) is
 * at or below their reorder point and that have no open purchase order (so nothing is on order):
 * the same notion of projected stock the SKU's workflow uses (domain/inventory.ts projectedStock).
 */
export async function skusNeedingReorder(db: Db, afterSku: string, limit: number): Promise<SweepCandidate[]> {
  const open = sql.join(
    OPEN_PURCHASE_ORDER_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  );
  const { rows } = await db.execute<{
    sku: string;
    projected: number;
    reorder_point: number;
    supplier_known: boolean;
  }>(sql`
    select r.sku,
           coalesce(s.on_hand, 0) - coalesce(s.reserved, 0) as projected,
           r.reorder_point,
           exists (select 1 from suppliers su
                    where su.supplier_id = coalesce(r.supplier_id, p.supplier_id)) as supplier_known
      from reorder_settings r
      left join stock_levels s on s.sku = r.sku
      left join products p on p.sku = r.sku
     where r.sku > ${afterSku}
       and coalesce(s.on_hand, 0) - coalesce(s.reserved, 0) <= r.reorder_point
       and not exists (
             select 1
               from purchase_order_lines l
               join purchase_orders po on po.purchase_order_id = l.purchase_order_id
              where l.sku = r.sku and po.status in (${open}))
     order by r.sku
     limit ${limit}`);
  return rows.map((r) => ({
    sku: r.sku,
    projected: Number(r.projected),
    reorderPoint: Number(r.reorder_point),
    supplierKnown: r.supplier_known,
  }));
}

export function createInventorySweepActivities({ db, taskQueuePrefix }: ActivityDeps) {
  return {
    /** One page of SKUs the sweep must re-check (read only). */
    async findSkusNeedingReorder(input: { afterSku: string; limit: number }): Promise<SweepCandidate[]> {
      return skusNeedingReorder(db, input.afterSku, input.limit);
    },

    /**
     * Signal-with-start of each SKU's workflow with reorderCheckRequested. Idempotent: the workflow
     * ignores a second signal with the same cause (this sweep run), so a retry re-checks nothing twice.
     */
    async requestReorderChecks(input: { skus: string[]; cause: EventRef }): Promise<{ signalled: number }> {
      const ctx = Context.current();
      const taskQueue = workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.inventoryItem);
      let signalled = 0;
      for (let i = 0; i < input.skus.length; i += SIGNAL_CONCURRENCY) {
        const chunk = input.skus.slice(i, i + SIGNAL_CONCURRENCY);
        await Promise.all(
          chunk.map((sku) =>
            signalWithStartKeyed(ctx.client, {
              type: WORKFLOW_TYPES.inventoryItem,
              workflowId: inventoryWorkflowId(sku),
              taskQueue,
              args: [{ sku }],
              signal: reorderCheckRequestedSignal,
              signalArgs: [{ sku, cause: input.cause }],
            }),
          ),
        );
        signalled += chunk.length;
        ctx.heartbeat(signalled);
      }
      log.info('sweep asked SKU workflows to re-check their reorder rule', {
        signalled,
        correlationId: input.cause.correlationId,
      });
      return { signalled };
    },
  };
}
