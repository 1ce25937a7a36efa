/** OpenAPI paths of inventory and procurement: the reorder rule per SKU and purchase orders. */
import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { reorderSettingsChangedV1 } from '../domain/events/inventory';
import { checkOrderUpTo, idSchema, skuSchema } from '../domain/events/primitives';
import {
  commandProblems,
  commandResponseHeaders,
  idempotencyHeaders,
  json,
  locationHeaders,
  masterDataHeaders,
  problem,
  workflowRefSchema,
} from './openapi-common';
import { confirmBodySchema, receiptBodySchema } from './purchase-orders';

const TAG = 'inventory';

const reorderRuleBody = z
  .object({ ...reorderSettingsChangedV1.shape, sku: reorderSettingsChangedV1.shape.sku.optional() })
  .strict()
  .superRefine(checkOrderUpTo)
  .meta({
    description:
      'The data of inventory.reorder_settings_changed v1 (orderUpTo > reorderPoint ≥ 0, packMultiple and ' +
      'minOrderQuantity ≥ 1); sku may be left out (it comes from the path).',
  });

const reorderRuleRecord = z
  .object({
    sku: z.string(),
    reorderPoint: z.number().int(),
    orderUpTo: z.number().int(),
    packMultiple: z.number().int(),
    minOrderQuantity: z.number().int(),
    leadTimeDays: z.number().int(),
    supplierId: z.string().nullable(),
    version: z.object({ eventId: z.string(), source: z.string(), seq: z.number().int() }),
    createdAt: z.string(),
    updatedAt: z.string(),
    links: z.object({ self: z.string(), event: z.string() }),
  })
  .meta({ id: 'InventoryReorderRule' });

const purchaseOrderSchema = z
  .object({
    purchaseOrderId: z.string(),
    supplierId: z.string(),
    sku: z.string(),
    quantity: z.number().int(),
    received: z.number().int(),
    overReceiptTolerance: z.number().int(),
    unitCost: z.number().int().nullable().meta({ description: 'Minor units of currency.' }),
    currency: z.string(),
    status: z.enum(['draft', 'sent', 'confirmed', 'partially_received', 'received', 'closed', 'cancelled']),
    expectedDate: z.string().nullable(),
    sentAt: z.string().nullable(),
    confirmedAt: z.string().nullable(),
    receipts: z.array(
      z.object({ receiptId: z.string(), quantity: z.number().int(), receivedAt: z.string() }),
    ),
    createdAt: z.string(),
    updatedAt: z.string(),
    workflow: workflowRefSchema,
    links: z.object({ self: z.string(), sku: z.string(), temporalUi: z.string() }),
  })
  .meta({ id: 'PurchaseOrder' });

const commandAnswer = z
  .object({
    event: z
      .object({
        eventId: z.string(),
        source: z.string(),
        status: z.enum(['accepted', 'duplicate']),
        routing: z.object({
          status: z.string(),
          workflowId: z.string().nullable(),
          runId: z.string().nullable(),
        }),
        links: z.object({ self: z.string(), temporalUi: z.string().nullable() }),
      })
      .meta({ description: 'The event this request was stored as, and its routing.' }),
    purchaseOrder: purchaseOrderSchema,
  })
  .meta({ id: 'PurchaseOrderCommandAnswer' });

const poParams = z.object({ id: idSchema });

export function registerInventoryPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'put',
    path: '/v1/inventory/{sku}/reorder-settings',
    tags: ['inventory'],
    summary: "Set a SKU's reorder rule; its inventory workflow re-evaluates at once.",
    description:
      'Stored as inventory.reorder_settings_changed from erp-api/rest (the same as PUT ' +
      '/v1/products/{sku}/reorder-settings) and signalled to the SKU workflow.',
    request: {
      params: z.object({ sku: skuSchema }),
      headers: masterDataHeaders,
      body: { required: true, content: json(reorderRuleBody) },
    },
    responses: {
      200: {
        description: 'Replaced.',
        headers: locationHeaders('The rule.'),
        content: json(reorderRuleRecord),
      },
      201: {
        description: 'Created.',
        headers: locationHeaders('The rule.'),
        content: json(reorderRuleRecord),
      },
      400: problem('Invalid rule.', commandResponseHeaders),
      ...commandProblems,
      415: problem('Not application/json.'),
      422: problem('Idempotency-Key already used for a different request.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/purchase-orders/{id}',
    tags: [TAG],
    summary: 'One purchase order, its receipts and its procurement workflow.',
    request: { params: poParams },
    responses: {
      200: { description: 'The purchase order.', content: json(purchaseOrderSchema) },
      400: problem('Invalid id.'),
      404: problem('No such purchase order.'),
    },
  });
  const post = (path: string, summary: string, description: string, body: z.ZodType, conflicts: string) =>
    registry.registerPath({
      method: 'post',
      path,
      tags: [TAG],
      summary,
      description,
      request: {
        params: poParams,
        headers: idempotencyHeaders,
        body: { required: false, content: json(body) },
      },
      responses: {
        202: {
          description: 'Stored and routed to the procurement workflow (see event.routing).',
          headers: locationHeaders('The purchase order.'),
          content: json(commandAnswer),
        },
        400: problem('Invalid body.', commandResponseHeaders),
        404: problem('No such purchase order.'),
        ...commandProblems,
        415: problem('Not application/json.'),
        422: problem(`Idempotency-Key already used for a different request. ${conflicts}`),
      },
    });
  post(
    '/v1/purchase-orders/{id}/confirm',
    'Confirm a purchase order for a supplier that publishes no events.',
    'Stored as purchase_order.confirmed from erp-api/rest. expectedDate defaults to the order’s. 409 when the ' +
      'order is received, closed or cancelled.',
    confirmBodySchema,
    '',
  );
  post(
    '/v1/purchase-orders/{id}/receipts',
    'Record goods received against a purchase order.',
    'Stored as goods.received from erp-api/rest (receiptId defaults to a new one; quantity means the order’s ' +
      'SKU). 409 when the order is no longer open, the SKU is not on it, or the quantity exceeds what is ' +
      'ordered plus its over-receipt tolerance.',
    receiptBodySchema,
    '',
  );
}
