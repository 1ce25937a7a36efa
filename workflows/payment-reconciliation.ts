/**
 * The reconciliation of one received payment (`payment-<paymentId>`, finance queue): record it, match
 * it by the ranked rules, and allocate a sure match at once, telling the orders it pays. A flagged or
 * unsure payment is an exception that waits for an operator's `resolve` update under the review SLA,
 * escalating (alert and finance task) when the SLA passes. `unmatch` reverses an allocation with a
 * stored reason and puts the payment back in review; after the workflow has closed it is sent with
 * update-with-start, which opens a new run for it.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  reconciliationStateQuery,
  resolveExceptionUpdate,
  unmatchAllocationUpdate,
  type AppliedAllocation,
  type ExceptionReview,
  type PaymentReconciliationInput,
  type ReconciliationState,
} from '../domain/reconciliation';
import type { InvoiceSettlementChanged } from '../domain/sales';
import { loadSettings } from './settings';
import { ACTIVITY_PRESETS } from './presets';

const acts = proxyActivities<Activities>(ACTIVITY_PRESETS.short);
/** Commands an operator waits for: a refusal (bad allocation) must come back, not be retried. */
const commands = proxyActivities<Activities>({
  ...ACTIVITY_PRESETS.short,
  retry: { ...ACTIVITY_PRESETS.short.retry, maximumAttempts: 5 },
});

/** An activity's business refusal, passed on to the caller of the update with its type and message. */
function asRefusal(err: unknown): never {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type ?? 'Refused');
  }
  throw err;
}

export async function paymentReconciliationWorkflow(
  input: PaymentReconciliationInput,
): Promise<ReconciliationState> {
  const { paymentId, cause } = input;
  // a run opened for a command on a closed payment starts settled, so the command's validator admits it
  const reopened = !input.received && !input.review;
  const state: ReconciliationState = {
    paymentId,
    status: reopened ? 'settled' : 'matching',
    escalated: false,
    allocations: [],
  };
  let handled = 0;
  let busy = false;

  const settlementChanges = (applied: AppliedAllocation[], change: InvoiceSettlementChanged['change']) =>
    applied.map((a) => ({ orderId: a.orderId, invoiceNumber: a.invoiceNumber, paymentId, change, cause }));

  async function toReview(review: ExceptionReview): Promise<void> {
    await acts.raisePaymentException({ paymentId, review, cause });
    state.review = review;
    state.escalated = false;
    state.status = 'awaiting_review';
  }

  setHandler(reconciliationStateQuery, () => state);
  setHandler(
    resolveExceptionUpdate,
    async (request) => {
      busy = true;
      try {
        const result = await commands.resolvePaymentException({ paymentId, request, cause }).catch(asRefusal);
        state.allocations.push(
          ...result.allocations.map(({ invoiceNumber, amount }) => ({ invoiceNumber, amount })),
        );
        state.status = 'resolved';
        await acts.notifyOrders({ changes: settlementChanges(result.allocations, 'allocated') });
        return state;
      } finally {
        busy = false;
        handled++;
      }
    },
    {
      validator: (request) => {
        if (state.status !== 'awaiting_review' || busy) {
          throw new Error(
            `payment ${paymentId} is ${busy ? 'being changed' : state.status}, not awaiting review`,
          );
        }
        if (!request.resolvedBy) throw new Error('resolvedBy is required');
      },
    },
  );
  setHandler(
    unmatchAllocationUpdate,
    async (request) => {
      busy = true;
      try {
        const result = await commands
          .unmatchPaymentAllocation({ paymentId, request, cause })
          .catch(asRefusal);
        state.allocations = state.allocations.filter((a) => a.invoiceNumber !== request.invoiceNumber);
        state.review = result.review;
        state.escalated = false;
        state.status = 'awaiting_review';
        if (!result.repeated) {
          await acts.notifyOrders({
            changes: [
              {
                orderId: result.orderId,
                invoiceNumber: request.invoiceNumber,
                paymentId,
                change: 'reversed',
                cause,
              },
            ],
          });
        }
        return state;
      } finally {
        busy = false;
        handled++;
      }
    },
    {
      validator: (request) => {
        if (state.status === 'matching' || busy) {
          throw new Error(`payment ${paymentId} is ${busy ? 'being changed' : 'still being matched'}`);
        }
        if (!request.reason.trim()) throw new Error('a reason is required to unmatch an allocation');
      },
    },
  );

  // handlers first: an update sent with the start (update-with-start) finds them in the first task
  const { finance } = await loadSettings();

  if (input.received) {
    const decision = await acts.matchPayment(input);
    switch (decision.kind) {
      case 'matched': {
        const applied = await acts.applyMatch({ paymentId, proposal: decision.proposal, cause });
        state.allocations = applied.map(({ invoiceNumber, amount }) => ({ invoiceNumber, amount }));
        state.status = 'matched';
        await acts.notifyOrders({ changes: settlementChanges(applied, 'allocated') });
        break;
      }
      case 'handover':
        if (await acts.handOverToOrder({ orderId: decision.orderId, input })) {
          state.status = 'handed_over';
        } else {
          await toReview({
            reasons: [`the reference names order ${decision.orderId}, whose workflow is not running`],
            anomalies: [],
            proposal: null,
          });
        }
        break;
      case 'exception':
        await toReview(decision.review);
        break;
      case 'unapplied':
        state.status = 'unapplied';
        break;
      case 'settled':
        state.status = 'settled';
        break;
    }
  } else if (input.review) {
    await toReview(input.review);
  } else {
    // opened by update-with-start for a command on a closed payment: the command runs first (a
    // command its validator refused never runs; the run then closes)
    await condition(() => handled > 0, '1 minute');
  }

  // the review: escalate once when the SLA passes; an unmatch puts the payment back under a new SLA
  for (;;) {
    await condition(() => !busy);
    if (state.status !== 'awaiting_review') break;
    if (state.escalated) {
      await condition(() => busy || state.status !== 'awaiting_review' || !state.escalated);
      continue;
    }
    const decided = await condition(
      () => busy || state.status !== 'awaiting_review',
      finance.reconciliation.reviewSla,
    );
    if (!decided) {
      await acts.escalatePaymentException({ paymentId, cause });
      state.escalated = true;
    }
  }
  await condition(allHandlersFinished);
  return state;
}
