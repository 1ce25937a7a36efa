/**
 * The rows a lineage answer is built from, all recorded as things happened: the flows (correlation
 * ids) a business key or an event belongs to, and per flow its events with their routes, the
 * effects the lineage trigger recorded, the outbox rows and their deliveries.
 */
import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import {
  eventRoutes,
  events,
  lineageEffects,
  outbox,
  outboxDeliveries,
  webhookSubscriptions,
  type EventRouteRow,
  type EventRow,
  type LineageEffectRow,
  type OutboxDeliveryRow,
  type OutboxRow,
} from '../schema';
import {
  inventoryWorkflowId,
  orderWorkflowId,
  paymentReconciliationWorkflowId,
  ticketWorkflowId,
} from '../../domain/names';

/** What a lineage question names: one event, one business key, or one flow. */
export type LineageSelector =
  | { source: string; eventId: string }
  | { orderId: string }
  | { sku: string }
  | { paymentId: string }
  | { ticketId: string }
  | { correlationId: string };

/** A business key touches at most this many flows in an answer (the latest ones). */
export const MAX_CORRELATION_IDS = 50;
/** An answer holds at most this many effects (the first ones). */
export const MAX_EFFECTS = 5000;

/**
 * The flows a selector names, latest first, or null when it names nothing. An event: its own flow.
 * A business key: the flows of its rows (their correlation ids), of the events routed to its
 * workflow, and of every change its workflow's activities made (so a payment that paid an order
 * joins the order's lineage, through the effect it caused in the order's workflow).
 */
export async function correlationIdsOf(db: Db, selector: LineageSelector): Promise<string[] | null> {
  if ('correlationId' in selector) {
    const id = selector.correlationId;
    const found = await db.execute<{ found: boolean }>(sql`select
      exists (select 1 from ${events} where ${events.correlationId} = ${id})
      or exists (select 1 from ${lineageEffects} where ${lineageEffects.correlationId} = ${id})
      or exists (select 1 from ${outbox} where ${outbox.correlationId} = ${id}) as found`);
    return found.rows[0]?.found ? [id] : null;
  }
  if ('eventId' in selector) {
    const [row] = await db
      .select({ correlationId: events.correlationId })
      .from(events)
      .where(and(eq(events.source, selector.source), eq(events.id, selector.eventId)));
    return row ? [row.correlationId] : null;
  }
  const { workflowId, rows, exists } = keyedSources(selector);
  const flows = sql.join(
    [
      ...rows,
      sql`select ${events.correlationId} as c, ${events.receivedAt} as at from ${eventRoutes}
          join ${events} on ${events.source} = ${eventRoutes.eventSource} and ${events.id} = ${eventRoutes.eventId}
          where ${eventRoutes.workflowId} = ${workflowId}`,
      sql`select ${lineageEffects.correlationId} as c, ${lineageEffects.at} as at from ${lineageEffects}
          where ${lineageEffects.workflowId} = ${workflowId}`,
    ],
    sql` union all `,
  );
  const found = await db.execute<{ c: string | null; at: string | null }>(
    sql`select c, max(at) as at from (${flows}) f group by c order by max(at) desc nulls last limit ${MAX_CORRELATION_IDS + 1}`,
  );
  const ids = found.rows.map((r) => r.c).filter((c): c is string => c !== null);
  if (ids.length > 0) return ids.slice(0, MAX_CORRELATION_IDS);
  // a key that exists but whose rows carry no flow still names something (an empty lineage)
  const known = await db.execute<{ found: boolean }>(sql`select exists (${exists}) as found`);
  return known.rows[0]?.found ? [] : null;
}

