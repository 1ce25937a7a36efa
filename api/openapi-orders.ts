/** OpenAPI paths of orders (order-to-cash) and the ledger. */
import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { orderPlacedV1 } from '../domain/events/sales';
import { idSchema } from '../domain/events/primitives';
import { approveBodySchema, cancelBodySchema, shipmentBodySchema } from './orders';
import { ledgerEntriesQuerySchema, trialBalanceQuerySchema } from './ledger';
import {
  commandProblems,
  idempotencyHeaders,
  json,
  locationHeaders,
  masterDataHeaders,
  problem,
  workflowRefSchema,
  commandResponseHeaders,
} from './openapi-common';

const TAGS = { orders: 'orders', ledger: 'ledger' };
const orderParams = z.object({ orderId: idSchema });

const statusSchema = z.string().meta({
  description:
    'received, on_credit_hold, reserving, backordered, invoiced, partially_paid, paid, shipped, completed, cancelled.',
});

const placedSchema = z
  .object({
    orderId: z.string(),
    status: z
      .enum(['accepted', 'duplicate'])
      .meta({ description: 'duplicate: this order was placed before.' }),
    event: z
      .record(z.string(), z.unknown())
      .meta({ description: 'The order.placed event’s answer (EventAnswer).' }),
    workflow: z.object({ id: z.string(), runId: z.string().nullable() }),
    links: z.object({ self: z.string(), temporalUi: z.string().nullable() }),
  })
  .meta({ id: 'OrderPlaced' });

const orderSchema = z
  .object({
    orderId: z.string(),
    customerId: z.string(),
    status: statusSchema,
    statusReason: z.string().nullable().meta({ description: 'Why the order was cancelled.' }),
    currency: z.string(),
    subtotal: z.number().int(),
    tax: z.number().int(),
    total: z.number().int().meta({ description: 'What is billed (under ship_available, what ships).' }),
    amountPaid: z.number().int(),
    amountDue: z.number().int(),
    paymentTerms: z.object({ netDays: z.number().int() }),
    backorderPolicy: z.enum(['cancel', 'ship_available']),
    lines: z.array(
      z.object({
        lineNo: z.number().int(),
        sku: z.string(),
        quantity: z.number().int(),
        unitPrice: z.number().int(),
        lineTotal: z.number().int(),
      }),
    ),
    invoice: z
      .object({
        invoiceNumber: z.string(),
        subtotal: z.number().int(),
        tax: z.number().int(),
        total: z.number().int(),
        amountPaid: z.number().int(),
        issuedOn: z.string(),
        dueDate: z.string(),
        status: z.enum(['open', 'partially_paid', 'paid', 'void']),
        dunningLevel: z.number().int(),
      })
      .nullable(),
    creditNote: z
      .object({ creditNoteNumber: z.string(), total: z.number().int(), reason: z.string() })
      .nullable(),
    refunds: z.array(z.object({ refundId: z.string(), paymentId: z.string(), amount: z.number().int() })),
    payments: z
      .array(
        z.object({
          paymentId: z.string(),
          invoiceNumber: z.string(),
          amount: z.number().int(),
          matchRule: z.string().nullable(),
          status: z.enum(['active', 'reversed']),
          allocatedAt: z.string(),
          links: z.object({ self: z.string() }),
        }),
      )
      .meta({ description: 'Payment allocations to the order’s invoice (reversed ones too), oldest first.' }),
    timeline: z
      .array(z.object({ at: z.string(), step: z.string(), detail: z.string().optional() }))
      .nullable()
      .meta({ description: 'The workflow’s steps; null when Temporal did not answer.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    workflow: workflowRefSchema,
    links: z.object({ self: z.string(), temporalUi: z.string() }),
  })
  .meta({ id: 'Order' });

const cancelOutcomeSchema = z
  .object({
    orderId: z.string(),
    status: z.literal('cancelled'),
    reason: z.string(),
    refunds: z.array(z.object({ refundId: z.string(), paymentId: z.string(), amount: z.number().int() })),
    creditNote: z
      .object({ creditNoteNumber: z.string(), invoiceNumber: z.string(), total: z.number().int() })
      .nullable(),
    released: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
    failures: z.array(z.string()).meta({ description: 'Compensations that failed after their retries.' }),
  })
  .meta({ id: 'CancelOutcome' });

const trialBalanceSchema = z
  .object({
    currency: z.string().nullable(),
    accounts: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        type: z.string(),
        debits: z.number().int(),
        credits: z.number().int(),
        balance: z.number().int().meta({ description: 'debits − credits.' }),
      }),
    ),
    totalDebits: z.number().int(),
    totalCredits: z.number().int(),
  })
  .meta({ id: 'TrialBalance' });

