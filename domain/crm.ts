/**
 * Customer follow-up contracts shared by the API, the ticket and customer workflows and their
 * activities: signals, updates, queries, the contact budget's answer, and the scoring rule (no I/O).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BehaviourKind, SupportPriority, SupportRequestedV1 } from './events/crm';
import type { EventRef } from './inventory';

export type { EventRef } from './inventory';

/** The cause of a step no inbound event caused (a timer, an update): only the flow's correlation id. */
export interface FlowRef {
  source?: string;
  id?: string;
  correlationId: string;
}

// ---- tickets ------------------------------------------------------------------------------------

/** One support.* event as the ticket's workflow receives it (signal-with-start from the router). */
export type TicketEvent =
  | { kind: 'requested'; request: SupportRequestedV1; cause: EventRef }
  | {
      kind: 'agent_responded';
      ticketId: string;
      agentId: string;
      at: string;
      message?: string;
      cause: EventRef;
    }
  | { kind: 'customer_replied'; ticketId: string; at: string; message?: string; cause: EventRef }
  | {
      kind: 'resolved';
      ticketId: string;
      resolvedBy: string;
      at: string;
      resolution?: string;
      cause: EventRef;
    };

/** The dedupe key of a signal (ticket event or behaviour): its causing event. */
export const causeKey = (e: { cause: EventRef }): string => `${e.cause.source}/${e.cause.id}`;

export interface TicketWorkflowInput {
  ticketId: string;
}

/**
 * Where the ticket's workflow is: waiting for its support.requested, working (first response and
 * resolution SLAs running), resolved (survey pending), survey sent (waiting for the answer), closed,
 * or orphaned (no support.requested arrived within unknownTicketWait).
 */
export type TicketPhase =
  'waiting_for_request' | 'working' | 'resolved' | 'survey_sent' | 'closed' | 'orphaned';

export interface TicketState {
  ticketId: string;
  phase: TicketPhase;
  priority: SupportPriority | null;
  /** 1 for the first round; +1 per reopening. */
  round: number;
  firstResponseDueAt: string | null;
  resolutionDueAt: string | null;
  firstRespondedAt: string | null;
  escalations: ('first_response' | 'resolution')[];
  surveyDueAt: string | null;
  /** Events received before the ticket's support.requested, held until it arrives. */
  held: number;
  duplicatesIgnored: number;
}

/** A satisfaction survey answer (POST /v1/tickets/:id/survey-response): score 1 (bad) to 5 (good). */
export interface SurveyAnswer {
  score: number;
  comment?: string;
}

export interface SurveyAnswerOutcome {
  negative: boolean;
  /** The ticket's status after the answer: reopened (negative) or closed. */
  status: 'reopened' | 'closed';
  round: number;
}

export const ticketEventSignal = defineSignal<[TicketEvent]>('ticketEvent');
/** Accepted only while a survey is waiting for its answer (the validator rejects otherwise). */
export const surveyAnswerUpdate = defineUpdate<SurveyAnswerOutcome, [SurveyAnswer]>('surveyAnswer');
export const ticketStateQuery = defineQuery<TicketState>('ticketState');

// ---- contact budget -----------------------------------------------------------------------------

/** The contact budget's answer: contact recorded, try again at `until`, or not at all. */
export type ContactDecision =
  | { outcome: 'allowed'; contactId: number; created: boolean }
  | { outcome: 'deferred'; reason: 'quiet_hours'; until: string }
  | {
      outcome: 'blocked';
      reason: 'no_consent' | 'unknown_customer' | 'budget_exhausted';
      /** For budget_exhausted: when the oldest contact in the period leaves it. */
      nextAllowedAt?: string;
    };

// ---- customer follow-up -------------------------------------------------------------------------

/** One customer.behaviour event as the customer's workflow receives it. */
export interface BehaviourSignal {
  customerId: string;
  kind: BehaviourKind;
  value?: number;
  occurredAt: string;
  cause: EventRef;
}

/** A CRM task of the customer was completed (POST /v1/tasks/:id/complete); chains may follow. */
export interface TaskCompleted {
  customerId: string;
  taskId: number;
  type: string;
  completedAt: string;
}

