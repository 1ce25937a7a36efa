/**
 * paymentReconciliationWorkflow: a payment matched by its reference at once; a payment from an
 * unknown payer held for review, escalated when the SLA passes, then resolved by an operator; and
 * the matched payment unmatched later (update-with-start opens a new run) and resolved again.
 */
import { WithStartWorkflowOperation } from '@temporalio/client';
import { customers, invoices, salesOrders } from '../../db/schema';
import type { Db } from '../../db/client';
import { paymentReconciliationWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../../domain/names';
import {
  reconciliationStateQuery,
  resolveExceptionUpdate,
  unmatchAllocationUpdate,
  type PaymentReconciliationInput,
} from '../../domain/reconciliation';
import { eventually } from '../../test/support/harness';
import type { HistoryScenario } from './scenario';

const CUSTOMER = 'C-HISTORY-RECON';
const ORDER = 'O-HISTORY-RECON';
const INVOICE = `INV-${ORDER}`;
const cause = (id: string) => ({ source: 'record-histories', id, correlationId: 'history-reconciliation' });

/** A customer with one open invoice of 5000 (its order imported, so no order workflow runs). */
async function seed(db: Db): Promise<void> {
  const causation = {
    causationSource: 'record-histories',
    causationId: 'seed',
    correlationId: 'history-reconciliation',
  };
  await db
    .insert(customers)
    .values({
      customerId: CUSTOMER,
      name: 'History Recon GmbH',
      currency: 'EUR',
      versionEventSeq: 0,
      ...causation,
    })
    .onConflictDoNothing();
  await db
    .insert(salesOrders)
    .values({
      orderId: ORDER,
      customerId: CUSTOMER,
      status: 'invoiced',
      currency: 'EUR',
      subtotal: 5000,
      total: 5000,
      ...causation,
    })
    .onConflictDoNothing();
  const today = new Date().toISOString().slice(0, 10);
  await db
    .insert(invoices)
    .values({
      invoiceNumber: INVOICE,
      orderId: ORDER,
      customerId: CUSTOMER,
      currency: 'EUR',
      subtotal: 5000,
      total: 5000,
      issuedOn: today,
      dueDate: today,
      ...causation,
    })
    .onConflictDoNothing();
}

export const paymentReconciliationScenario: HistoryScenario = {
  name: 'payment-reconciliation',
  settings: { finance: { reconciliation: { reviewSla: '1 second' } } },
  async run({ client, taskQueuePrefix, db, save }) {
    await seed(db);
    const taskQueue = workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.paymentReconciliation);
    const start = (input: PaymentReconciliationInput) =>
      client.workflow.start(WORKFLOW_TYPES.paymentReconciliation, {
        workflowId: paymentReconciliationWorkflowId(input.paymentId),
        taskQueue,
        args: [input],
      });
    const received = (
      amount: number,
      extra: Partial<NonNullable<PaymentReconciliationInput['received']>>,
    ) => ({
      amount,
      currency: 'EUR',
      receivedAt: new Date().toISOString(),
      method: 'bank_transfer',
      ...extra,
    });

    // matched by its reference at once
    const matched = 'PAY-HISTORY-RECON-1';
    await (
      await start({
        paymentId: matched,
        received: received(5000, { customerId: CUSTOMER, reference: INVOICE }),
        cause: cause('evt-pay-1'),
      })
    ).result();
    const files = await save(paymentReconciliationWorkflowId(matched), 'payment-reconciliation-matched');

    // unknown payer: review, escalation after the SLA, an operator's decision
    const unknown = 'PAY-HISTORY-RECON-2';
    const held = await start({
      paymentId: unknown,
      received: received(1234, { payerName: 'Nobody Known' }),
      cause: cause('evt-pay-2'),
    });
    await eventually(async () => ((await held.query(reconciliationStateQuery)).escalated ? true : undefined));
    await held.executeUpdate(resolveExceptionUpdate, {
      args: [{ allocations: [], creditTo: CUSTOMER, resolvedBy: 'history', note: 'identified by phone' }],
    });
    await held.result();

    // the matched payment unmatched after its workflow closed: a new run, then resolved again
    await client.workflow.executeUpdateWithStart(unmatchAllocationUpdate, {
      args: [{ invoiceNumber: INVOICE, reason: 'recalled by the bank', requestedBy: 'history' }],
      startWorkflowOperation: new WithStartWorkflowOperation(WORKFLOW_TYPES.paymentReconciliation, {
        workflowId: paymentReconciliationWorkflowId(matched),
        taskQueue,
        args: [{ paymentId: matched, cause: cause('unmatch-1') }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
    const reopened = client.workflow.getHandle(paymentReconciliationWorkflowId(matched));
    await reopened.executeUpdate(resolveExceptionUpdate, {
      args: [{ allocations: [{ invoiceNumber: INVOICE, amount: 5000 }], resolvedBy: 'history' }],
    });
    await reopened.result();

    return [
      ...files,
      ...(await save(paymentReconciliationWorkflowId(matched), 'payment-reconciliation-unmatched')),
      ...(await save(paymentReconciliationWorkflowId(unknown), 'payment-reconciliation-review')),
    ];
  },
};
