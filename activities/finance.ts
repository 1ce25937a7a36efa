/**
 * Payment reconciliation activities: record and match a received payment, apply a match, raise and
 * escalate exceptions, an operator's resolution, unmatching; and telling the orders concerned.
 * Every write is idempotent (payment id, journal keys `payment/<payment>/<invoice>`, outbox keys).
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { invoices, payments, salesOrders, type PaymentRow } from '../db/schema';
import { lockOrderPayments, recordPayment } from '../db/queries/receivables';
import {
  anomaliesOf,
  applyAllocations,
  candidatesFor,
  creditRemainder,
  escalateException,
  identifyPayer,
  raiseException,
  ReconciliationError,
  reverseAllocation,
  toMatch,
  validateResolution,
  type AppliedAllocation,
} from '../db/queries/reconciliation';
import { orderWorkflowId } from '../domain/names';
import {
  proposeMatch,
  type ExceptionReview,
  type MatchDecision,
  type PaymentReconciliationInput,
  type Proposal,
  type ResolveRequest,
  type UnmatchRequest,
} from '../domain/reconciliation';
import {
  invoiceNumberFor,
  invoiceSettlementChangedSignal,
  orderIdFromReference,
  paymentReceivedSignal,
  type InvoiceSettlementChanged,
} from '../domain/sales';
import type { EventRef } from '../domain/inventory';
import type { Tx } from '../db/client';
import type { ActivityDeps } from './index';

/** A business refusal as a non-retryable failure the workflow (and the API) can name. */
function refuse(err: unknown): never {
  if (err instanceof ReconciliationError) throw ApplicationFailure.nonRetryable(err.message, err.type);
  throw err;
}

async function lockPayment(tx: Tx, paymentId: string): Promise<PaymentRow> {
  const [row] = await tx.select().from(payments).where(eq(payments.paymentId, paymentId)).for('update');
  if (!row) throw ApplicationFailure.nonRetryable(`payment ${paymentId} not found`, 'UnknownPayment');
  return row;
}

