/**
 * Purchase orders over REST: read one, and confirm it or record goods received for suppliers that
 * publish no events. A POST becomes the same event a supplier would send (purchase_order.confirmed,
 * goods.received) from source erp-api/rest, stored and routed to the procurement workflow.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { type EventType } from '../domain/events/catalogue';
import {
  dateSchema,
  idSchema,
  quantitySchema,
  skuSchema,
  timestampSchema,
} from '../domain/events/primitives';
import { procurementWorkflowId } from '../domain/names';
import { executionUiLink } from '../lib/temporal';
import { goodsReceiptLines, goodsReceipts, purchaseOrderLines, purchaseOrders } from '../db/schema';
import { Problem, parseOr400, pathParam, requireContentType, validationProblem } from './problem';
import { command } from './idempotency';
import { ingestRestEvent, type EventAnswer } from './ingest';
import type { AppDeps } from './app';
import { describeWorkflow } from './workflow-status';

/** POST /v1/purchase-orders/:id/confirm: the supplier's confirmation, told by a person. */
export const confirmBodySchema = z
  .object({
    expectedDate: dateSchema.optional(),
    confirmedAt: timestampSchema.optional(),
    supplierReference: z.string().min(1).max(100).optional(),
  })
  .strict();

/** POST /v1/purchase-orders/:id/receipts: goods received, by quantity of the order's SKU or by lines. */
export const receiptBodySchema = z
  .object({
    receiptId: idSchema.optional(),
    quantity: quantitySchema.optional(),
    lines: z
      .array(z.object({ sku: skuSchema, quantity: quantitySchema }).strict())
      .min(1)
      .max(500)
      .optional(),
    receivedAt: timestampSchema.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.quantity === undefined) === (b.lines === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['quantity'],
        message: 'exactly one of quantity and lines is required',
      });
    }
  });

const CLOSED_STATUSES = ['received', 'closed', 'cancelled'];

