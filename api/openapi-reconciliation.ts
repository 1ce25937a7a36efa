/** OpenAPI paths of payment reconciliation for people: exceptions, resolution, unmatching. */
import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { idSchema } from '../domain/events/primitives';
import { ANOMALY_KINDS, MATCH_RULES } from '../domain/reconciliation';
import { exceptionsQuerySchema, resolveBodySchema, unmatchBodySchema } from './reconciliation';
import {
  commandProblems,
  commandResponseHeaders,
  idempotencyHeaders,
  json,
  problem,
  workflowRefSchema,
} from './openapi-common';

const TAG = 'reconciliation';
const paymentParams = z.object({ paymentId: idSchema });

const allocationSchema = z.object({ invoiceNumber: z.string(), amount: z.number().int() });
const proposalSchema = z
  .object({
    rule: z.enum(MATCH_RULES),
    allocations: z.array(allocationSchema),
    writeOff: allocationSchema.optional(),
    credit: z.number().int(),
    confidence: z.number().meta({ description: '0..1: reference 0.4, party 0.4, amount 0.3, a tie −0.2.' }),
    reasons: z.array(z.string()),
  })
  .meta({ id: 'MatchProposal' });

/** The payment's own fields, shared by the inbox and the payment view. */
const paymentFields = {
  paymentId: z.string(),
  amount: z.number().int(),
  unallocated: z.number().int(),
  currency: z.string(),
  customerId: z.string().nullable(),
  payerName: z.string().nullable(),
  reference: z.string().nullable(),
  receivedAt: z.string(),
};
const reviewFields = {
  anomalies: z.array(z.enum(ANOMALY_KINDS)),
  proposal: proposalSchema.nullable().meta({ description: 'The best match found, if any.' }),
  raisedAt: z.string().nullable(),
  escalatedAt: z.string().nullable().meta({ description: 'When the review SLA passed.' }),
};

const exceptionSchema = z
  .object({
    ...paymentFields,
    reason: z.string().nullable(),
    ...reviewFields,
    links: z.object({ self: z.string() }),
  })
  .meta({ id: 'ReconciliationException' });

const paymentSchema = z
  .object({
    ...paymentFields,
    amountAllocated: z.number().int(),
    method: z.string(),
    status: z.enum(['unallocated', 'partially_allocated', 'allocated', 'exception', 'refunded']),
    exception: z.object({ reason: z.string().nullable(), ...reviewFields }).nullable(),
    reviewedAt: z.string().nullable(),
    reviewedBy: z.string().nullable(),
    allocations: z.array(
      z.object({
        invoiceNumber: z.string(),
        amount: z.number().int(),
        matchRule: z.string().nullable(),
        status: z.enum(['active', 'reversed']),
        reversalReason: z.string().nullable(),
        reversedAt: z.string().nullable(),
      }),
    ),
    workflow: workflowRefSchema,
    links: z.object({ self: z.string(), temporalUi: z.string() }),
  })
  .meta({ id: 'ReconciledPayment' });

const stateSchema = z
  .object({
    paymentId: z.string(),
    status: z.enum([
      'matching',
      'matched',
      'handed_over',
      'unapplied',
      'settled',
      'awaiting_review',
      'resolved',
    ]),
    escalated: z.boolean(),
    allocations: z.array(allocationSchema),
  })
  .passthrough()
  .meta({ id: 'ReconciliationState' });

const decision = z
  .object({ state: stateSchema, payment: paymentSchema })
  .meta({ id: 'ReconciliationDecision' });

export function registerReconciliationPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/reconciliation/exceptions',
    tags: [TAG],
    summary: 'Payments waiting for review (flagged, or below the confidence threshold), newest first.',
    request: { query: exceptionsQuerySchema },
    responses: {
      200: {
        description: 'A page of exceptions, and how many there are in all.',
        content: json(
          z.object({
            items: z.array(exceptionSchema),
            total: z.number().int(),
            nextCursor: z.string().nullable(),
          }),
        ),
      },
      400: problem('Invalid query.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/reconciliation/payments/{paymentId}',
    tags: [TAG],
    summary: 'One payment: amounts, status, exception, allocations (reversed ones too), its workflow.',
    request: { params: paymentParams },
    responses: {
      200: { description: 'The payment.', content: json(paymentSchema) },
      404: problem('No such payment.'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/reconciliation/exceptions/{paymentId}/resolve',
    tags: [TAG],
    summary: 'An operator’s decision on an exception (update `resolve`): allocations, the rest to credit.',
    description:
      'Validated against the current amounts: an allocation never exceeds the invoice’s outstanding amount, ' +
      'and together they never exceed the payment’s unallocated amount. A refusal changes nothing.',
    request: {
      params: paymentParams,
      headers: idempotencyHeaders,
      body: { content: json(resolveBodySchema) },
    },
    responses: {
      200: { description: 'Resolved.', headers: commandResponseHeaders, content: json(decision) },
      400: problem('Invalid body.'),
      404: problem('No such payment.'),
      422: problem(
        'The allocations do not fit (each problem in `errors`), or the Idempotency-Key was used for a different request.',
      ),
      ...commandProblems,
      409: problem('The payment is not waiting for review.'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/reconciliation/payments/{paymentId}/unmatch',
    tags: [TAG],
    summary:
      'Reverse one allocation with a reason (update `unmatch`): reversing entries, payment back to review.',
    request: {
      params: paymentParams,
      headers: idempotencyHeaders,
      body: { content: json(unmatchBodySchema) },
    },
    responses: {
      200: { description: 'Unmatched.', headers: commandResponseHeaders, content: json(decision) },
      400: problem('Invalid body.'),
      404: problem('No such payment, or no allocation of it to that invoice.'),
      422: problem('The Idempotency-Key was used for a different request.'),
      ...commandProblems,
      409: problem('The payment is being matched or changed.'),
    },
  });
}
