/**
 * One long-lived workflow per customer (id: customerFollowUpWorkflowId(customerId)). Behaviour
 * signals are debounced (one evaluation per burst window), scored with per-kind weights and decayed
 * over time; a rise of the score to the threshold creates one sales follow-up through the contact
 * budget (deferred past quiet hours by a durable timer). High-value orders open a task for sales;
 * a completed task of a chained type opens the next type after its delay. Continues-as-new with its
 * state before the history grows large.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common';
import type { Activities } from '../activities';
import {
  behaviourSignal,
  customerFollowUpStateQuery,
  addToBurst,
  evaluateBurst,
  taskCompletedSignal,
  causeKey,
  type BehaviourSignal,
  type CustomerFollowUpCarried,
  type CustomerFollowUpInput,
  type FlowRef,
} from '../domain/crm';
import { loadSettings } from './settings';
import { ACTIVITY_PRESETS } from './presets';

const { createSalesFollowUp, openHighValueOrderTask, openChainedTask } = proxyActivities<Activities>(
  ACTIVITY_PRESETS.short,
);

/** How many recent signal keys the workflow remembers to ignore a re-delivered one. */
export const RECENT_KEYS_KEPT = 2000;

const initialState = (): CustomerFollowUpCarried => ({
  score: 0,
  scoredAt: null,
  armed: true,
  crossings: 0,
  evaluations: 0,
  followUpsCreated: 0,
  followUpsBlocked: 0,
  burst: null,
  windowEndsAt: null,
  deferred: null,
  scheduled: [],
  recent: [],
});

/** The customer's follow-up workflow. */
export async function customerFollowUpWorkflow(input: CustomerFollowUpInput): Promise<void> {
  const { customerId } = input;
  const state: CustomerFollowUpCarried = input.carried ?? initialState();
  // insertion-ordered, so the oldest keys are dropped first
  const recent = new Set<string>(state.recent);
  const highValue: BehaviourSignal[] = [];
  let signalsInRun = 0;
  let changes = 0;
  setHandler(customerFollowUpStateQuery, () => ({
    ...state,
    recent: [],
    customerId,
    signalsInRun,
  }));
  // the settings load in an activity: the query above is served from the start; the signals wait
  // for their handlers below, which need the settings
  const { crm } = await loadSettings();
  const b = crm.behaviour;

  const remember = (key: string): boolean => {
    if (recent.has(key)) return false;
    recent.add(key);
    if (recent.size > RECENT_KEYS_KEPT) recent.delete(recent.values().next().value as string);
    signalsInRun++;
    changes++;
    return true;
  };

  setHandler(behaviourSignal, (signal) => {
    if (!remember(causeKey(signal))) return;
    state.burst = addToBurst(state.burst, signal, b.weights, msToNumber(b.halfLife), Date.now());
    state.windowEndsAt ??= new Date(Date.now() + msToNumber(b.debounceWindow)).toISOString();
    if (signal.kind === 'high_value_order') highValue.push(signal);
  });
  setHandler(taskCompletedSignal, (done) => {
    if (!remember(`task/${done.taskId}`)) return;
    const link = crm.taskChain[done.type];
    if (!link) return;
    state.scheduled.push({
      fromTaskId: done.taskId,
      type: link.next,
      dueAt: new Date(Date.parse(done.completedAt) + msToNumber(link.delay)).toISOString(),
    });
  });

  const followUp = async (crossing: number, score: number, cause: FlowRef) => {
    const decision = await createSalesFollowUp({
      customerId,
      key: `${workflowInfo().firstExecutionRunId}/${crossing}`,
      score,
      cause,
    });
    state.deferred = null;
    if (decision.outcome === 'allowed') state.followUpsCreated++;
    else if (decision.outcome === 'deferred')
      state.deferred = { crossing, score, dueAt: decision.until, cause };
    else {
      state.followUpsBlocked++;
      log.info('sales follow-up blocked', { customerId, reason: decision.reason });
    }
  };

  const nextDeadline = (): number | null => {
    const due = [
      state.windowEndsAt,
      state.deferred?.dueAt ?? null,
      ...state.scheduled.map((s) => s.dueAt),
    ].filter((d): d is string => d !== null);
    return due.length ? Math.min(...due.map((d) => Date.parse(d))) : null;
  };

  for (;;) {
    const seenChanges = changes;
    const deadline = nextDeadline();
    if (highValue.length === 0) {
      const wake = () => changes !== seenChanges;
      if (deadline === null) await condition(wake);
      else if (deadline > Date.now()) await condition(wake, deadline - Date.now());
    }

    while (highValue.length > 0) {
      const signal = highValue.shift() as BehaviourSignal;
      if (signal.value === undefined || signal.value >= crm.highValueOrderAmount) {
        await openHighValueOrderTask({
          customerId,
          ...(signal.value !== undefined ? { value: signal.value } : {}),
          cause: signal.cause,
        });
      }
    }

    const now = Date.now();
    if (state.windowEndsAt !== null && now >= Date.parse(state.windowEndsAt)) {
      const burst = state.burst;
      const result = evaluateBurst({
        score: state.score,
        scoredAtMs: state.scoredAt === null ? null : Date.parse(state.scoredAt),
        armed: state.armed,
        burst,
        halfLifeMs: msToNumber(b.halfLife),
        threshold: b.threshold,
        nowMs: now,
      });
      state.burst = null;
      state.windowEndsAt = null;
      state.score = result.score;
      state.scoredAt = new Date(now).toISOString();
      state.armed = result.armed;
      log.info('behaviour evaluated', { customerId, signals: burst?.signals ?? 0, score: result.score });
      if (result.crossed) {
        state.crossings++;
        await followUp(
          state.crossings,
          result.score,
          burst ? burst.lastCause : { correlationId: workflowInfo().workflowId },
        );
      }
      // counted once its follow-up is decided, so a reader of the state sees the whole evaluation
      state.evaluations++;
    }
    if (state.deferred !== null && Date.now() >= Date.parse(state.deferred.dueAt)) {
      const { crossing, score, cause } = state.deferred;
      await followUp(crossing, score, cause);
    }
    const due = state.scheduled.filter((s) => Date.now() >= Date.parse(s.dueAt));
    for (const s of due) {
      await openChainedTask({
        customerId,
        fromTaskId: s.fromTaskId,
        type: s.type,
        correlationId: workflowInfo().workflowId,
      });
      state.scheduled = state.scheduled.filter((x) => x !== s);
    }

    if (
      highValue.length === 0 &&
      (signalsInRun >= b.maxSignalsPerRun || workflowInfo().continueAsNewSuggested)
    ) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof customerFollowUpWorkflow>({
        customerId,
        carried: { ...state, recent: [...recent] },
      });
    }
  }
}