export function createFinanceActivities({ db, settings }: ActivityDeps) {
  const rules = settings.finance.reconciliation;

  /** The review of a payment that is flagged or unsure, with its best proposal (if any). */
  function review(reasons: string[], anomalies: ExceptionReview['anomalies'], proposal: Proposal | null) {
    return { kind: 'exception', review: { reasons, anomalies, proposal } } as const;
  }

  return {
    /**
     * Records a received payment (once per payment id) and decides: a sure match, a hand-over to an
     * order not invoiced yet, an exception for review, or unapplied cash. Writes only the payment row;
     * a retry or a redelivered event decides again from what is stored.
     */
    async matchPayment(input: PaymentReconciliationInput): Promise<MatchDecision> {
      const received = input.received;
      if (!received)
        throw ApplicationFailure.nonRetryable('matchPayment needs the received payment', 'BadInput');
      return db.transaction(async (tx) => {
        let knownCustomer: string | null = null;
        if (received.customerId) {
          const { rows } = await tx.execute(
            sql`select 1 from customers where customer_id = ${received.customerId}`,
          );
          if (rows.length > 0) knownCustomer = received.customerId;
        }
        await recordPayment(tx, {
          paymentId: input.paymentId,
          ...received,
          customerId: knownCustomer,
          cause: input.cause,
        });
        const payment = await lockPayment(tx, input.paymentId);
        if (payment.reviewedAt)
          return { kind: 'settled', reason: `reviewed by ${payment.reviewedBy ?? 'an operator'}` };
        if (payment.status === 'exception' && payment.exceptionDetail) {
          return { kind: 'exception', review: payment.exceptionDetail as ExceptionReview };
        }
        if (payment.status !== 'unallocated')
          return { kind: 'settled', reason: `payment is ${payment.status}` };

        // a payment naming an order's invoice: decided under the order's payment lock, so an order
        // that invoices meanwhile either sees this payment when it claims or is seen here
        const named = orderIdFromReference(payment.reference);
        if (named) await lockOrderPayments(tx, named);
        const payer = await identifyPayer(tx, payment);
        const { anomalies, reasons } = await anomaliesOf(tx, payment, payer, rules);
        if (received.customerId && !knownCustomer) {
          reasons.unshift(`customer ${received.customerId} named by the payment is not known`);
        }
        const candidates = await candidatesFor(tx, payment, payer, rules);
        const proposal = proposeMatch(toMatch(payment, payer), candidates, rules);
        if (anomalies.length > 0) return review(reasons, anomalies, proposal);

        if (!proposal) {
          // the reference names the invoice of an order that has not invoiced yet: the order takes it
          const orderId = orderIdFromReference(payment.reference);
          if (orderId) {
            const [order] = await tx.select().from(salesOrders).where(eq(salesOrders.orderId, orderId));
            const [invoice] = await tx
              .select({ n: invoices.invoiceNumber })
              .from(invoices)
              .where(eq(invoices.invoiceNumber, invoiceNumberFor(orderId)));
            if (order && !invoice && order.customerId === payer && order.currency === payment.currency) {
              if (!['cancelling', 'cancelled'].includes(order.status)) return { kind: 'handover', orderId };
            }
          }
          if (candidates.length === 0) {
            return {
              kind: 'unapplied',
              reason: `customer ${payer} has no open invoice in ${payment.currency}`,
            };
          }
          return review(['no rule matched an open invoice of the payer'], [], null);
        }
        if (proposal.confidence < rules.confidenceThreshold) {
          return review(
            [`confidence ${proposal.confidence} is below ${rules.confidenceThreshold} (${proposal.rule})`],
            [],
            proposal,
          );
        }
        return { kind: 'matched', proposal };
      });
    },

    /** Applies a sure match: allocations, write-off, credit; the orders' paid amounts follow. */
    async applyMatch(a: {
      paymentId: string;
      proposal: Proposal;
      cause: EventRef;
    }): Promise<AppliedAllocation[]> {
      return db.transaction((tx) =>
        applyAllocations(tx, {
          paymentId: a.paymentId,
          rule: a.proposal.rule,
          allocations: a.proposal.allocations,
          ...(a.proposal.writeOff ? { writeOff: a.proposal.writeOff } : {}),
          credit: a.proposal.credit,
          cause: a.cause,
        }),
      );
    },

    /** Marks the payment an exception (announced once); idempotent. */
    async raisePaymentException(a: {
      paymentId: string;
      review: ExceptionReview;
      cause: EventRef;
    }): Promise<void> {
      await db.transaction((tx) => raiseException(tx, a.paymentId, a.review, a.cause));
    },

    /** The review SLA passed: alert and finance task, once. */
    async escalatePaymentException(a: { paymentId: string; cause: EventRef }): Promise<boolean> {
      return db.transaction((tx) => escalateException(tx, a.paymentId, a.cause));
    },

    /**
     * An operator's decision: validated against the current amounts (never more than the payment's
     * unallocated or an invoice's outstanding amount), then applied as manual allocations, the rest to
     * a customer's credit if asked. Refused as a whole with every problem named.
     */
    async resolvePaymentException(a: { paymentId: string; request: ResolveRequest; cause: EventRef }) {
      const cause = a.request.cause ?? a.cause;
      return db
        .transaction(async (tx) => {
          const payment = await lockPayment(tx, a.paymentId);
          if (payment.status !== 'exception') {
            throw new ReconciliationError(
              'NotInReview',
              `payment ${a.paymentId} is ${payment.status}, not in review`,
            );
          }
          const problems = await validateResolution(tx, payment, a.request.allocations, a.request.creditTo);
          if (problems.length > 0) throw new ReconciliationError('InvalidResolution', problems.join('; '));
          const applied = await applyAllocations(tx, {
            paymentId: a.paymentId,
            rule: 'manual',
            allocations: a.request.allocations,
            credit: 0,
            cause,
          });
          const credited = a.request.creditTo
            ? await creditRemainder(tx, { paymentId: a.paymentId, customerId: a.request.creditTo, cause })
            : 0;
          const [after] = await tx.select().from(payments).where(eq(payments.paymentId, a.paymentId));
          const allocated = after?.amountAllocated ?? 0;
          await tx
            .update(payments)
            .set({
              status:
                allocated + credited >= payment.amount || a.request.creditTo
                  ? 'allocated'
                  : allocated > 0
                    ? 'partially_allocated'
                    : 'unallocated',
              customerId: payment.customerId ?? a.request.creditTo ?? null,
              reviewedAt: sql`now()`,
              reviewedBy: a.request.resolvedBy,
              updatedAt: sql`now()`,
            })
            .where(eq(payments.paymentId, a.paymentId));
          return { allocations: applied, credited };
        })
        .catch(refuse);
    },

    /** Unmatches one allocation (reversing entry, stored reason); the payment goes back to review. */
    async unmatchPaymentAllocation(a: { paymentId: string; request: UnmatchRequest; cause: EventRef }) {
      const cause = a.request.cause ?? a.cause;
      return db
        .transaction(async (tx) => {
          const result = await reverseAllocation(tx, {
            paymentId: a.paymentId,
            invoiceNumber: a.request.invoiceNumber,
            reason: a.request.reason,
            by: a.request.requestedBy,
            cause,
          });
          const payment = await lockPayment(tx, a.paymentId);
          const review: ExceptionReview = {
            reasons: [
              `allocation to ${a.request.invoiceNumber} unmatched by ${a.request.requestedBy}: ${a.request.reason}`,
            ],
            anomalies: [],
            proposal: null,
          };
          if (payment.status !== 'exception') await raiseException(tx, a.paymentId, review, cause);
          return { ...result, review };
        })
        .catch(refuse);
    },

    /** Tells the orders whose invoices changed; an order whose workflow has closed is left alone. */
    async notifyOrders(a: { changes: (InvoiceSettlementChanged & { orderId: string })[] }): Promise<number> {
      const client = Context.current().client;
      let told = 0;
      for (const { orderId, ...change } of a.changes) {
        if (!orderId) continue;
        try {
          await client.workflow
            .getHandle(orderWorkflowId(orderId))
            .signal(invoiceSettlementChangedSignal, change);
          told++;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          log.info('order workflow not running; its row is already in step', { orderId });
        }
      }
      return told;
    },

    /** Hands a payment to the order it names, which applies it once it invoices. */
    async handOverToOrder(a: { orderId: string; input: PaymentReconciliationInput }): Promise<boolean> {
      const r = a.input.received;
      if (!r) return false;
      try {
        await Context.current()
          .client.workflow.getHandle(orderWorkflowId(a.orderId))
          .signal(paymentReceivedSignal, {
            paymentId: a.input.paymentId,
            amount: r.amount,
            currency: r.currency,
            ...(r.customerId ? { customerId: r.customerId } : {}),
            ...(r.payerName ? { payerName: r.payerName } : {}),
            ...(r.reference ? { reference: r.reference } : {}),
            receivedAt: r.receivedAt,
            method: r.method,
            cause: a.input.cause,
          });
        return true;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
  };
}
