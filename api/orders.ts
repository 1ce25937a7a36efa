/**
 * Orders over REST: placing one (an order.placed event through the ingestion path, like
 * POST /v1/events), reading it (database state, its workflow, the timeline), and the operator's
 * commands, each an update of the order's workflow that answers its outcome.
 */
import { Router, type Request } from 'express';
import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { orderPlacedV1 } from '../domain/events/sales';
import { idSchema, timestampSchema } from '../domain/events/primitives';
import { orderWorkflowId } from '../domain/names';
import {
  approveUpdate,
  cancelUpdate,
  confirmShipmentUpdate,
  orderTimelineQuery,
  type TimelineEntry,
} from '../domain/sales';
import { executionUiLink } from '../lib/temporal';
import {
  creditNotes,
  customers,
  invoices,
  paymentAllocations,
  refunds,
  salesOrderLines,
  salesOrders,
  type SalesOrderRow,
} from '../db/schema';
import { Problem, pathParam, requireContentType, validationProblem, zodFieldErrors } from './problem';
import { command, type CommandResponse } from './idempotency';
import { CORRELATION_HEADER, ingestRestEvent } from './ingest';
import { describeWorkflow } from './workflow-status';
import type { AppDeps } from './app';

/** The event id of an order placed through REST: one per order, so placing it again is a duplicate. */
export const orderPlacedEventId = (orderId: string): string => `order-placed-${orderId}`;

export const approveBodySchema = z
  .object({
    approvedBy: idSchema.default('api'),
    note: z.string().min(1).max(1000).optional(),
  })
  .strict()
  .meta({ id: 'OrderApproval' });

export const cancelBodySchema = z
  .object({
    reason: z.string().min(1).max(500),
    requestedBy: idSchema.optional(),
  })
  .strict()
  .meta({ id: 'OrderCancellation' });

export const shipmentBodySchema = z
  .object({
    shipmentId: idSchema,
    carrier: z.string().min(1).max(100).optional(),
    trackingNumber: z.string().min(1).max(100).optional(),
    shippedAt: timestampSchema.optional(),
  })
  .strict()
  .meta({ id: 'ShipmentConfirmation' });

const QUERY_DEADLINE_MS = 2000;

/** The command's body: optional, but when one is sent (or typed) it must be JSON. */
function parseBody<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  if (req.get('content-type') || (req.body !== undefined && Object.keys(req.body ?? {}).length > 0)) {
    requireContentType(req, ['application/json']);
  }
  const parsed = schema.safeParse(req.body ?? {});
  if (!parsed.success) throw validationProblem(zodFieldErrors(parsed.error));
  return parsed.data;
}

const orderIdParam = (req: Request): string => pathParam(req, 'orderId', idSchema);

const orderLink = (orderId: string) => `/v1/orders/${encodeURIComponent(orderId)}`;

