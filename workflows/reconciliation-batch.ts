/**
 * The nightly reconciliation batch (finance queue; run by the `reconciliation-nightly` Schedule):
 * creates a run, matches every unallocated or partially allocated payment page by page (one
 * set-based activity per page, heartbeating), signals the orders it paid, starts a review for every
 * exception, and stores the run report (counts and amounts per rule, write-offs, credits,
 * exceptions, what is left unallocated, receivables ageing, phase durations).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  addAmounts,
  EMPTY_RULE_TOTALS,
  type AutoRule,
  type ReconciliationBatchInput,
  type ReconciliationPageResult,
  type ReconciliationRunReport,
} from '../domain/reconciliation-batch';
import type { ReconciliationSettings } from '../domain/settings';
import { loadSettings } from './settings';
import { ACTIVITY_PRESETS } from './presets';

const { startReconciliationRun, finishReconciliationRun, failReconciliationRun } =
  proxyActivities<Activities>(ACTIVITY_PRESETS.short);

/** A page can take seconds on a big data set: long start-to-close, liveness by heartbeat. */
const { reconcilePaymentsPage, notifyReconciledOrders, startPaymentReviews } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
  },
});

const scheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

/** The day the run is for: the input's, else the Schedule's scheduled time, else the start time (UTC). */
function runDay(input: ReconciliationBatchInput): string {
  if (input.asOf) return input.asOf;
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(scheduledStartTime);
  return (scheduled ?? info.startTime).toISOString().slice(0, 10);
}

export async function reconciliationBatchWorkflow(
  input: ReconciliationBatchInput = {},
): Promise<{ runId: string; report: ReconciliationRunReport }> {
  const t0 = Date.now();
  const settings = await loadSettings();
  const rs = settings.finance.reconciliation;
  const asOf = runDay(input);
  const info = workflowInfo();
  const runId = `RR-${asOf}-${uuid4().slice(0, 8)}`;
  await startReconciliationRun({ runId, asOf, workflowId: info.workflowId, workflowRunId: info.runId });
  try {
    return await reconcile(runId, asOf, rs, t0);
  } catch (err) {
    // the run row says so; what committed pages did stays (each page is whole and idempotent)
    await failReconciliationRun({ runId, error: failureText(err) });
    throw err;
  }
}

/** The failure and its causes, e.g. `Activity task failed: page broke`. */
function failureText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return parts.length ? parts.join(': ') : String(err);
}

async function reconcile(
  runId: string,
  asOf: string,
  rs: ReconciliationSettings,
  t0: number,
): Promise<{ runId: string; report: ReconciliationRunReport }> {
  const t1 = Date.now();

  const matched = EMPTY_RULE_TOTALS();
  const report: Omit<ReconciliationRunReport, 'ageing'> = {
    runId,
    asOf,
    pageSize: rs.batchPageSize,
    pages: 0,
    paymentsScanned: 0,
    confidenceThreshold: rs.confidenceThreshold,
    matched,
    writeOffs: { count: 0, amount: {} },
    credits: { count: 0, amount: {} },
    exceptions: { belowThreshold: 0, possibleDuplicates: 0, anomalies: 0, reviewsStarted: 0 },
    unallocated: { payments: 0, amount: {} },
    deferred: 0,
    ordersNotified: { signalled: 0, notRunning: 0 },
    phases: { start: t1 - t0, match: 0, matchDb: 0, notify: 0, exceptions: 0, report: 0, total: 0 },
    matchParts: {},
  };

  let cursor: string | null = null;
  let ordersToNotify = 0;
  for (let pageNo = 1; ; pageNo++) {
    const page: ReconciliationPageResult = await reconcilePaymentsPage({
      runId,
      pageNo,
      afterPaymentId: cursor,
    });
    report.pages = pageNo;
    report.paymentsScanned += page.scanned;
    for (const rule of Object.keys(matched) as AutoRule[]) {
      matched[rule].payments += page.matched[rule].payments;
      matched[rule].allocations += page.matched[rule].allocations;
      addAmounts(matched[rule].amount, page.matched[rule].amount);
    }
    report.writeOffs.count += page.writeOffs.count;
    addAmounts(report.writeOffs.amount, page.writeOffs.amount);
    report.credits.count += page.credits.count;
    addAmounts(report.credits.amount, page.credits.amount);
    report.exceptions.belowThreshold += page.exceptions.belowThreshold;
    report.exceptions.possibleDuplicates += page.exceptions.possibleDuplicates;
    report.exceptions.anomalies += page.exceptions.anomalies ?? 0;
    report.unallocated.payments += page.unmatched.payments;
    addAmounts(report.unallocated.amount, page.unmatched.amount);
    report.deferred += page.deferred;
    report.phases.matchDb += page.dbMs;
    addAmounts(report.matchParts, page.timings);
    ordersToNotify += page.ordersToNotify;
    cursor = page.cursor;
    if (page.done) break;
  }
  const t2 = Date.now();
  report.phases.match = t2 - t1;

  if (ordersToNotify > 0) report.ordersNotified = await notifyReconciledOrders({ runId });
  const t3 = Date.now();
  report.phases.notify = t3 - t2;

  const { belowThreshold, possibleDuplicates, anomalies } = report.exceptions;
  if (belowThreshold + possibleDuplicates + anomalies > 0) {
    report.exceptions.reviewsStarted = (await startPaymentReviews({ runId })).started;
  }
  const t4 = Date.now();
  report.phases.exceptions = t4 - t3;
  report.phases.total = t4 - t0;

  return { runId, report: await finishReconciliationRun({ report }) };
}
