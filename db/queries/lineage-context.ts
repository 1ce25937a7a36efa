/**
 * The `erp.lineage` transaction setting the lineage row trigger reads (custom migration 0016): who
 * writes in this transaction (activity, workflow run) and because of which event.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../client';

/** What the row trigger records about the writer of a change (keys as the trigger reads them). */
export interface LineageContext {
  causationSource?: string;
  causationId?: string;
  correlationId?: string;
  workflowId?: string;
  runId?: string;
  activityType?: string;
  activityAttempt?: number;
}

/** Sets `erp.lineage` until the end of the transaction `tx`. */
export async function setLineage(tx: Pick<Tx, 'execute'>, lineage: LineageContext): Promise<void> {
  await tx.execute(sql`select set_config('erp.lineage', ${JSON.stringify(lineage)}, true)`);
}
