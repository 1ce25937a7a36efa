/** The CloudEvents 1.0 envelope of an outbox row, the same shape inbound events use (no I/O). */
import type { CloudEventEnvelope } from './envelope';
import { OUTBOUND_SOURCE } from './outbound';

export interface OutboxEventRow {
  id: string;
  aggregateType: string;
  aggregateId: string;
  type: string;
  payload: unknown;
  correlationId: string;
  createdAt: Date;
}

/** id = outbox id (the consumer's dedupe key), subject = aggregate id, time = when it was written. */
export function outboundEnvelope(row: OutboxEventRow): CloudEventEnvelope & { aggregatetype: string } {
  return {
    specversion: '1.0',
    id: row.id,
    source: OUTBOUND_SOURCE,
    type: row.type,
    subject: row.aggregateId,
    time: row.createdAt.toISOString(),
    datacontenttype: 'application/json',
    correlationid: row.correlationId,
    /** Extension attribute: what the subject is (order, payment, sku, ...). */
    aggregatetype: row.aggregateType,
    data: row.payload,
  };
}
