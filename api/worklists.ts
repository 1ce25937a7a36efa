/**
 * Lists for people and dashboards: orders by status, purchase orders awaiting confirmation or late,
 * tickets in or near SLA breach, SKUs at or below their reorder point, and event statistics (events
 * per minute by type, routing latency). Each list is newest first (the stock list by SKU), answers
 * `{ items, total, nextCursor }` like the reconciliation exceptions, and is read-only.
 */
import { Router } from 'express';
import { and, asc, eq, inArray, isNotNull, lte, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { msToNumber } from '@temporalio/common';
import { idSchema, skuSchema } from '../domain/events/primitives';
import { OPEN_PURCHASE_ORDER_STATUSES } from '../domain/procurement';
import {
  crmTickets,
  eventRoutes,
  events,
  PURCHASE_ORDER_STATUSES,
  purchaseOrderLines,
  purchaseOrders,
  reorderSettings,
  SALES_ORDER_STATUSES,
  salesOrders,
  stockLevels,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
} from '../db/schema';
import type { AppDeps } from './app';
import { newestFirst } from './paging';
import { parseOr400 } from './problem';

const MAX_LIST = 500;
const limitSchema = z.coerce.number().int().min(1).max(MAX_LIST).default(50);
const cursorSchema = z.string().max(300).optional().meta({ description: 'nextCursor of the previous page.' });

/** Tickets no longer waiting on anyone: their SLA clocks have stopped. */
const SETTLED_TICKET_STATUSES = ['resolved', 'closed'] as const;
/** Purchase orders still waiting for the supplier's confirmation. */
const UNCONFIRMED_PO_STATUSES = ['draft', 'sent'] as const;
/** Purchase orders whose goods are still expected. */
const EXPECTED_PO_STATUSES = ['sent', 'confirmed', 'partially_received'] as const;

export const orderListQuerySchema = z
  .object({
    status: z.enum(SALES_ORDER_STATUSES).optional(),
    customerId: idSchema.optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .meta({ id: 'OrderListQuery' });

export const purchaseOrderListQuerySchema = z
  .object({
    status: z.enum(PURCHASE_ORDER_STATUSES).optional(),
    awaitingConfirmation: z
      .enum(['true', 'false'])
      .optional()
      .meta({ description: 'true: draft or sent, not yet confirmed by the supplier.' }),
    late: z.enum(['true', 'false']).optional().meta({
      description:
        'true: goods still expected past the expected date plus inventory.lateDeliveryGrace; false: not late.',
    }),
    sku: skuSchema.optional(),
    supplierId: idSchema.optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .meta({ id: 'PurchaseOrderListQuery' });

export const SLA_STATES = ['breached', 'near', 'ok'] as const;

export const ticketListQuerySchema = z
  .object({
    slaState: z
      .enum([...SLA_STATES, 'breachedOrNear'])
      .optional()
      .meta({
        description:
          'breached: the running SLA deadline (first response, else resolution) has passed; near: it falls ' +
          'within nearWithinMinutes; breachedOrNear: either. Resolved and closed tickets are never in breach.',
      }),
    nearWithinMinutes: z.coerce.number().int().min(1).max(10_080).default(60),
    status: z.enum(TICKET_STATUSES).optional(),
    priority: z.enum(TICKET_PRIORITIES).optional(),
    customerId: idSchema.optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .meta({ id: 'TicketListQuery' });

export const inventoryListQuerySchema = z
  .object({
    atOrBelowReorderPoint: z
      .enum(['true', 'false'])
      .optional()
      .meta({ description: 'true: available (on hand − reserved) ≤ the reorder point.' }),
    limit: limitSchema,
    cursor: z.string().max(300).optional().meta({ description: 'nextCursor of the previous page (a SKU).' }),
  })
  .strict()
  .meta({ id: 'InventoryListQuery' });

export const eventStatsQuerySchema = z
  .object({
    minutes: z.coerce
      .number()
      .int()
      .min(1)
      .max(1440)
      .default(60)
      .meta({ description: 'How far back from now (default 60).' }),
  })
  .strict()
  .meta({ id: 'EventStatsQuery' });

/** Upper bounds (ms) of the routing latency histogram; the last bucket is open. */
export const LATENCY_BUCKETS_MS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000] as const;

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function worklistsRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;

  /** Orders, newest first, by status and customer (an operator's inbox: status=on_credit_hold). */
  router.get('/v1/orders', async (req, res) => {
    const q = parseOr400(orderListQuerySchema, req.query);
    const filters: SQL[] = [];
    if (q.status) filters.push(eq(salesOrders.status, q.status));
    if (q.customerId) filters.push(eq(salesOrders.customerId, q.customerId));
    const paging = newestFirst(salesOrders.createdAt, salesOrders.orderId, q);
    const [rows, [count]] = await Promise.all([
      db
        .select({ row: salesOrders, at: paging.atText })
        .from(salesOrders)
        .where(and(...filters, paging.after))
        .orderBy(...paging.orderBy)
        .limit(paging.fetch),
      db
        .select({ n: sql<number>`count(*)::int` })
        .from(salesOrders)
        .where(and(...filters)),
    ]);
    const { items, nextCursor } = paging.page(rows, (r) => [r.at, r.row.orderId]);
    res.json({
      items: items.map(({ row }) => ({
        orderId: row.orderId,
        customerId: row.customerId,
        status: row.status,
        statusReason: row.statusReason,
        currency: row.currency,
        total: row.total,
        amountPaid: row.amountPaid,
        createdAt: row.createdAt.toISOString(),
        updatedAt: row.updatedAt.toISOString(),
        links: { self: `/v1/orders/${encodeURIComponent(row.orderId)}` },
      })),
      total: count?.n ?? 0,
      nextCursor,
    });
  });

  /** Purchase orders, newest first: by status, awaiting the supplier's confirmation, or late. */
  router.get('/v1/purchase-orders', async (req, res) => {
    const q = parseOr400(purchaseOrderListQuerySchema, req.query);
    const graceMs = msToNumber(deps.settings.inventory.lateDeliveryGrace);
    // one instant for the page and its total (they are two queries): both agree on what is late
    const asOf = new Date().toISOString();
    // late: the expected date has ended (its midnight after) more than the grace ago
    const lateSql = sql`(${purchaseOrders.status} in (${sql.join(
      EXPECTED_PO_STATUSES.map((s) => sql`${s}`),
      sql`, `,
    )}) and ${purchaseOrders.expectedDate} is not null and (${purchaseOrders.expectedDate} + 1)::timestamptz + make_interval(secs => ${graceMs / 1000}) < ${asOf}::timestamptz)`;
    const filters: SQL[] = [];
    if (q.status) filters.push(eq(purchaseOrders.status, q.status));
    if (q.awaitingConfirmation === 'true')
      filters.push(inArray(purchaseOrders.status, [...UNCONFIRMED_PO_STATUSES]));
    if (q.awaitingConfirmation === 'false')
      filters.push(
        sql`${purchaseOrders.status} not in (${sql.join(
          UNCONFIRMED_PO_STATUSES.map((s) => sql`${s}`),
          sql`, `,
        )})`,
      );
    if (q.late === 'true') filters.push(lateSql);
    if (q.late === 'false') filters.push(sql`not ${lateSql}`);
    if (q.sku) filters.push(eq(purchaseOrderLines.sku, q.sku));
    if (q.supplierId) filters.push(eq(purchaseOrders.supplierId, q.supplierId));
    const paging = newestFirst(purchaseOrders.createdAt, purchaseOrders.purchaseOrderId, q);
    // a purchase order with its first line (the SKU it was raised for)
    const firstLine = and(
      eq(purchaseOrderLines.purchaseOrderId, purchaseOrders.purchaseOrderId),
      eq(purchaseOrderLines.lineNo, 1),
    );
    const [rows, [count]] = await Promise.all([
      db
        .select({
          po: purchaseOrders,
          line: purchaseOrderLines,
          at: paging.atText,
          late: sql<boolean>`${lateSql}`,
        })
        .from(purchaseOrders)
        .innerJoin(purchaseOrderLines, firstLine)
        .where(and(...filters, paging.after))
        .orderBy(...paging.orderBy)
        .limit(paging.fetch),
      db
        .select({ n: sql<number>`count(*)::int` })
        .from(purchaseOrders)
        .innerJoin(purchaseOrderLines, firstLine)
        .where(and(...filters)),
    ]);
    const { items, nextCursor } = paging.page(rows, (r) => [r.at, r.po.purchaseOrderId]);
    res.json({
      items: items.map(({ po, line, late }) => ({
        purchaseOrderId: po.purchaseOrderId,
        supplierId: po.supplierId,
        sku: line.sku,
        quantity: line.quantity,
        received: line.received,
        status: po.status,
        expectedDate: po.expectedDate,
        late,
        sentAt: iso(po.sentAt),
        confirmedAt: iso(po.confirmedAt),
        createdAt: po.createdAt.toISOString(),
        links: {
          self: `/v1/purchase-orders/${encodeURIComponent(po.purchaseOrderId)}`,
          sku: `/v1/inventory/${encodeURIComponent(line.sku)}`,
        },
      })),
      total: count?.n ?? 0,
      nextCursor,
    });
  });

  /** Tickets, newest first, by SLA state (breached, near), status, priority or customer. */
  router.get('/v1/tickets', async (req, res) => {
    const q = parseOr400(ticketListQuerySchema, req.query);
    // the running deadline: first response until there is one, then resolution
    const dueSql = sql`case when ${crmTickets.firstRespondedAt} is null then ${crmTickets.firstResponseDueAt} else ${crmTickets.resolutionDueAt} end`;
    const settled = sql`${crmTickets.status} in (${sql.join(
      SETTLED_TICKET_STATUSES.map((s) => sql`${s}`),
      sql`, `,
    )})`;
    const nearSecs = q.nearWithinMinutes * 60;
    // one instant for the page and its total (they are two queries): both agree on the SLA state
    const asOf = new Date().toISOString();
    const stateSql = sql<
      (typeof SLA_STATES)[number]
    >`case when ${settled} then 'ok' when ${dueSql} <= ${asOf}::timestamptz then 'breached' when ${dueSql} <= ${asOf}::timestamptz + make_interval(secs => ${nearSecs}) then 'near' else 'ok' end`;
    const filters: SQL[] = [];
    if (q.slaState === 'breachedOrNear') filters.push(sql`${stateSql} in ('breached', 'near')`);
    else if (q.slaState) filters.push(sql`${stateSql} = ${q.slaState}`);
    if (q.status) filters.push(eq(crmTickets.status, q.status));
    if (q.priority) filters.push(eq(crmTickets.priority, q.priority));
    if (q.customerId) filters.push(eq(crmTickets.customerId, q.customerId));
    const paging = newestFirst(crmTickets.createdAt, crmTickets.ticketId, q);
    const [rows, [count]] = await Promise.all([
      db
        .select({
          row: crmTickets,
          at: paging.atText,
          slaState: stateSql,
          dueAt: sql<string>`(${dueSql})::text`,
        })
        .from(crmTickets)
        .where(and(...filters, paging.after))
        .orderBy(...paging.orderBy)
        .limit(paging.fetch),
      db
        .select({ n: sql<number>`count(*)::int` })
        .from(crmTickets)
        .where(and(...filters)),
    ]);
    const { items, nextCursor } = paging.page(rows, (r) => [r.at, r.row.ticketId]);
    res.json({
      items: items.map(({ row, slaState, dueAt }) => ({
        ticketId: row.ticketId,
        customerId: row.customerId,
        subject: row.subject,
        priority: row.priority,
        status: row.status,
        assignee: row.assignee,
        slaState,
        slaClock: row.firstRespondedAt ? 'resolution' : 'first_response',
        dueAt: new Date(dueAt).toISOString(),
        firstResponseDueAt: row.firstResponseDueAt.toISOString(),
        resolutionDueAt: row.resolutionDueAt.toISOString(),
        createdAt: row.createdAt.toISOString(),
        links: { self: `/v1/tickets/${encodeURIComponent(row.ticketId)}` },
      })),
      total: count?.n ?? 0,
      nextCursor,
    });
  });

  /** SKUs with a reorder rule, by SKU: stock, on order and open purchase orders; optionally only those at or below their reorder point. */
  router.get('/v1/inventory', async (req, res) => {
    const q = parseOr400(inventoryListQuerySchema, req.query);
    const available = sql<number>`(coalesce(${stockLevels.onHand}, 0) - coalesce(${stockLevels.reserved}, 0))`;
    const filters: SQL[] = [];
    if (q.atOrBelowReorderPoint === 'true') filters.push(lte(available, reorderSettings.reorderPoint));
    if (q.atOrBelowReorderPoint === 'false')
      filters.push(sql`${available} > ${reorderSettings.reorderPoint}`);
    const base = () =>
      db.select().from(reorderSettings).leftJoin(stockLevels, eq(stockLevels.sku, reorderSettings.sku));
    const page = q.cursor ? [...filters, sql`${reorderSettings.sku} > ${q.cursor}`] : filters;
    const [rows, [count]] = await Promise.all([
      base()
        .where(and(...page))
        .orderBy(asc(reorderSettings.sku))
        .limit(q.limit + 1),
      db
        .select({ n: sql<number>`count(*)::int` })
        .from(reorderSettings)
        .leftJoin(stockLevels, eq(stockLevels.sku, reorderSettings.sku))
        .where(and(...filters)),
    ]);
    const items = rows.slice(0, q.limit);
    const skus = items.map((r) => r.reorder_settings.sku);
    const open = skus.length
      ? await db
          .select({ po: purchaseOrders, line: purchaseOrderLines })
          .from(purchaseOrderLines)
          .innerJoin(purchaseOrders, eq(purchaseOrders.purchaseOrderId, purchaseOrderLines.purchaseOrderId))
          .where(
            and(
              inArray(purchaseOrderLines.sku, skus),
              inArray(purchaseOrders.status, [...OPEN_PURCHASE_ORDER_STATUSES]),
            ),
          )
          .orderBy(asc(purchaseOrders.createdAt))
      : [];
    const last = items[items.length - 1];
    res.json({
      items: items.map(({ reorder_settings: rule, stock_levels: level }) => {
        const pos = open.filter((o) => o.line.sku === rule.sku);
        const onHand = level?.onHand ?? 0;
        const reserved = level?.reserved ?? 0;
        return {
          sku: rule.sku,
          onHand,
          reserved,
          available: onHand - reserved,
          onOrder: pos.reduce((sum, { line }) => sum + Math.max(0, line.quantity - line.received), 0),
          atOrBelowReorderPoint: onHand - reserved <= rule.reorderPoint,
          reorderSettings: {
            reorderPoint: rule.reorderPoint,
            orderUpTo: rule.orderUpTo,
            packMultiple: rule.packMultiple,
            minOrderQuantity: rule.minOrderQuantity,
            leadTimeDays: rule.leadTimeDays,
            supplierId: rule.supplierId,
          },
          openPurchaseOrders: pos.map(({ po, line }) => ({
            purchaseOrderId: po.purchaseOrderId,
            quantity: line.quantity,
            received: line.received,
            status: po.status,
            expectedDate: po.expectedDate,
            links: { self: `/v1/purchase-orders/${encodeURIComponent(po.purchaseOrderId)}` },
          })),
          links: { self: `/v1/inventory/${encodeURIComponent(rule.sku)}` },
        };
      }),
      total: count?.n ?? 0,
      nextCursor: rows.length > q.limit && last ? last.reorder_settings.sku : null,
    });
  });

  /**
   * Event statistics of the last `minutes`: events received per minute by type, and the routing
   * latency (received → delivered to its workflow) as percentiles and a histogram.
   */
  router.get('/v1/stats/events', async (req, res) => {
    const q = parseOr400(eventStatsQuerySchema, req.query);
    const to = new Date();
    const from = new Date(to.getTime() - q.minutes * 60_000);
    const minute = sql<string>`to_char(date_trunc('minute', ${events.receivedAt}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:00"Z"')`;
    const latencyMs = sql<number>`extract(epoch from (${eventRoutes.routedAt} - ${events.receivedAt})) * 1000`;
    const [perMinute, [latency], histogram] = await Promise.all([
      db
        .select({ minute, type: events.type, count: sql<number>`count(*)::int` })
        .from(events)
        .where(sql`${events.receivedAt} >= ${from.toISOString()}::timestamptz`)
        .groupBy(minute, events.type)
        .orderBy(minute, events.type),
      db
        .select({
          count: sql<number>`count(*)::int`,
          p50: sql<number | null>`percentile_cont(0.5) within group (order by ${latencyMs})`,
          p90: sql<number | null>`percentile_cont(0.9) within group (order by ${latencyMs})`,
          p99: sql<number | null>`percentile_cont(0.99) within group (order by ${latencyMs})`,
          max: sql<number | null>`max(${latencyMs})`,
        })
        .from(eventRoutes)
        .innerJoin(
          events,
          and(eq(events.source, eventRoutes.eventSource), eq(events.id, eventRoutes.eventId)),
        )
        .where(
          and(
            eq(eventRoutes.status, 'delivered'),
            isNotNull(eventRoutes.routedAt),
            sql`${events.receivedAt} >= ${from.toISOString()}::timestamptz`,
          ),
        ),
      db
        .select({
          bucket: sql<number>`width_bucket(${latencyMs}, array[${sql.raw(LATENCY_BUCKETS_MS.join(','))}]::double precision[])`,
          count: sql<number>`count(*)::int`,
        })
        .from(eventRoutes)
        .innerJoin(
          events,
          and(eq(events.source, eventRoutes.eventSource), eq(events.id, eventRoutes.eventId)),
        )
        .where(
          and(
            eq(eventRoutes.status, 'delivered'),
            isNotNull(eventRoutes.routedAt),
            sql`${events.receivedAt} >= ${from.toISOString()}::timestamptz`,
          ),
        )
        .groupBy(sql`1`),
    ]);
    const [pending] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(eventRoutes)
      .where(eq(eventRoutes.status, 'pending'));
    const round = (v: number | null | undefined) =>
      v === null || v === undefined ? null : Math.round(Number(v));
    // width_bucket: 0 below the first bound, i in [bound i-1, bound i), n from the last bound on
    const buckets = [...LATENCY_BUCKETS_MS, null].map((belowMs, i) => ({
      belowMs,
      count: histogram.filter((h) => Number(h.bucket) === i).reduce((s, h) => s + h.count, 0),
    }));
    res.json({
      from: from.toISOString(),
      to: to.toISOString(),
      perMinute,
      routingLatency: {
        count: latency?.count ?? 0,
        p50Ms: round(latency?.p50),
        p90Ms: round(latency?.p90),
        p99Ms: round(latency?.p99),
        maxMs: round(latency?.max),
        buckets,
      },
      pendingRoutes: pending?.n ?? 0,
    });
  });

  return router;
}
