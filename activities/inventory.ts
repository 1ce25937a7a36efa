/** Inventory activities: stock changes applied to Postgres, once per causing event. */
import { log } from '@temporalio/activity';
import { eq, sql } from 'drizzle-orm';
import type { StockChange, StockChangeOutcome } from '../domain/inventory';
import { idempotencyRecords, stockLevels, stockMovements } from '../db/schema';
import type { ActivityDeps } from './index';

export const stockChangeKey = (change: StockChange): string =>
  `stock-change/${change.cause.source}/${change.cause.id}`;

export function createInventoryActivities({ db }: ActivityDeps) {
  return {
    /**
     * Applies one stock change. Idempotent: the causing event is the key (a unique record written in
     * the same transaction as the effect), so a retry or a re-delivered event returns the first
     * outcome and changes nothing. A change that would make stock negative is rejected, not applied.
     */
    async applyStockChange(change: StockChange): Promise<StockChangeOutcome> {
      const key = stockChangeKey(change);
      const cause = {
        sku: change.sku,
        eventSource: change.cause.source,
        eventId: change.cause.id,
        correlationId: change.cause.correlationId,
      };
      const result = await db.transaction(async (tx) => {
        const [prior] = await tx.select().from(idempotencyRecords).where(eq(idempotencyRecords.key, key));
        if (prior) return { outcome: prior.outcome as StockChangeOutcome, repeated: true };

        await tx.insert(stockLevels).values({ sku: change.sku }).onConflictDoNothing();
        const [level] = await tx
          .select()
          .from(stockLevels)
          .where(eq(stockLevels.sku, change.sku))
          .for('update');
        const current = level?.onHand ?? 0;
        const delta = change.delta ?? (change.quantity ?? current) - current;
        const next = current + delta;

        let outcome: StockChangeOutcome;
        if (next < 0 || next < (level?.reserved ?? 0)) {
          outcome = {
            status: 'rejected',
            onHand: current,
            reason: `would leave ${next} on hand with ${level?.reserved ?? 0} reserved`,
          };
        } else {
          await tx
            .update(stockLevels)
            .set({ onHand: next, updatedAt: sql`now()` })
            .where(eq(stockLevels.sku, change.sku));
          await tx.insert(stockMovements).values({
            sku: change.sku,
            delta,
            onHandAfter: next,
            reason: change.reason,
            causationSource: change.cause.source,
            causationId: change.cause.id,
            correlationId: change.cause.correlationId,
          });
          outcome = { status: 'applied', onHand: next };
        }
        await tx.insert(idempotencyRecords).values({
          key,
          scope: 'applyStockChange',
          outcome,
          causationSource: change.cause.source,
          causationId: change.cause.id,
        });
        return { outcome, repeated: false };
      });
      log.info(result.repeated ? 'stock change already applied' : `stock change ${result.outcome.status}`, {
        ...cause,
        onHand: result.outcome.onHand,
      });
      return result.outcome;
    },
  };
}