/** For a business key: its workflow, the queries of (correlation id, time) of its rows, and whether it exists. */
function keyedSources(selector: Exclude<LineageSelector, { correlationId: string } | { eventId: string }>): {
  workflowId: string;
  rows: SQL[];
  exists: SQL;
} {
  const flowOf = (table: string, where: string, value: string, at = 'created_at') =>
    sql`select correlation_id as c, ${sql.raw(at)} as at from ${sql.raw(table)} where ${sql.raw(where)} = ${value}`;
  if ('orderId' in selector) {
    const id = selector.orderId;
    return {
      workflowId: orderWorkflowId(id),
      rows: [
        flowOf('sales_orders', 'order_id', id, 'updated_at'),
        flowOf('invoices', 'order_id', id, 'updated_at'),
        flowOf('reservations', 'order_id', id, 'updated_at'),
        flowOf('credit_notes', 'order_id', id),
        flowOf('refunds', 'order_id', id),
        sql`select a.correlation_id as c, a.updated_at as at from payment_allocations a
            join invoices i on i.invoice_number = a.invoice_number where i.order_id = ${id}`,
      ],
      exists: sql`select 1 from sales_orders where order_id = ${id}`,
    };
  }
  if ('paymentId' in selector) {
    const id = selector.paymentId;
    return {
      workflowId: paymentReconciliationWorkflowId(id),
      rows: [
        flowOf('payments', 'payment_id', id, 'updated_at'),
        flowOf('payment_allocations', 'payment_id', id, 'updated_at'),
        flowOf('refunds', 'payment_id', id),
      ],
      exists: sql`select 1 from payments where payment_id = ${id}`,
    };
  }
  if ('ticketId' in selector) {
    const id = selector.ticketId;
    return {
      workflowId: ticketWorkflowId(id),
      rows: [
        flowOf('crm_tickets', 'ticket_id', id, 'updated_at'),
        flowOf('crm_tasks', 'ticket_id', id, 'updated_at'),
        flowOf('crm_interactions', 'ticket_id', id),
      ],
      exists: sql`select 1 from crm_tickets where ticket_id = ${id}`,
    };
  }
  const sku = selector.sku;
  return {
    workflowId: inventoryWorkflowId(sku),
    rows: [
      flowOf('stock_movements', 'sku', sku),
      flowOf('reservations', 'sku', sku, 'updated_at'),
      flowOf('products', 'sku', sku, 'updated_at'),
      flowOf('reorder_settings', 'sku', sku, 'updated_at'),
      sql`select po.correlation_id as c, po.updated_at as at from purchase_orders po
          join purchase_order_lines l on l.purchase_order_id = po.purchase_order_id where l.sku = ${sku}`,
    ],
    exists: sql`select 1 from stock_levels where sku = ${sku} union all select 1 from products where sku = ${sku}`,
  };
}

export interface LineageRows {
  events: { event: EventRow; route: EventRouteRow | null }[];
  effects: LineageEffectRow[];
  outbox: OutboxRow[];
  deliveries: (OutboxDeliveryRow & { webhookUrl: string | null })[];
}

/** Everything recorded for these flows, each kind in the order it happened. */
export async function lineageRows(db: Db, correlationIds: string[]): Promise<LineageRows> {
  if (correlationIds.length === 0) return { events: [], effects: [], outbox: [], deliveries: [] };
  const [eventRows, effects, outboxRows] = await Promise.all([
    db
      .select({ event: events, route: eventRoutes })
      .from(events)
      .leftJoin(
        eventRoutes,
        and(eq(eventRoutes.eventSource, events.source), eq(eventRoutes.eventId, events.id)),
      )
      .where(inArray(events.correlationId, correlationIds))
      .orderBy(asc(events.seq)),
    db
      .select()
      .from(lineageEffects)
      .where(inArray(lineageEffects.correlationId, correlationIds))
      .orderBy(asc(lineageEffects.id))
      .limit(MAX_EFFECTS),
    db.select().from(outbox).where(inArray(outbox.correlationId, correlationIds)).orderBy(asc(outbox.seq)),
  ]);
  const deliveries = outboxRows.length
    ? await db
        .select({ delivery: outboxDeliveries, webhookUrl: webhookSubscriptions.url })
        .from(outboxDeliveries)
        .leftJoin(
          webhookSubscriptions,
          sql`${outboxDeliveries.destination} = 'webhook:' || ${webhookSubscriptions.id}::text`,
        )
        .where(
          inArray(
            outboxDeliveries.outboxId,
            outboxRows.map((o) => o.id),
          ),
        )
        .orderBy(asc(outboxDeliveries.createdAt))
    : [];
  return {
    events: eventRows,
    effects,
    outbox: outboxRows,
    deliveries: deliveries.map((d) => ({ ...d.delivery, webhookUrl: d.webhookUrl })),
  };
}
