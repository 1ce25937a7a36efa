/** OpenAPI paths of the lists for people and dashboards (api/worklists.ts). */
import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  PURCHASE_ORDER_STATUSES,
  SALES_ORDER_STATUSES,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
} from '../db/schema';
import {
  eventStatsQuerySchema,
  inventoryListQuerySchema,
  LATENCY_BUCKETS_MS,
  orderListQuerySchema,
  purchaseOrderListQuerySchema,
  SLA_STATES,
  ticketListQuerySchema,
} from './worklists';
import { json, problem } from './openapi-common';

const page = (item: z.ZodType, id: string) =>
  z
    .object({
      items: z.array(item),
      total: z.number().int().meta({ description: 'How many match the filters, over all pages.' }),
      nextCursor: z
        .string()
        .nullable()
        .meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
    })
    .meta({ id });

const orderSummary = z
  .object({
    orderId: z.string(),
    customerId: z.string(),
    status: z.enum(SALES_ORDER_STATUSES),
    statusReason: z.string().nullable(),
    currency: z.string(),
    total: z.number().int(),
    amountPaid: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    links: z.object({ self: z.string() }),
  })
  .meta({ id: 'OrderSummary' });

const purchaseOrderSummary = z
  .object({
    purchaseOrderId: z.string(),
    supplierId: z.string(),
    sku: z.string(),
    quantity: z.number().int(),
    received: z.number().int(),
    status: z.enum(PURCHASE_ORDER_STATUSES),
    expectedDate: z.string().nullable(),
    late: z.boolean().meta({ description: 'Goods still expected past the expected date plus the grace.' }),
    sentAt: z.string().nullable(),
    confirmedAt: z.string().nullable(),
    createdAt: z.string(),
    links: z.object({ self: z.string(), sku: z.string() }),
  })
  .meta({ id: 'PurchaseOrderSummary' });

const ticketSummary = z
  .object({
    ticketId: z.string(),
    customerId: z.string(),
    subject: z.string(),
    priority: z.enum(TICKET_PRIORITIES),
    status: z.enum(TICKET_STATUSES),
    assignee: z.string().nullable(),
    slaState: z.enum(SLA_STATES),
    slaClock: z.enum(['first_response', 'resolution']).meta({ description: 'Which deadline is running.' }),
    dueAt: z.string().meta({ description: 'The running deadline.' }),
    firstResponseDueAt: z.string(),
    resolutionDueAt: z.string(),
    createdAt: z.string(),
    links: z.object({ self: z.string() }),
  })
  .meta({ id: 'TicketSummary' });

const stockSummary = z
  .object({
    sku: z.string(),
    onHand: z.number().int(),
    reserved: z.number().int(),
    available: z.number().int(),
    onOrder: z.number().int(),
    atOrBelowReorderPoint: z.boolean(),
    reorderSettings: z.object({
      reorderPoint: z.number().int(),
      orderUpTo: z.number().int(),
      packMultiple: z.number().int(),
      minOrderQuantity: z.number().int(),
      leadTimeDays: z.number().int(),
      supplierId: z.string().nullable(),
    }),
    openPurchaseOrders: z.array(
      z.object({
        purchaseOrderId: z.string(),
        quantity: z.number().int(),
        received: z.number().int(),
        status: z.string(),
        expectedDate: z.string().nullable(),
        links: z.object({ self: z.string() }),
      }),
    ),
    links: z.object({ self: z.string() }),
  })
  .meta({ id: 'StockSummary' });

const eventStats = z
  .object({
    from: z.string(),
    to: z.string(),
    perMinute: z.array(z.object({ minute: z.string(), type: z.string(), count: z.number().int() })).meta({
      description: 'Events received per minute (UTC, start of the minute) and type; empty minutes left out.',
    }),
    routingLatency: z
      .object({
        count: z.number().int(),
        p50Ms: z.number().int().nullable(),
        p90Ms: z.number().int().nullable(),
        p99Ms: z.number().int().nullable(),
        maxMs: z.number().int().nullable(),
        buckets: z.array(z.object({ belowMs: z.number().int().nullable(), count: z.number().int() })).meta({
          description: `Histogram: routes delivered in less than belowMs (bounds ${LATENCY_BUCKETS_MS.join(', ')}; null: the rest), each counted once.`,
        }),
      })
      .meta({
        description:
          'From an event’s arrival to its delivery to its workflow, for the delivered routes of the period.',
      }),
    pendingRoutes: z.number().int().meta({ description: 'Routes waiting for delivery now.' }),
  })
  .meta({ id: 'EventStats' });

/** A GET list route: its query, and a page of `item` as the answer (or 400). */
function registerList(
  registry: OpenAPIRegistry,
  route: {
    path: string;
    tag: string;
    summary: string;
    query: z.ZodObject;
    item: z.ZodType;
    id: string;
    what: string;
  },
): void {
  registry.registerPath({
    method: 'get',
    path: route.path,
    tags: [route.tag],
    summary: route.summary,
    request: { query: route.query },
    responses: {
      200: { description: `A page of ${route.what}.`, content: json(page(route.item, route.id)) },
      400: problem('Invalid query.'),
    },
  });
}

export function registerWorklistPaths(registry: OpenAPIRegistry): void {
  registerList(registry, {
    path: '/v1/orders',
    tag: 'orders',
    summary: 'Orders, newest first, by status and customer (status=on_credit_hold: waiting for approval).',
    query: orderListQuerySchema,
    item: orderSummary,
    id: 'OrderList',
    what: 'orders',
  });
  registerList(registry, {
    path: '/v1/purchase-orders',
    tag: 'inventory',
    summary:
      'Purchase orders, newest first: by status, awaiting the supplier’s confirmation, late, SKU or supplier.',
    query: purchaseOrderListQuerySchema,
    item: purchaseOrderSummary,
    id: 'PurchaseOrderList',
    what: 'purchase orders',
  });
  registerList(registry, {
    path: '/v1/tickets',
    tag: 'crm',
    summary: 'Tickets, newest first, by SLA state (breached, near), status, priority or customer.',
    query: ticketListQuerySchema,
    item: ticketSummary,
    id: 'TicketList',
    what: 'tickets',
  });
  registerList(registry, {
    path: '/v1/inventory',
    tag: 'inventory',
    summary:
      'SKUs with a reorder rule, by SKU: stock, on order, open purchase orders; optionally only those at or below their reorder point.',
    query: inventoryListQuerySchema,
    item: stockSummary,
    id: 'StockList',
    what: 'SKUs',
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/stats/events',
    tags: ['events'],
    summary: 'Events per minute by type and routing latency over the last `minutes`.',
    request: { query: eventStatsQuerySchema },
    responses: {
      200: { description: 'The statistics.', content: json(eventStats) },
      400: problem('Invalid query.'),
    },
  });
}
