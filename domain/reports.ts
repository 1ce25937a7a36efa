/** Contracts of the scheduled batch workflows (inventory sweep, receivables-ageing report); no I/O. */
/** Input of inventorySweepWorkflow; the schedule passes `{}`. */
export interface InventorySweepInput {
  /** SKUs read per page (one query per page, keyset by SKU). Default DEFAULT_SWEEP_PAGE_SIZE. */
  pageSize?: number;
}

export const DEFAULT_SWEEP_PAGE_SIZE = 500;
/** The SKUs a sweep lists in its result; the counts cover them all. */
export const SWEEP_SKUS_LISTED = 100;

/** A SKU at or below its reorder point with no open purchase order, as the sweep found it. */
export interface SweepCandidate {
  sku: string;
  /** On hand − reserved (nothing is on order: no open purchase order). */
  projected: number;
  reorderPoint: number;
  /** False when its rule names no known supplier: its workflow raises the one alert per rule version. */
  supplierKnown: boolean;
}

/** What a sweep found and did (the workflow's result, shown in GET /v1/schedules recentRuns). */
export interface InventorySweepResult {
  /** The SKUs found below their reorder point with no open procurement. */
  found: number;
  /** SKU workflows asked to re-read stock and re-run their reorder rule. */
  signalled: number;
  /** Of those, SKUs whose rule names no known supplier (an alert, not a purchase order). */
  withoutSupplier: number;
  pages: number;
  /** The first SWEEP_SKUS_LISTED SKUs found, in SKU order. */
  skus: string[];
  skusWithoutSupplier: string[];
}

/** Input of receivablesAgeingReportWorkflow; the schedule passes `{}` (the day of the scheduled time). */
export interface ReceivablesAgeingReportInput {
  /** YYYY-MM-DD; default: the UTC day of the schedule's scheduled time (else the start time). */
  asOf?: string;
}

/** The ageing buckets (db/queries/ageing.ts AGEING_BUCKETS; the activity's type check keeps them equal). */
export type AgeingBucketName = 'current' | 'days1to30' | 'days31to60' | 'days61to90' | 'over90';

export interface ReceivablesAgeingCurrency {
  currency: string;
  buckets: Record<AgeingBucketName, { amount: number; invoices: number }>;
  total: number;
}

/** One stored receivables-ageing report (one per as-of day; the first one of a day stands). */
export interface ReceivablesAgeingReport {
  asOf: string;
  generatedAt: string;
  currencies: ReceivablesAgeingCurrency[];
  workflowId: string | null;
  runId: string | null;
  /** False when this day's report existed already (this run answered the stored one). */
  created: boolean;
}
