/**
 * reconciliationBatchWorkflow: one run over a small data set where every phase does something: a
 * reference match whose order waits for payment (notified: its workflow is not running), an exact
 * match, a tie below the threshold (an exception: a review is started), and an unmatched payment.
 */
import { paymentReconciliationWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../../domain/names';
import { seedReceivables } from '../../test/support/reconciliation-data';
import type { HistoryScenario } from './scenario';

export const reconciliationBatchScenario: HistoryScenario = {
  name: 'reconciliation-batch',
  settings: { finance: { reconciliation: { batchPageSize: 100 } } },
  async run({ client, taskQueuePrefix, db, save }) {
    const c = 'H-RB-C1';
    const inv = (n: number, total: number, issuedOn: string, orderStatus = 'fulfilled') => ({
      invoiceNumber: `INV-H-RB-O${n}`,
      orderId: `H-RB-O${n}`,
      customerId: c,
      total,
      issuedOn,
      orderStatus,
    });
    const pay = (id: string, amount: number, reference: string | null = null) => ({
      paymentId: id,
      amount,
      customerId: c,
      reference,
      receivedAt: '2026-11-26T10:00:00Z',
    });
    await seedReceivables(db, {
      customers: [c],
      invoices: [
        inv(1, 5_000, '2026-10-01', 'invoiced'),
        inv(2, 3_300, '2026-10-02'),
        inv(3, 2_000, '2026-10-03'),
        inv(4, 2_000, '2026-10-04'),
      ],
      payments: [
        pay('P-H-RB-1', 5_000, 'INV-H-RB-O1'),
        pay('P-H-RB-2', 3_300),
        pay('P-H-RB-3', 2_000),
        pay('P-H-RB-4', 17),
      ],
    });
    const workflowId = 'reconciliation-batch-history';
    await client.workflow.execute(WORKFLOW_TYPES.reconciliationBatch, {
      taskQueue: workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.reconciliationBatch),
      workflowId,
      args: [{ asOf: '2026-11-27' }],
    });
    // the review belongs to the real-time matcher's workflow; not part of this scenario
    await client.workflow
      .getHandle(paymentReconciliationWorkflowId('P-H-RB-3'))
      .terminate('history scenario done')
      .catch(() => undefined);
    return save(workflowId, 'reconciliation-batch');
  },
};
