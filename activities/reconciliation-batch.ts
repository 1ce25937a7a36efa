/**
 * Nightly reconciliation batch activities: the run row, one page of set-based matching per call
 * (db/queries/reconciliation-batch.ts), the order notifications, the exception reviews and the report.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { msToNumber } from '@temporalio/common';
import { and, eq, sql } from 'drizzle-orm';
import { receivablesAgeing } from '../db/queries/ageing';
import { reconcilePage, runPageLists } from '../db/queries/reconciliation-batch';
import { reconciliationRuns } from '../db/schema';
import type { ReconciliationPageResult, ReconciliationRunReport } from '../domain/reconciliation-batch';
import type { PaymentReconciliationInput } from '../domain/reconciliation';
import { invoiceSettlementChangedSignal } from '../domain/sales';
import {
  orderWorkflowId,
  paymentReconciliationWorkflowId,
  WORKFLOW_TYPES,
  workflowTaskQueue,
} from '../domain/names';
import type { ActivityDeps } from './index';

/** Signals and workflow starts in flight at once (the batch must not flood Temporal). */
export const NOTIFY_CONCURRENCY = 16;

/** The correlation id of every row and event a run writes. */
export const runCorrelationId = (runId: string): string => `reconciliation-run/${runId}`;

/** Runs `fn` over `items`, at most `limit` at a time, heartbeating as it goes. */
async function boundedEach<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
      Context.current().heartbeat(next);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function createReconciliationBatchActivities({ db, settings, taskQueuePrefix }: ActivityDeps) {
  const rs = settings.finance.reconciliation;
  return {
    /** Creates the run row once (the run id is the key); answers the stored start time. */
    async startReconciliationRun(input: {
      runId: string;
      asOf: string;
      workflowId: string;
      workflowRunId: string;
    }): Promise<{ runId: string; startedAt: string }> {
      await db
        .insert(reconciliationRuns)
        .values({
          id: input.runId,
          asOf: input.asOf,
          workflowId: input.workflowId,
          workflowRunId: input.workflowRunId,
        })
        .onConflictDoNothing({ target: reconciliationRuns.id });
      const [row] = await db.select().from(reconciliationRuns).where(eq(reconciliationRuns.id, input.runId));
      if (!row) throw new Error(`reconciliation run ${input.runId} neither inserted nor found`);
      return { runId: row.id, startedAt: row.startedAt.toISOString() };
    },

    /**
     * Matches one page of payments in one transaction (set-based), heartbeating between statements.
     * A retry of a committed page answers the stored result and writes nothing.
     */
    async reconcilePaymentsPage(input: {
      runId: string;
      pageNo: number;
      afterPaymentId: string | null;
    }): Promise<ReconciliationPageResult> {
      const ctx = Context.current();
      return db.transaction(async (tx) => {
        // the page's statements run long on a big page; nothing else in the transaction needs more
        await tx.execute(sql`set local work_mem = '64MB'`);
        return reconcilePage(tx, {
          runId: input.runId,
          pageNo: input.pageNo,
          afterPaymentId: input.afterPaymentId,
          pageSize: rs.batchPageSize,
          settings: {
            referencePattern: rs.referencePattern,
            lookBackDays: rs.lookBackDays,
            tolerancePercent: rs.tolerancePercent,
            toleranceAmount: rs.toleranceAmount,
            confidenceThreshold: rs.confidenceThreshold,
            historyFactor: rs.historyFactor,
            historyMinPayments: rs.historyMinPayments,
            duplicateWindowMs: msToNumber(rs.duplicateWindow),
          },
          correlationId: runCorrelationId(input.runId),
          progress: (step) => ctx.heartbeat({ pageNo: input.pageNo, step }),
        });
      });
    },

    /**
     * Tells the running order workflows whose invoices the run allocated (orders that were waiting
     * for payment) to re-read their invoice. An order without a running workflow is counted, not an
     * error. Signals are idempotent for the order (it re-reads), so a retry may send them again.
     */
    async notifyReconciledOrders(input: {
      runId: string;
    }): Promise<{ signalled: number; notRunning: number }> {
      const { notify } = await runPageLists(db, input.runId);
      const client = Context.current().client;
      let signalled = 0;
      let notRunning = 0;
      await boundedEach(notify, NOTIFY_CONCURRENCY, async (n) => {
        try {
          await client.workflow.getHandle(orderWorkflowId(n.orderId)).signal(invoiceSettlementChangedSignal, {
            invoiceNumber: n.invoiceNumber,
            paymentId: n.paymentId,
            change: 'allocated',
            cause: {
              source: 'erp/reconciliation-batch',
              id: input.runId,
              correlationId: runCorrelationId(input.runId),
            },
          });
          signalled++;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          notRunning++;
        }
      });
      return { signalled, notRunning };
    },

    /**
     * Starts (or finds) the payment-reconciliation workflow of every exception the run raised, with
     * the review (reasons, anomalies, the rules' proposal). USE_EXISTING: a retry starts nothing twice.
     */
    async startPaymentReviews(input: { runId: string }): Promise<{ started: number }> {
      const { exceptions } = await runPageLists(db, input.runId);
      const client = Context.current().client;
      const taskQueue = workflowTaskQueue(taskQueuePrefix, WORKFLOW_TYPES.paymentReconciliation);
      let started = 0;
      await boundedEach(exceptions, NOTIFY_CONCURRENCY, async (e) => {
        const args: PaymentReconciliationInput = {
          paymentId: e.paymentId,
          review: e.review,
          cause: {
            source: 'erp/reconciliation-batch',
            id: input.runId,
            correlationId: runCorrelationId(input.runId),
          },
        };
        await client.workflow.start(WORKFLOW_TYPES.paymentReconciliation, {
          workflowId: paymentReconciliationWorkflowId(e.paymentId),
          taskQueue,
          args: [args],
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        started++;
      });
      return { started };
    },

    /** Marks a run failed (the workflow failed after creating it), keeping what its pages committed. */
    async failReconciliationRun(input: { runId: string; error: string }): Promise<void> {
      await db
        .update(reconciliationRuns)
        .set({ status: 'failed', finishedAt: sql`now()`, report: { error: input.error.slice(0, 2000) } })
        .where(and(eq(reconciliationRuns.id, input.runId), eq(reconciliationRuns.status, 'running')));
    },

    /** Adds the receivables ageing to the report and stores it on the run (completed). */
    async finishReconciliationRun(input: {
      report: Omit<ReconciliationRunReport, 'ageing'>;
    }): Promise<ReconciliationRunReport> {
      const t0 = Date.now();
      const ageing = await receivablesAgeing(db, input.report.asOf);
      const phases = { ...input.report.phases, report: Date.now() - t0 };
      phases.total += phases.report;
      const report: ReconciliationRunReport = { ...input.report, ageing, phases };
      await db
        .update(reconciliationRuns)
        .set({
          status: 'completed',
          finishedAt: sql`coalesce(${reconciliationRuns.finishedAt}, now())`,
          report,
        })
        .where(eq(reconciliationRuns.id, input.report.runId));
      return report;
    },
  };
}