export function purchaseOrdersRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;

  async function load(id: string) {
    const [row] = await db
      .select({ po: purchaseOrders, line: purchaseOrderLines })
      .from(purchaseOrders)
      .innerJoin(purchaseOrderLines, eq(purchaseOrderLines.purchaseOrderId, purchaseOrders.purchaseOrderId))
      .where(eq(purchaseOrders.purchaseOrderId, id));
    if (!row) throw new Problem(404, 'not-found', 'Purchase order not found', `No purchase order ${id}.`);
    return row;
  }

  async function view(id: string) {
    const { po, line } = await load(id);
    const receipts = await db
      .select({ receipt: goodsReceipts, quantity: goodsReceiptLines.quantity })
      .from(goodsReceipts)
      .innerJoin(goodsReceiptLines, eq(goodsReceiptLines.receiptId, goodsReceipts.receiptId))
      .where(eq(goodsReceipts.purchaseOrderId, id))
      .orderBy(asc(goodsReceipts.receivedAt));
    const workflowId = po.workflowId ?? procurementWorkflowId(id);
    const workflow = await describeWorkflow(deps, workflowId);
    return {
      purchaseOrderId: po.purchaseOrderId,
      supplierId: po.supplierId,
      sku: line.sku,
      quantity: line.quantity,
      received: line.received,
      overReceiptTolerance: line.overReceiptTolerance,
      unitCost: line.unitCost,
      currency: po.currency,
      status: po.status,
      expectedDate: po.expectedDate,
      sentAt: po.sentAt?.toISOString() ?? null,
      confirmedAt: po.confirmedAt?.toISOString() ?? null,
      receipts: receipts.map((r) => ({
        receiptId: r.receipt.receiptId,
        quantity: r.quantity,
        receivedAt: r.receipt.receivedAt.toISOString(),
      })),
      createdAt: po.createdAt.toISOString(),
      updatedAt: po.updatedAt.toISOString(),
      workflow,
      links: {
        self: `/v1/purchase-orders/${encodeURIComponent(id)}`,
        sku: `/v1/inventory/${encodeURIComponent(line.sku)}`,
        temporalUi: executionUiLink(deps.temporal.uiUrl, deps.temporal.namespace, workflowId, workflow.runId),
      },
    };
  }

  /** Stores `data` as a `type` event from erp-api/rest (validated by the catalogue) and routes it. */
  async function emit(type: EventType, subject: string, data: unknown): Promise<EventAnswer> {
    return (await ingestRestEvent(deps, { type, subject, data })).body;
  }

  function body<T>(req: Request, schema: z.ZodType<T>): T {
    const empty =
      req.body === undefined || (typeof req.body === 'object' && Object.keys(req.body ?? {}).length === 0);
    if (!empty || req.get('content-type')) requireContentType(req, ['application/json']);
    return parseOr400(schema, req.body ?? {});
  }

  /** One purchase order with its receipts and its procurement workflow. */
  router.get('/v1/purchase-orders/:id', async (req, res) => {
    res.json(await view(pathParam(req, 'id', idSchema)));
  });

  /** Confirms the order for its supplier: a purchase_order.confirmed event (202). */
  router.post(
    '/v1/purchase-orders/:id/confirm',
    command(deps, 'POST /v1/purchase-orders/:id/confirm', async (req) => {
      const id = pathParam(req, 'id', idSchema);
      const input = body(req, confirmBodySchema);
      const { po } = await load(id);
      if (CLOSED_STATUSES.includes(po.status))
        throw new Problem(
          409,
          'conflict',
          'Purchase order not open',
          `Purchase order ${id} is ${po.status}.`,
        );
      const expectedDate = input.expectedDate ?? po.expectedDate;
      if (!expectedDate)
        throw validationProblem([{ path: 'expectedDate', message: 'required: the order has none' }]);
      const event = await emit('purchase_order.confirmed', id, {
        purchaseOrderId: id,
        supplierId: po.supplierId,
        expectedDate,
        confirmedAt: input.confirmedAt ?? new Date().toISOString(),
        ...(input.supplierReference ? { supplierReference: input.supplierReference } : {}),
      });
      const self = `/v1/purchase-orders/${encodeURIComponent(id)}`;
      return { status: 202, body: { event, purchaseOrder: await view(id) }, headers: { Location: self } };
    }),
  );

  /**
   * Records goods received against the order: a goods.received event (202). Refused at once (409)
   * when the order is no longer open or the quantity exceeds what is ordered plus its tolerance.
   */
  router.post(
    '/v1/purchase-orders/:id/receipts',
    command(deps, 'POST /v1/purchase-orders/:id/receipts', async (req) => {
      const id = pathParam(req, 'id', idSchema);
      const input = body(req, receiptBodySchema);
      const { po, line } = await load(id);
      if (CLOSED_STATUSES.includes(po.status))
        throw new Problem(
          409,
          'conflict',
          'Purchase order not open',
          `Purchase order ${id} is ${po.status}.`,
        );
      const lines = input.lines ?? [{ sku: line.sku, quantity: input.quantity as number }];
      const other = lines.find((l) => l.sku !== line.sku);
      if (other)
        throw new Problem(
          409,
          'conflict',
          'SKU not on the purchase order',
          `Purchase order ${id} orders ${line.sku}, not ${other.sku}.`,
        );
      const quantity = lines.reduce((s, l) => s + l.quantity, 0);
      if (line.received + quantity > line.quantity + line.overReceiptTolerance)
        throw new Problem(
          409,
          'over-receipt',
          'Over-receipt',
          `${line.received} received + ${quantity} exceeds ${line.quantity} ordered` +
            (line.overReceiptTolerance > 0
              ? ` + ${line.overReceiptTolerance} tolerance.`
              : ' (no over-receipt tolerance).'),
        );
      const event = await emit('goods.received', id, {
        purchaseOrderId: id,
        receiptId: input.receiptId ?? `GR-${randomUUID()}`,
        lines,
        receivedAt: input.receivedAt ?? new Date().toISOString(),
      });
      const self = `/v1/purchase-orders/${encodeURIComponent(id)}`;
      return { status: 202, body: { event, purchaseOrder: await view(id) }, headers: { Location: self } };
    }),
  );

  return router;
}
