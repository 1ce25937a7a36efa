/**
 * Payment reconciliation rules (DOMAIN.md: payment reconciliation), without I/O: the real-time
 * matcher runs them on one payment and its candidates; the nightly batch runs the same rules in SQL.
 * Sandbox-safe: the payment-reconciliation workflow imports its types, signals and updates from here.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { EventRef } from './inventory';
import type { ReconciliationSettings } from './settings/finance';

export const MATCH_RULES = ['reference', 'exact_amount', 'oldest_first', 'tolerance', 'manual'] as const;
export type MatchRule = (typeof MATCH_RULES)[number];

export const ANOMALY_KINDS = ['possible_duplicate', 'amount_above_history', 'unknown_payer'] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** The payment as the matcher sees it. */
export interface PaymentToMatch {
  paymentId: string;
  /** What is left to allocate (amount − allocated), minor units. */
  unallocated: number;
  currency: string;
  /** The payer, when known (given, or found by the payer's name); null when unknown. */
  customerId: string | null;
  reference: string | null;
}

/** An open invoice that could be paid: same currency, outstanding > 0, within the look-back window. */
export interface Candidate {
  invoiceNumber: string;
  customerId: string;
  orderId: string;
  outstanding: number;
  issuedOn: string;
}

export interface Allocation {
  invoiceNumber: string;
  amount: number;
}

/** An allocation as written: the order it pays, and any credit or write-off it came with. */
export interface AppliedAllocation extends Allocation {
  orderId: string;
  credited: number;
  writtenOff: number;
}

/** A match proposed by the rules: what to allocate, what to write off, what becomes customer credit. */
export interface Proposal {
  rule: Exclude<MatchRule, 'manual'>;
  allocations: Allocation[];
  /** Rule 4 (payment short of the invoice within tolerance): the difference written off. */
  writeOff?: Allocation;
  /** Paid beyond the matched invoices (payer known): kept as customer credit. */
  credit: number;
  /** 0..1: reference 0.4, party 0.4, amount 0.3 (capped at 1), −0.2 when the rule had a tie. */
  confidence: number;
  /** What the confidence is made of, for the operator. */
  reasons: string[];
}

export const CONFIDENCE_WEIGHTS = { reference: 0.4, party: 0.4, amount: 0.3, tie: -0.2 } as const;

/** Invoice numbers named by the reference text, in the order they appear (first capture group, or the match). */
export function invoiceNumbersIn(reference: string | null, pattern: string): string[] {
  if (!reference) return [];
  const found: string[] = [];
  for (const m of reference.matchAll(new RegExp(pattern, 'g'))) {
    const token = m[1] ?? m[0];
    if (token && !found.includes(token)) found.push(token);
  }
  return found;
}

/** Oldest first: by issue date, then invoice number (the batch orders the same way). */
export const oldestFirst = (a: Candidate, b: Candidate): number =>
  a.issuedOn < b.issuedOn ? -1 : a.issuedOn > b.issuedOn ? 1 : a.invoiceNumber < b.invoiceNumber ? -1 : 1;

/** The tolerance for one invoice: the larger of the fixed amount and the percentage (floored). */
export const toleranceFor = (
  outstanding: number,
  s: Pick<ReconciliationSettings, 'tolerancePercent' | 'toleranceAmount'>,
): number => Math.max(s.toleranceAmount, Math.floor((outstanding * s.tolerancePercent) / 100));

function score(parts: { reference: boolean; party: boolean; amount: boolean; tie: boolean }): {
  confidence: number;
  reasons: string[];
} {
  const parts_: [boolean, number, string][] = [
    [parts.reference, CONFIDENCE_WEIGHTS.reference, 'reference names the invoice'],
    [parts.party, CONFIDENCE_WEIGHTS.party, 'payer is the invoiced customer'],
    [parts.amount, CONFIDENCE_WEIGHTS.amount, 'amount matches'],
    [parts.tie, CONFIDENCE_WEIGHTS.tie, 'several invoices fit equally'],
  ];
  const applied = parts_.filter(([on]) => on);
  const c = applied.reduce((sum, [, weight]) => sum + weight, 0);
  const reasons = applied.map(([, , reason]) => reason);
  return { confidence: Math.round(Math.max(0, Math.min(1, c)) * 100) / 100, reasons };
}

/** Allocates `amount` across invoices in the given order, each at most its outstanding. */
function spread(amount: number, invoices: Candidate[]): { allocations: Allocation[]; rest: number } {
  const allocations: Allocation[] = [];
  let rest = amount;
  for (const inv of invoices) {
    if (rest <= 0) break;
    const a = Math.min(rest, inv.outstanding);
    if (a > 0) allocations.push({ invoiceNumber: inv.invoiceNumber, amount: a });
    rest -= a;
  }
  return { allocations, rest };
}

/**
 * The ranked rules, first that fires wins. Candidates must already be filtered to the payment's
 * currency, outstanding > 0 and the look-back window; when the payer is known, rules 2-4 consider only
 * the payer's invoices, and rule 1 any invoice the reference names. Null: no rule fired.
 */