const journalEntrySchema = z
  .object({
    id: z.number().int(),
    occurredAt: z.string(),
    description: z.string(),
    currency: z.string(),
    reversesEntryId: z.number().int().nullable(),
    idempotencyKey: z.string(),
    lines: z.array(
      z.object({
        account: z.string(),
        debit: z.number().int(),
        credit: z.number().int(),
        memo: z.string().nullable(),
        orderId: z.string().nullable(),
        invoiceNumber: z.string().nullable(),
        paymentId: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'JournalEntry' });

const conflict = problem(
  'The order’s state does not allow this (`detail` gives the reason), or a request with this Idempotency-Key is still running.',
);

export function registerOrderPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/orders',
    tags: [TAGS.orders],
    summary: 'Place an order: stored and routed as an order.placed event (source erp-api/rest).',
    description:
      'The body is the data of order.placed. Its event id is `order-placed-<orderId>`, so placing the same ' +
      'order again answers 200 with status duplicate. The order’s workflow does the rest.',
    request: { headers: masterDataHeaders, body: { content: json(orderPlacedV1) } },
    responses: {
      202: { description: 'Accepted.', headers: locationHeaders('The order.'), content: json(placedSchema) },
      200: {
        description: 'Placed before.',
        headers: locationHeaders('The order.'),
        content: json(placedSchema),
      },
      400: problem('Invalid body.'),
      415: problem('Not JSON.'),
      422: problem('Unknown customer, or the Idempotency-Key was used for a different request.'),
      ...commandProblems,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/orders/{orderId}',
    tags: [TAGS.orders],
    summary: 'One order: its rows, invoice, credit note, refunds, timeline and workflow.',
    request: { params: orderParams },
    responses: {
      200: { description: 'The order.', content: json(orderSchema) },
      400: problem('Invalid order id.'),
      404: problem('No such order.'),
    },
  });
  const commands = [
    {
      path: '/v1/orders/{orderId}/approve',
      summary: 'Approve an order held over its customer’s credit limit (update `approve`).',
      body: approveBodySchema,
      answer: z
        .object({ orderId: z.string(), status: statusSchema, approvedBy: z.string() })
        .meta({ id: 'ApproveOutcome' }),
    },
    {
      path: '/v1/orders/{orderId}/cancel',
      summary: 'Cancel an order before shipment; answers what the compensations did (update `cancel`).',
      body: cancelBodySchema,
      answer: cancelOutcomeSchema,
    },
    {
      path: '/v1/orders/{orderId}/shipment-confirmation',
      summary: 'The carrier took a shipped order: closes it (update `confirmShipment`).',
      body: shipmentBodySchema,
      answer: z
        .object({ orderId: z.string(), status: statusSchema, shipmentId: z.string() })
        .meta({ id: 'ShipmentOutcome' }),
    },
  ];
  for (const c of commands) {
    registry.registerPath({
      method: 'post',
      path: c.path,
      tags: [TAGS.orders],
      summary: c.summary,
      request: { params: orderParams, headers: idempotencyHeaders, body: { content: json(c.body) } },
      responses: {
        200: { description: 'Done.', headers: commandResponseHeaders, content: json(c.answer) },
        400: problem('Invalid body.'),
        404: problem('No such order.'),
        415: problem('A body was sent that is not application/json.'),
        422: problem('The Idempotency-Key was used for a different request.'),
        ...commandProblems,
        409: conflict,
      },
    });
  }

  registry.registerPath({
    method: 'get',
    path: '/v1/ledger/trial-balance',
    tags: [TAGS.ledger],
    summary: 'Per account debits, credits and balance in one currency; the totals are equal.',
    request: { query: trialBalanceQuerySchema },
    responses: {
      200: { description: 'The trial balance.', content: json(trialBalanceSchema) },
      400: problem('Invalid query, or several currencies in the ledger and no ?currency.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/ledger/entries',
    tags: [TAGS.ledger],
    summary: 'Journal entries with their lines, by order, invoice, payment, account and time range.',
    request: { query: ledgerEntriesQuerySchema },
    responses: {
      200: {
        description: 'A page of entries, oldest first.',
        content: json(z.object({ items: z.array(journalEntrySchema), nextCursor: z.string().nullable() })),
      },
      400: problem('Invalid query.'),
    },
  });
}
