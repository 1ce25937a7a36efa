/**
 * Writing domain events to the outbox, inside the transaction of the change they announce: a
 * rolled-back change leaves no event. Written once per idempotency key, so an activity's retry
 * does not announce twice.
 */
import { causeColumns } from '../schema/columns';
import { eq } from 'drizzle-orm';
import type { Tx } from '../client';
import { outbox } from '../schema';
import type { AggregateType, OutboundEventType } from '../../domain/events/outbound';

export interface OutboundEvent {
  aggregateType: AggregateType;
  aggregateId: string;
  type: OutboundEventType;
  /** The CloudEvents `data`. */
  payload: Record<string, unknown>;
  /** Unique per announced fact, e.g. `order.invoiced/O-1`; a second write with it is a no-op. */
  idempotencyKey: string;
  /** The event that caused it (absent for a schedule or an operator), and the flow's correlation id. */
  cause: { source?: string; id?: string; correlationId: string };
}

/** Appends one event (or finds the one written before with the same key); returns its id. */
export async function appendOutbox(tx: Tx, event: OutboundEvent): Promise<{ id: string; created: boolean }> {
  const [row] = await tx
    .insert(outbox)
    .values({
      aggregateType: event.aggregateType,
      aggregateId: event.aggregateId,
      type: event.type,
      payload: event.payload,
      idempotencyKey: event.idempotencyKey,
      ...causeColumns(event.cause),
    })
    .onConflictDoNothing({ target: outbox.idempotencyKey })
    .returning({ id: outbox.id });
  if (row) return { id: row.id, created: true };
  const [prior] = await tx
    .select({ id: outbox.id })
    .from(outbox)
    .where(eq(outbox.idempotencyKey, event.idempotencyKey));
  if (!prior) throw new Error(`outbox row ${event.idempotencyKey} neither inserted nor found`);
  return { id: prior.id, created: false };
}
