/**
 * Reconciliation for people: the exceptions waiting for review, an operator's resolution, unmatching
 * an allocation, and one payment with its allocations. Decisions go through the payment's workflow
 * (updates), so each is validated against the current amounts and recorded in its history.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { and, asc, eq, sql } from 'drizzle-orm';
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type UpdateDefinition,
  ApplicationFailure,
} from '@temporalio/client';
import { idSchema, positiveMinorUnits } from '../domain/events/primitives';
import { paymentReconciliationWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../domain/names';
import {
  resolveExceptionUpdate,
  unmatchAllocationUpdate,
  type ExceptionReview,
  type PaymentReconciliationInput,
  type ReconciliationState,
} from '../domain/reconciliation';
import { paymentAllocations, payments, type PaymentRow } from '../db/schema';
import { executionUiLink } from '../lib/temporal';
import type { AppDeps } from './app';
import { command, type CommandResponse } from './idempotency';
import { REST_EVENT_SOURCE } from './ingest';
import { parseOr400, pathParam, Problem, requireContentType } from './problem';
import { newestFirst } from './paging';
import { describeWorkflow } from './workflow-status';

export const resolveBodySchema = z
  .object({
    allocations: z
      .array(z.object({ invoiceNumber: idSchema, amount: positiveMinorUnits }).strict())
      .max(100)
      .meta({ description: 'Where the payment goes; may be empty (nothing allocated, e.g. a duplicate).' }),
    creditTo: idSchema
      .optional()
      .meta({ description: 'Put what is left of the payment on this customer’s credit.' }),
    resolvedBy: z.string().min(1).max(200),
    note: z.string().max(2000).optional(),
  })
  .strict()
  .meta({ id: 'ResolveException' });

export const unmatchBodySchema = z
  .object({
    invoiceNumber: idSchema,
    reason: z.string().trim().min(1).max(2000),
    requestedBy: z.string().min(1).max(200),
  })
  .strict()
  .meta({ id: 'UnmatchAllocation' });

export const exceptionsQuerySchema = z
  .object({
    customerId: idSchema.optional(),
    escalated: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional().meta({ description: 'nextCursor of the previous page.' }),
  })
  .strict();

const paymentIdParam = (req: Request): string => pathParam(req, 'paymentId', idSchema);

/** 409: the payment's state does not allow the command; `detail` says why. */
const stateConflict = (detail: string) =>
  new Problem(409, 'reconciliation-state-conflict', 'Not allowed in the payment’s state', detail);

function body<T>(schema: z.ZodType<T>, req: Request): T {
  requireContentType(req, ['application/json']);
  return parseOr400(schema, req.body ?? {});
}

