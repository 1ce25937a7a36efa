/**
 * The reconciliation batch workflow's logic with mocked activities: pages chained by their cursor
 * until one is done, the report summed over them, notifications and reviews only when there is
 * something to tell, and a failing page marks the run failed.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { businessSettingsSchema } from '../../domain/settings';
import {
  EMPTY_RULE_TOTALS,
  type ReconciliationPageResult,
  type ReconciliationRunReport,
} from '../../domain/reconciliation-batch';
import { WORKFLOW_TYPES } from '../../domain/names';
import { workflowTestbed } from '../support/workflow-testbed';
import { uniqueKey } from '../support/harness';

const testbed = workflowTestbed();
const settings = businessSettingsSchema.parse({ finance: { reconciliation: { batchPageSize: 100 } } });

const page = (pageNo: number, over: Partial<ReconciliationPageResult> = {}): ReconciliationPageResult => {
  const matched = EMPTY_RULE_TOTALS();
  matched.reference = { payments: 10, allocations: 10, amount: { EUR: 1000 } };
  return {
    pageNo,
    scanned: 100,
    cursor: `P-${pageNo * 100}`,
    done: false,
    passes: 1,
    matched,
    writeOffs: { count: 1, amount: { EUR: 3 } },
    credits: { count: 0, amount: {} },
    exceptions: { belowThreshold: 0, possibleDuplicates: 0 },
    unmatched: { payments: 90, amount: { EUR: 500 } },
    deferred: 0,
    ordersToNotify: 0,
    dbMs: 5,
    timings: { apply: 2 },
    repeated: false,
    ...over,
  };
};

function mocks(pages: (n: number) => ReconciliationPageResult) {
  return {
    businessSettings: jest.fn(async () => settings),
    startReconciliationRun: jest.fn(async (a: { runId: string }) => ({ runId: a.runId, startedAt: '' })),
    reconcilePaymentsPage: jest.fn(async (a: { pageNo: number; afterPaymentId: string | null }) =>
      pages(a.pageNo),
    ),
    notifyReconciledOrders: jest.fn(async () => ({ signalled: 2, notRunning: 1 })),
    startPaymentReviews: jest.fn(async () => ({ started: 1 })),
    failReconciliationRun: jest.fn(async () => undefined),
    finishReconciliationRun: jest.fn(async (a: { report: Omit<ReconciliationRunReport, 'ageing'> }) => ({
      ...a.report,
      ageing: [],
    })),
  };
}

describe('reconciliationBatchWorkflow', () => {
  it('chains the pages by cursor and sums their counts into the report', async () => {
    const m = mocks((n) =>
      n === 1
        ? page(1, { ordersToNotify: 3 })
        : page(n, { done: n === 3, exceptions: { belowThreshold: n === 2 ? 1 : 0, possibleDuplicates: 0 } }),
    );
    const taskQueue = uniqueKey('recon-unit');
    const result = await testbed.runWorker(taskQueue, m, () =>
      testbed.client.workflow.execute(WORKFLOW_TYPES.reconciliationBatch, {
        taskQueue,
        workflowId: uniqueKey('recon-unit'),
        args: [{ asOf: '2026-11-27' }],
      }),
    );
    expect(m.reconcilePaymentsPage.mock.calls.map(([a]) => [a.pageNo, a.afterPaymentId])).toEqual([
      [1, null],
      [2, 'P-100'],
      [3, 'P-200'],
    ]);
    const report = result.report as ReconciliationRunReport;
    expect(report).toMatchObject({
      asOf: '2026-11-27',
      pageSize: 100,
      pages: 3,
      paymentsScanned: 300,
      matched: { reference: { payments: 30, allocations: 30, amount: { EUR: 3000 } } },
      writeOffs: { count: 3, amount: { EUR: 9 } },
      unallocated: { payments: 270, amount: { EUR: 1500 } },
      exceptions: { belowThreshold: 1, possibleDuplicates: 0, anomalies: 0, reviewsStarted: 1 },
      ordersNotified: { signalled: 2, notRunning: 1 },
      matchParts: { apply: 6 },
    });
    expect(result.runId).toMatch(/^RR-2026-11-27-/);
    expect(m.failReconciliationRun).not.toHaveBeenCalled();
  });

  it('tells no one when nothing needs it, and marks the run failed when a page fails', async () => {
    const quiet = mocks((n) => page(n, { done: true }));
    const q1 = uniqueKey('recon-unit');
    await testbed.runWorker(q1, quiet, () =>
      testbed.client.workflow.execute(WORKFLOW_TYPES.reconciliationBatch, {
        taskQueue: q1,
        workflowId: uniqueKey('recon-unit'),
        args: [{}],
      }),
    );
    expect(quiet.notifyReconciledOrders).not.toHaveBeenCalled();
    expect(quiet.startPaymentReviews).not.toHaveBeenCalled();

    const failing = mocks(() => {
      throw ApplicationFailure.nonRetryable('page broke', 'TestFailure');
    });
    const q2 = uniqueKey('recon-unit');
    await expect(
      testbed.runWorker(q2, failing, () =>
        testbed.client.workflow.execute(WORKFLOW_TYPES.reconciliationBatch, {
          taskQueue: q2,
          workflowId: uniqueKey('recon-unit'),
          args: [{ asOf: '2026-11-27' }],
        }),
      ),
    ).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(failing.failReconciliationRun).toHaveBeenCalledWith(
      expect.objectContaining({ error: expect.stringContaining('page broke') }),
    );
    expect(failing.finishReconciliationRun).not.toHaveBeenCalled();
  });
});