export function proposeMatch(
  payment: PaymentToMatch,
  candidates: Candidate[],
  settings: Pick<ReconciliationSettings, 'referencePattern' | 'tolerancePercent' | 'toleranceAmount'>,
): Proposal | null {
  const amount = payment.unallocated;
  if (amount <= 0) return null;
  const sorted = [...candidates].sort(oldestFirst);

  // 1. the reference names invoices: oldest first across them; the rest is credit of a known payer
  const named = invoiceNumbersIn(payment.reference, settings.referencePattern);
  const referenced = sorted.filter((c) => named.includes(c.invoiceNumber));
  if (referenced.length > 0) {
    const { allocations, rest } = spread(amount, referenced);
    const party = payment.customerId !== null && referenced.every((c) => c.customerId === payment.customerId);
    const due = referenced.reduce((s, c) => s + c.outstanding, 0);
    return {
      rule: 'reference',
      allocations,
      credit: party ? rest : 0,
      ...score({ reference: true, party, amount: due === amount, tie: false }),
    };
  }
  if (payment.customerId === null) return null;
  const own = sorted.filter((c) => c.customerId === payment.customerId);

  // 2. exactly one invoice's outstanding (the oldest when several tie, with lower confidence)
  const exact = own.filter((c) => c.outstanding === amount);
  if (exact.length > 0) {
    const first = exact[0] as Candidate;
    return {
      rule: 'exact_amount',
      allocations: [{ invoiceNumber: first.invoiceNumber, amount }],
      credit: 0,
      ...score({ reference: false, party: true, amount: true, tie: exact.length > 1 }),
    };
  }

  // 3. the sum of two or more, oldest first
  let sum = 0;
  for (let i = 0; i < own.length; i++) {
    sum += (own[i] as Candidate).outstanding;
    if (sum > amount) break;
    if (sum === amount && i >= 1) {
      return {
        rule: 'oldest_first',
        allocations: own
          .slice(0, i + 1)
          .map((c) => ({ invoiceNumber: c.invoiceNumber, amount: c.outstanding })),
        credit: 0,
        ...score({ reference: false, party: true, amount: true, tie: false }),
      };
    }
  }

  // 4. within tolerance of one invoice (the oldest that fits): short → write-off, over → credit
  const near = own.filter((c) => Math.abs(c.outstanding - amount) <= toleranceFor(c.outstanding, settings));
  if (near.length > 0) {
    const inv = near[0] as Candidate;
    const allocated = Math.min(amount, inv.outstanding);
    return {
      rule: 'tolerance',
      allocations: [{ invoiceNumber: inv.invoiceNumber, amount: allocated }],
      ...(inv.outstanding > amount
        ? { writeOff: { invoiceNumber: inv.invoiceNumber, amount: inv.outstanding - amount } }
        : {}),
      credit: amount - allocated,
      ...score({ reference: false, party: true, amount: true, tie: near.length > 1 }),
    };
  }
  return null;
}

/** Why a payment waits for an operator. */
export interface ExceptionReview {
  reasons: string[];
  anomalies: AnomalyKind[];
  proposal: Proposal | null;
}

/** Input of the payment-reconciliation workflow (`payment-<paymentId>`). */
export interface PaymentReconciliationInput {
  paymentId: string;
  /** The payment.received event: the workflow records and matches it. */
  received?: {
    amount: number;
    currency: string;
    customerId?: string;
    payerName?: string;
    reference?: string;
    receivedAt: string;
    method: string;
  };
  /** Started by the nightly batch (or a reopen) for a stored payment that needs review. */
  review?: ExceptionReview;
  cause: EventRef;
}

/** An operator's decision on an exception: allocations (possibly none) and why. */
export interface ResolveRequest {
  allocations: Allocation[];
  /** Put what is left as credit of this customer (the payer, once identified). */
  creditTo?: string;
  resolvedBy: string;
  note?: string;
  cause?: EventRef;
}

export interface UnmatchRequest {
  invoiceNumber: string;
  reason: string;
  requestedBy: string;
  cause?: EventRef;
}

export type ReconciliationStatus =
  'matching' | 'matched' | 'handed_over' | 'unapplied' | 'settled' | 'awaiting_review' | 'resolved';

export interface ReconciliationState {
  paymentId: string;
  status: ReconciliationStatus;
  review?: ExceptionReview;
  escalated: boolean;
  allocations: Allocation[];
}

export const resolveExceptionUpdate = defineUpdate<ReconciliationState, [ResolveRequest]>('resolve');
export const unmatchAllocationUpdate = defineUpdate<ReconciliationState, [UnmatchRequest]>('unmatch');
export const reconciliationStateQuery = defineQuery<ReconciliationState>('reconciliationState');

/** What the real-time matcher decided for a received payment. */
export type MatchDecision =
  /** A sure match: allocate as proposed. */
  | { kind: 'matched'; proposal: Proposal }
  /** The reference names the invoice of an order not invoiced yet: the order applies it when it invoices. */
  | { kind: 'handover'; orderId: string }
  /** Flagged or unsure: waits for an operator. */
  | { kind: 'exception'; review: ExceptionReview }
  /** A known payer with nothing open to pay: unapplied cash, matched by the nightly batch later. */
  | { kind: 'unapplied'; reason: string }
  /** Nothing to do: matched, refunded or reviewed before (a redelivered event). */
  | { kind: 'settled'; reason: string };
