/**
 * The nightly reconciliation batch (DOMAIN.md: payment reconciliation): its input, the result of one
 * matched page and the run report. Sandbox-safe: the batch workflow imports these types.
 */
import type { ExceptionReview, MatchRule } from './reconciliation';

export interface ReconciliationBatchInput {
  /** The business day the run is for (YYYY-MM-DD); default: the day of the workflow's start. */
  asOf?: string;
}

/** Minor units per currency: amounts are never summed across currencies. */
export type AmountByCurrency = Record<string, number>;

/** Receivables ageing of one currency (the shape of db/queries/ageing.ts receivablesAgeing). */
export interface AgeingByCurrency {
  currency: string;
  buckets: Record<
    'current' | 'days1to30' | 'days31to60' | 'days61to90' | 'over90',
    { amount: number; invoices: number }
  >;
  total: number;
}

export type AutoRule = Exclude<MatchRule, 'manual'>;

export interface RuleTotals {
  /** Payments matched by the rule. */
  payments: number;
  /** Allocations written (one per payment and invoice). */
  allocations: number;
  amount: AmountByCurrency;
}

/** What one page did; stored with the page, so a retried page answers the same. */
export interface ReconciliationPageResult {
  pageNo: number;
  /** Payments read by the page (unallocated or partially allocated, after the cursor). */
  scanned: number;
  /** The last payment id of the page: the next page starts after it. */
  cursor: string | null;
  /** No payment after the cursor. */
  done: boolean;
  /** Matching passes run (a payment that lost an invoice to a lower payment id waits for the next pass). */
  passes: number;
  matched: Record<AutoRule, RuleTotals>;
  writeOffs: { count: number; amount: AmountByCurrency };
  credits: { count: number; amount: AmountByCurrency };
  /** belowThreshold: no anomaly; anomalies: flagged by any (possibleDuplicates among them). */
  exceptions: { belowThreshold: number; possibleDuplicates: number; anomalies?: number };
  /** Payments no rule matched: left as they were (unallocated or partially allocated). */
  unmatched: { payments: number; amount: AmountByCurrency };
  /** Payments still contended after the last pass: left for the next run. */
  deferred: number;
  /** Orders waiting for payment whose invoice the page allocated (to be signalled). */
  ordersToNotify: number;
  /** Time spent in the page's transaction, milliseconds (measured by the activity). */
  dbMs: number;
  /** Milliseconds per part of the page: read, propose, apply, exceptions, ledgerCheck. */
  timings: Record<string, number>;
  /** True when the page had been committed before (a retry): nothing was written now. */
  repeated: boolean;
}

/** One exception raised by the batch: the payment and why it waits for an operator. */
export interface BatchException {
  paymentId: string;
  review: ExceptionReview;
}

export interface ReconciliationRunReport {
  runId: string;
  asOf: string;
  pageSize: number;
  pages: number;
  paymentsScanned: number;
  confidenceThreshold: number;
  matched: Record<AutoRule, RuleTotals>;
  writeOffs: { count: number; amount: AmountByCurrency };
  credits: { count: number; amount: AmountByCurrency };
  exceptions: {
    belowThreshold: number;
    possibleDuplicates: number;
    anomalies: number;
    reviewsStarted: number;
  };
  /** Payments the run read but could not match, left unallocated (or partially allocated). */
  unallocated: { payments: number; amount: AmountByCurrency };
  deferred: number;
  ordersNotified: { signalled: number; notRunning: number };
  /** Receivables ageing after the run, as of `asOf`. */
  ageing: AgeingByCurrency[];
  /** Wall-clock milliseconds of each phase (workflow clock), and the summed page transactions. */
  phases: {
    start: number;
    match: number;
    matchDb: number;
    notify: number;
    exceptions: number;
    report: number;
    total: number;
  };
  /** The page transactions' time by part, summed over the pages (milliseconds). */
  matchParts: Record<string, number>;
}

export const EMPTY_RULE_TOTALS = (): Record<AutoRule, RuleTotals> => ({
  reference: { payments: 0, allocations: 0, amount: {} },
  exact_amount: { payments: 0, allocations: 0, amount: {} },
  oldest_first: { payments: 0, allocations: 0, amount: {} },
  tolerance: { payments: 0, allocations: 0, amount: {} },
});

/** Adds `b` into `a` per currency. */
export function addAmounts(a: AmountByCurrency, b: AmountByCurrency): AmountByCurrency {
  for (const [cur, n] of Object.entries(b)) a[cur] = (a[cur] ?? 0) + n;
  return a;
}