/** The signals of an open burst window, as one score at a reference time. */
export interface Burst {
  /** When the window opened (ms); `score` is the signals' decayed weight at this moment. */
  refMs: number;
  score: number;
  signals: number;
  /** The last signal's event, the cause of a follow-up this burst creates. */
  lastCause: EventRef;
}

/** A chained task waiting for its delay (a durable timer in the customer's workflow). */
export interface ScheduledTask {
  fromTaskId: number;
  type: string;
  dueAt: string;
}

/** A sales follow-up the contact budget deferred (quiet hours) until `dueAt`. */
export interface DeferredFollowUp {
  crossing: number;
  score: number;
  dueAt: string;
  cause: FlowRef;
}

/** What the customer's workflow carries across continue-as-new. */
export interface CustomerFollowUpCarried {
  score: number;
  /** When `score` was computed (ISO). */
  scoredAt: string | null;
  /** True while the score is below the threshold: the next rise above it is a crossing. */
  armed: boolean;
  crossings: number;
  evaluations: number;
  followUpsCreated: number;
  followUpsBlocked: number;
  /** The open burst window's signals, not yet evaluated, summed up. */
  burst: Burst | null;
  windowEndsAt: string | null;
  deferred: DeferredFollowUp | null;
  scheduled: ScheduledTask[];
  /** Causing event keys and completed task ids seen lately, to ignore a re-delivery. */
  recent: string[];
}

export interface CustomerFollowUpInput {
  customerId: string;
  carried?: CustomerFollowUpCarried;
}

export interface CustomerFollowUpState extends CustomerFollowUpCarried {
  customerId: string;
  signalsInRun: number;
}

export const behaviourSignal = defineSignal<[BehaviourSignal]>('behaviour');
export const taskCompletedSignal = defineSignal<[TaskCompleted]>('taskCompleted');
export const customerFollowUpStateQuery = defineQuery<CustomerFollowUpState>('customerFollowUpState');

/** The score `halfLifeMs` after `at` is half of what it was at `at`. */
export function decayed(score: number, fromMs: number, toMs: number, halfLifeMs: number): number {
  if (score === 0 || toMs === fromMs) return score;
  if (halfLifeMs <= 0) return toMs > fromMs ? 0 : score;
  return score * Math.pow(0.5, (toMs - fromMs) / halfLifeMs);
}

/**
 * Adds one signal to the open burst: its weight, decayed from its occurredAt (a future one counts
 * as `arrivedMs`), expressed at the burst's reference time, so a burst of any size is two numbers.
 */
export function addToBurst(
  burst: Burst | null,
  signal: { kind: BehaviourKind; occurredAt: string; cause: EventRef },
  weights: Partial<Record<BehaviourKind, number>>,
  halfLifeMs: number,
  arrivedMs: number,
): Burst {
  const refMs = burst?.refMs ?? arrivedMs;
  const at = Math.min(Date.parse(signal.occurredAt), arrivedMs);
  return {
    refMs,
    score: (burst?.score ?? 0) + decayed(weights[signal.kind] ?? 0, at, refMs, halfLifeMs),
    signals: (burst?.signals ?? 0) + 1,
    lastCause: signal.cause,
  };
}

/**
 * One evaluation of a burst: the previous score decayed to `nowMs`, plus the burst's score decayed
 * from its reference time. `crossed` when the score rose from below the threshold (or the rule was
 * armed) to at or above it; the rule re-arms once the score is below the threshold again.
 */
export function evaluateBurst(args: {
  score: number;
  scoredAtMs: number | null;
  armed: boolean;
  burst: Burst | null;
  halfLifeMs: number;
  threshold: number;
  nowMs: number;
}): { score: number; armed: boolean; crossed: boolean } {
  const before =
    args.scoredAtMs === null ? 0 : decayed(args.score, args.scoredAtMs, args.nowMs, args.halfLifeMs);
  const armed = args.armed || before < args.threshold;
  const added = args.burst ? decayed(args.burst.score, args.burst.refMs, args.nowMs, args.halfLifeMs) : 0;
  const score = before + added;
  const crossed = armed && score >= args.threshold;
  return { score, armed: armed && !crossed, crossed };
}