export function reconciliationRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;
  const taskQueue = workflowTaskQueue(deps.temporal.taskQueuePrefix, WORKFLOW_TYPES.paymentReconciliation);

  async function loadPayment(paymentId: string): Promise<PaymentRow> {
    const [row] = await db.select().from(payments).where(eq(payments.paymentId, paymentId));
    if (!row) throw new Problem(404, 'not-found', 'Payment not found', `No payment ${paymentId}.`);
    return row;
  }

  /** A refused update: 422 with each problem of an invalid resolution, 409 for a state conflict. */
  function refusal(paymentId: string, err: unknown): never {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      const reason = cause?.message ?? err.message;
      if (cause instanceof ApplicationFailure && cause.type === 'InvalidResolution') {
        throw new Problem(
          422,
          'invalid-resolution',
          'The allocations do not fit the payment or the invoices',
          reason,
          reason.split('; ').map((message) => {
            const m = /^(allocations\.\d+|creditTo): (.*)$/.exec(message);
            return m
              ? { path: (m[1] as string).replace(/\.(\d+)$/, '[$1]'), message: m[2] as string }
              : { path: 'allocations', message };
          }),
        );
      }
      if (cause instanceof ApplicationFailure && cause.type === 'NoSuchAllocation') {
        throw new Problem(404, 'not-found', 'Allocation not found', reason);
      }
      throw stateConflict(reason);
    }
    if (err instanceof WorkflowNotFoundError || /already completed|not found/i.test((err as Error).message)) {
      throw stateConflict(`Payment ${paymentId} is not waiting for review.`);
    }
    throw err;
  }

  async function update<Arg>(paymentId: string, def: UpdateDefinition<ReconciliationState, [Arg]>, arg: Arg) {
    try {
      return await deps.temporal.client.workflow
        .getHandle(paymentReconciliationWorkflowId(paymentId))
        .executeUpdate(def, { args: [arg] });
    } catch (err) {
      refusal(paymentId, err);
    }
  }

  async function paymentView(row: PaymentRow) {
    const workflowId = paymentReconciliationWorkflowId(row.paymentId);
    const [allocations, workflow] = await Promise.all([
      db
        .select()
        .from(paymentAllocations)
        .where(eq(paymentAllocations.paymentId, row.paymentId))
        .orderBy(asc(paymentAllocations.id)),
      describeWorkflow(deps, workflowId),
    ]);
    const review = (row.exceptionDetail as ExceptionReview | null) ?? null;
    return {
      paymentId: row.paymentId,
      amount: row.amount,
      amountAllocated: row.amountAllocated,
      unallocated: row.amount - row.amountAllocated,
      currency: row.currency,
      customerId: row.customerId,
      payerName: row.payerName,
      reference: row.reference,
      receivedAt: row.receivedAt.toISOString(),
      method: row.method,
      status: row.status,
      exception:
        row.status === 'exception'
          ? {
              reason: row.exceptionReason,
              anomalies: review?.anomalies ?? [],
              proposal: review?.proposal ?? null,
              raisedAt: row.exceptionRaisedAt?.toISOString() ?? null,
              escalatedAt: row.escalatedAt?.toISOString() ?? null,
            }
          : null,
      reviewedAt: row.reviewedAt?.toISOString() ?? null,
      reviewedBy: row.reviewedBy,
      allocations: allocations.map((a) => ({
        invoiceNumber: a.invoiceNumber,
        amount: a.amount,
        matchRule: a.matchRule,
        status: a.status,
        reversalReason: a.reversalReason,
        reversedAt: a.reversedAt?.toISOString() ?? null,
      })),
      workflow,
      links: {
        self: `/v1/reconciliation/payments/${encodeURIComponent(row.paymentId)}`,
        temporalUi: executionUiLink(deps.temporal.uiUrl, deps.temporal.namespace, workflowId, workflow.runId),
      },
    };
  }

  /** The answer of a decision: the workflow's state and the payment as it now is. */
  async function decided(paymentId: string, state: ReconciliationState): Promise<CommandResponse> {
    return { status: 200, body: { state, payment: await paymentView(await loadPayment(paymentId)) } };
  }

  /** Payments waiting for review, newest first. */
  router.get('/v1/reconciliation/exceptions', async (req, res) => {
    const q = parseOr400(exceptionsQuerySchema, req.query);
    const where = [eq(payments.status, 'exception')];
    if (q.customerId) where.push(eq(payments.customerId, q.customerId));
    if (q.escalated === 'true') where.push(sql`${payments.escalatedAt} is not null`);
    if (q.escalated === 'false') where.push(sql`${payments.escalatedAt} is null`);
    const paging = newestFirst(payments.exceptionRaisedAt, payments.paymentId, q);
    const rows = await db
      .select({ row: payments, raisedAt: paging.atText })
      .from(payments)
      .where(and(...where, paging.after))
      .orderBy(...paging.orderBy)
      .limit(paging.fetch);
    const [{ n } = { n: 0 }] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(payments)
      .where(eq(payments.status, 'exception'));
    const { items, nextCursor } = paging.page(rows, (r) => [r.raisedAt, r.row.paymentId]);
    res.json({
      items: items.map(({ row }) => {
        const review = (row.exceptionDetail as ExceptionReview | null) ?? null;
        return {
          paymentId: row.paymentId,
          amount: row.amount,
          unallocated: row.amount - row.amountAllocated,
          currency: row.currency,
          customerId: row.customerId,
          payerName: row.payerName,
          reference: row.reference,
          receivedAt: row.receivedAt.toISOString(),
          reason: row.exceptionReason,
          anomalies: review?.anomalies ?? [],
          proposal: review?.proposal ?? null,
          raisedAt: row.exceptionRaisedAt?.toISOString() ?? null,
          escalatedAt: row.escalatedAt?.toISOString() ?? null,
          links: { self: `/v1/reconciliation/payments/${encodeURIComponent(row.paymentId)}` },
        };
      }),
      total: n,
      nextCursor,
    });
  });

  /** One payment: amounts, status, exception, allocations (reversed ones too) and its workflow. */
  router.get('/v1/reconciliation/payments/:paymentId', async (req, res) => {
    res.json(await paymentView(await loadPayment(paymentIdParam(req))));
  });

  /** An operator's decision on an exception. */
  router.post(
    '/v1/reconciliation/exceptions/:paymentId/resolve',
    command(
      deps,
      'POST /v1/reconciliation/exceptions/:paymentId/resolve',
      async (req): Promise<CommandResponse> => {
        const paymentId = paymentIdParam(req);
        const request = body(resolveBodySchema, req);
        const row = await loadPayment(paymentId);
        if (row.status !== 'exception') {
          throw stateConflict(`Payment ${paymentId} is ${row.status}, not waiting for review.`);
        }
        const state = await update(paymentId, resolveExceptionUpdate, request);
        return decided(paymentId, state);
      },
    ),
  );

  /**
   * Reverses one allocation with a reason; the payment goes back to review. A payment whose workflow
   * has closed gets a new run for it (update-with-start).
   */
  router.post(
    '/v1/reconciliation/payments/:paymentId/unmatch',
    command(
      deps,
      'POST /v1/reconciliation/payments/:paymentId/unmatch',
      async (req): Promise<CommandResponse> => {
        const paymentId = paymentIdParam(req);
        const request = body(unmatchBodySchema, req);
        const row = await loadPayment(paymentId);
        const workflowId = paymentReconciliationWorkflowId(paymentId);
        const input: PaymentReconciliationInput = {
          paymentId,
          cause: {
            source: REST_EVENT_SOURCE,
            id: `unmatch-${paymentId}-${request.invoiceNumber}`,
            correlationId: row.correlationId ?? paymentId,
          },
        };
        let state: ReconciliationState;
        try {
          state = await deps.temporal.client.workflow.executeUpdateWithStart(unmatchAllocationUpdate, {
            args: [request],
            startWorkflowOperation: new WithStartWorkflowOperation(WORKFLOW_TYPES.paymentReconciliation, {
              workflowId,
              taskQueue,
              args: [input],
              workflowIdConflictPolicy: 'USE_EXISTING',
            }),
          });
        } catch (err) {
          refusal(paymentId, err);
        }
        return decided(paymentId, state);
      },
    ),
  );

  return router;
}
