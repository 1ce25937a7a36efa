/**
 * The API's Prometheus metrics: events by type and outcome, routing latency, and gauges read from
 * the database when scraped (pending routes, outbox lag, failed deliveries).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sql } from 'drizzle-orm';
import { eventCatalogue } from '../domain/events/catalogue';
import type { Db } from '../db/client';

export type EventOutcome = 'accepted' | 'duplicate' | 'rejected';
export type RoutingOutcome = 'delivered' | 'pending';

export interface ApiMetrics {
  registry: Registry;
  countEvent(type: unknown, outcome: EventOutcome): void;
  observeRouting(seconds: number, outcome: RoutingOutcome): void;
}

/** Label values stay bounded: a type the catalogue does not know is counted as `unknown`. */
const typeLabel = (type: unknown): string =>
  typeof type === 'string' && Object.prototype.hasOwnProperty.call(eventCatalogue, type) ? type : 'unknown';

export function createApiMetrics(db: Db, opts: { defaultMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'erp_api_' });
  const events = new Counter({
    name: 'erp_events_total',
    help: 'Events received, by type and outcome (accepted, duplicate, rejected).',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const routing = new Histogram({
    name: 'erp_routing_duration_seconds',
    help: 'Time to deliver one event to its workflow (signal-with-start), by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'erp_routes_pending',
    help: 'Stored events still waiting to be routed to their workflow.',
    registers: [registry],
    async collect() {
      const r = await db.execute<{ n: string }>(
        sql`select count(*)::text as n from event_routes where status = 'pending'`,
      );
      this.set(Number(r.rows[0]?.n ?? 0));
    },
  });
  new Gauge({
    name: 'erp_routes_oldest_pending_seconds',
    help: 'Age of the oldest event still waiting to be routed (0 when none).',
    registers: [registry],
    async collect() {
      const r = await db.execute<{ s: string | null }>(
        sql`select extract(epoch from now() - min(created_at))::text as s from event_routes where status = 'pending'`,
      );
      this.set(Number(r.rows[0]?.s ?? 0));
    },
  });
  new Gauge({
    name: 'erp_outbox_lag_seconds',
    help: 'Age of the oldest outbox event with a delivery still pending (0 when none; failed ones are counted apart).',
    registers: [registry],
    async collect() {
      const r = await db.execute<{ s: string | null }>(
        sql`select extract(epoch from now() - min(o.created_at))::text as s
            from outbox o join outbox_deliveries d on d.outbox_id = o.id
            where d.status = 'pending'`,
      );
      this.set(Number(r.rows[0]?.s ?? 0));
    },
  });
  const failed = new Gauge({
    name: 'erp_outbox_deliveries_failed',
    help: 'Outbox deliveries that failed for good, by destination kind (webhook, kafka).',
    labelNames: ['destination'] as const,
    registers: [registry],
    async collect() {
      const r = await db.execute<{ kind: string; n: string }>(
        sql`select split_part(destination, ':', 1) as kind, count(*)::text as n
            from outbox_deliveries where status = 'failed' group by 1`,
      );
      failed.reset();
      for (const kind of ['webhook', 'kafka']) failed.set({ destination: kind }, 0);
      for (const row of r.rows) failed.set({ destination: row.kind }, Number(row.n));
    },
  });
  return {
    registry,
    countEvent: (type, outcome) => events.inc({ type: typeLabel(type), outcome }),
    observeRouting: (seconds, outcome) => routing.observe({ outcome }, seconds),
  };
}