export function ordersRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;

  async function loadOrder(orderId: string): Promise<SalesOrderRow> {
    const [row] = await db.select().from(salesOrders).where(eq(salesOrders.orderId, orderId));
    if (!row) throw new Problem(404, 'not-found', 'Order not found', `No order ${orderId}.`);
    return row;
  }

  /** Runs an update of the order's workflow; a refusal (or a closed workflow) is 409 with the reason. */
  async function update<Ret, Arg>(
    row: SalesOrderRow,
    def: UpdateDefinition<Ret, [Arg]>,
    arg: Arg,
  ): Promise<Ret> {
    const handle = deps.temporal.client.workflow.getHandle(orderWorkflowId(row.orderId));
    try {
      return await handle.executeUpdate(def, { args: [arg] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const reason = err.cause?.message ?? err.message;
        throw new Problem(409, 'order-state-conflict', 'Not allowed in the order’s state', reason);
      }
      if (
        err instanceof WorkflowNotFoundError ||
        /already completed|not found/i.test((err as Error).message)
      ) {
        throw new Problem(
          409,
          'order-state-conflict',
          'Not allowed in the order’s state',
          `Order ${row.orderId} is ${row.status}${row.statusReason ? ` (${row.statusReason})` : ''}; its workflow has closed.`,
        );
      }
      throw err;
    }
  }

  async function orderView(row: SalesOrderRow) {
    const workflowId = orderWorkflowId(row.orderId);
    const [lines, [invoice], [creditNote], refundRows, workflow, allocations] = await Promise.all([
      db
        .select()
        .from(salesOrderLines)
        .where(eq(salesOrderLines.orderId, row.orderId))
        .orderBy(asc(salesOrderLines.lineNo)),
      db.select().from(invoices).where(eq(invoices.orderId, row.orderId)),
      db.select().from(creditNotes).where(eq(creditNotes.orderId, row.orderId)),
      db.select().from(refunds).where(eq(refunds.orderId, row.orderId)).orderBy(asc(refunds.refundId)),
      describeWorkflow(deps, workflowId),
      db
        .select({ allocation: paymentAllocations })
        .from(paymentAllocations)
        .innerJoin(invoices, eq(invoices.invoiceNumber, paymentAllocations.invoiceNumber))
        .where(eq(invoices.orderId, row.orderId))
        .orderBy(asc(paymentAllocations.id)),
    ]);
    let timeline: TimelineEntry[] | null = null;
    if (workflow.runId) {
      try {
        timeline = await deps.temporal.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
          deps.temporal.client.workflow
            .getHandle(workflowId, workflow.runId ?? undefined)
            .query(orderTimelineQuery),
        );
      } catch (err) {
        deps.logger.warn({ workflowId, err: (err as Error).message }, 'order timeline query failed');
      }
    }
    return {
      orderId: row.orderId,
      customerId: row.customerId,
      status: row.status,
      statusReason: row.statusReason,
      currency: row.currency,
      subtotal: row.subtotal,
      tax: row.tax,
      total: row.total,
      amountPaid: row.amountPaid,
      amountDue: row.status === 'cancelled' ? 0 : row.total - row.amountPaid,
      paymentTerms: { netDays: row.paymentTermsDays },
      backorderPolicy: row.backorderPolicy,
      lines: lines.map((l) => ({
        lineNo: l.lineNo,
        sku: l.sku,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        lineTotal: l.lineTotal,
      })),
      invoice: invoice
        ? {
            invoiceNumber: invoice.invoiceNumber,
            subtotal: invoice.subtotal,
            tax: invoice.tax,
            total: invoice.total,
            amountPaid: invoice.amountPaid,
            issuedOn: invoice.issuedOn,
            dueDate: invoice.dueDate,
            status: invoice.status,
            dunningLevel: invoice.dunningLevel,
          }
        : null,
      creditNote: creditNote
        ? {
            creditNoteNumber: creditNote.creditNoteNumber,
            total: creditNote.total,
            reason: creditNote.reason,
          }
        : null,
      refunds: refundRows.map((r) => ({ refundId: r.refundId, paymentId: r.paymentId, amount: r.amount })),
      payments: allocations.map(({ allocation: a }) => ({
        paymentId: a.paymentId,
        invoiceNumber: a.invoiceNumber,
        amount: a.amount,
        matchRule: a.matchRule,
        status: a.status,
        allocatedAt: a.createdAt.toISOString(),
        links: { self: `/v1/reconciliation/payments/${encodeURIComponent(a.paymentId)}` },
      })),
      timeline,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      workflow,
      links: {
        self: orderLink(row.orderId),
        temporalUi: executionUiLink(deps.temporal.uiUrl, deps.temporal.namespace, workflowId, workflow.runId),
      },
    };
  }

  /** Places an order: stored and routed as an order.placed event (source erp-api/rest). */
  router.post(
    '/v1/orders',
    command(deps, 'POST /v1/orders', async (req): Promise<CommandResponse> => {
      requireContentType(req, ['application/json']);
      const parsed = orderPlacedV1.safeParse(req.body);
      if (!parsed.success) throw validationProblem(zodFieldErrors(parsed.error));
      const order = parsed.data;
      const [customer] = await db.select().from(customers).where(eq(customers.customerId, order.customerId));
      if (!customer) {
        throw new Problem(422, 'unknown-customer', 'Unknown customer', `No customer ${order.customerId}.`, [
          { path: 'customerId', message: 'no such customer; PUT /v1/customers/{customerId} first' },
        ]);
      }
      const result = await ingestRestEvent(deps, {
        type: 'order.placed',
        id: orderPlacedEventId(order.orderId),
        subject: order.orderId,
        data: order,
        correlationId: req.get(CORRELATION_HEADER),
      });
      const self = orderLink(order.orderId);
      return {
        status: result.code,
        headers: { Location: self },
        body: {
          orderId: order.orderId,
          status: result.body.status,
          event: result.body,
          workflow: { id: orderWorkflowId(order.orderId), runId: result.body.routing.runId },
          links: { self, temporalUi: result.body.links.temporalUi },
        },
      };
    }),
  );

  /** One order: database state, amounts, invoice, credit note, refunds, timeline and its workflow. */
  router.get('/v1/orders/:orderId', async (req, res) => {
    res.json(await orderView(await loadOrder(orderIdParam(req))));
  });

  /** Approves an order held over its customer's credit limit. */
  router.post(
    '/v1/orders/:orderId/approve',
    command(deps, 'POST /v1/orders/:orderId/approve', async (req): Promise<CommandResponse> => {
      const row = await loadOrder(orderIdParam(req));
      const body = parseBody(approveBodySchema, req);
      const outcome = await update(row, approveUpdate, body);
      return { status: 200, body: { orderId: row.orderId, ...outcome } };
    }),
  );

  /** Cancels an order before shipment; answers what the compensations did. */
  router.post(
    '/v1/orders/:orderId/cancel',
    command(deps, 'POST /v1/orders/:orderId/cancel', async (req): Promise<CommandResponse> => {
      const row = await loadOrder(orderIdParam(req));
      const body = parseBody(cancelBodySchema, req);
      const outcome = await update(row, cancelUpdate, body);
      return { status: 200, body: { orderId: row.orderId, ...outcome } };
    }),
  );

  /** The carrier took a shipped order's goods: closes the order. */
  router.post(
    '/v1/orders/:orderId/shipment-confirmation',
    command(deps, 'POST /v1/orders/:orderId/shipment-confirmation', async (req): Promise<CommandResponse> => {
      const row = await loadOrder(orderIdParam(req));
      const body = parseBody(shipmentBodySchema, req);
      const outcome = await update(row, confirmShipmentUpdate, {
        ...body,
        shippedAt: body.shippedAt ?? new Date().toISOString(),
      });
      return { status: 200, body: { orderId: row.orderId, ...outcome } };
    }),
  );

  return router;
}
