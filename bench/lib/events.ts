/** Generated events for the benchmark sections. */
import { randomUUID } from 'node:crypto';
import { planRoute, type RoutePlan, type StoredEvent } from '../../api/routing';

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  data: Record<string, unknown>;
}

export const BENCH_SOURCE = 'erp-bench';

/** A short id that makes this run's business keys (SKUs, payments) its own. */
export const runTag = (): string => randomUUID().slice(0, 8);

/** inventory.stock_adjusted: +delta for one SKU; routed to the SKU's workflow by signal-with-start. */
export function stockAdjusted(sku: string, delta = 1, id = randomUUID()): CloudEvent {
  return {
    specversion: '1.0',
    id,
    source: BENCH_SOURCE,
    type: 'inventory.stock_adjusted',
    subject: sku,
    time: new Date().toISOString(),
    data: { sku, delta, reason: 'benchmark' },
  };
}

/** payment.refunded: stored in the event store only (no workflow consumes it, no projection). */
export function paymentRefunded(n: number, tag: string, id = randomUUID()): CloudEvent {
  return {
    specversion: '1.0',
    id,
    source: BENCH_SOURCE,
    type: 'payment.refunded',
    subject: `PAY-${tag}-${n}`,
    time: new Date().toISOString(),
    data: {
      paymentId: `PAY-${tag}-${n}`,
      refundId: `REF-${tag}-${n}`,
      amount: 1250,
      currency: 'EUR',
      reason: 'benchmark',
      refundedAt: new Date().toISOString(),
    },
  };
}

/** The stored form of an event as the API hands it to its planner (correlation id: the event's id). */
export const asStored = (e: CloudEvent): StoredEvent => ({
  source: e.source,
  id: e.id,
  type: e.type,
  data: e.data,
  correlationId: e.id,
});

/** The API's own route plan for an event: the very call it makes (signal-with-start for stock). */
export function planFor(e: CloudEvent): RoutePlan {
  const plan = planRoute(asStored(e));
  if (!plan) throw new Error(`${e.type} has no route`);
  return plan;
}
