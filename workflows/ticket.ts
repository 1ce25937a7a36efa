/**
 * One workflow per support ticket (id: ticketWorkflowId(ticketId)). support.requested opens the
 * ticket and acknowledges it; the first-response and resolution SLAs of its priority run as timers
 * and a breach escalates to a lead; after resolution a satisfaction survey goes out (through the
 * contact budget), and a negative answer reopens the ticket with a fresh resolution SLA.
 */
import { allHandlersFinished, condition, log, proxyActivities, setHandler } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common';
import type { Activities } from '../activities';
import {
  surveyAnswerUpdate,
  causeKey,
  ticketEventSignal,
  ticketStateQuery,
  type TicketEvent,
  type TicketPhase,
  type TicketState,
  type TicketWorkflowInput,
} from '../domain/crm';
import type { SupportPriority } from '../domain/events/crm';
import { loadSettings } from './settings';
import { ACTIVITY_PRESETS } from './presets';

const {
  openTicket,
  recordAgentResponse,
  recordCustomerReply,
  resolveTicket,
  escalateTicket,
  sendSurvey,
  recordSurveyAnswer,
  closeTicket,
} = proxyActivities<Activities>(ACTIVITY_PRESETS.short);

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The ticket's workflow; returns the phase it ended in (closed, or orphaned without a request). */
export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketPhase> {
  const { ticketId } = input;
  const inbox: TicketEvent[] = [];
  const seen = new Set<string>();
  let phase: TicketPhase = 'waiting_for_request';
  let priority: SupportPriority | null = null;
  let correlationId = ticketId;
  let round = 1;
  let firstResponseDue: number | null = null;
  let resolutionDue: number | null = null;
  let firstRespondedAt: string | null = null;
  const escalations: ('first_response' | 'resolution')[] = [];
  const escalated = new Set<string>();
  let surveyDue: number | null = null;
  let answerDue: number | null = null;
  let answering = false;
  let duplicatesIgnored = 0;
  // bumped by handlers, so the main loop wakes for them
  let changes = 0;

  setHandler(ticketEventSignal, (event) => {
    const key = causeKey(event);
    if (seen.has(key)) {
      duplicatesIgnored++;
      return;
    }
    seen.add(key);
    inbox.push(event);
    changes++;
  });
  setHandler(ticketStateQuery, (): TicketState => ({
    ticketId,
    phase,
    priority,
    round,
    firstResponseDueAt: iso(firstResponseDue),
    resolutionDueAt: iso(resolutionDue),
    firstRespondedAt,
    escalations: [...escalations],
    surveyDueAt: iso(surveyDue),
    held: phase === 'waiting_for_request' ? inbox.length : 0,
    duplicatesIgnored,
  }));
  // the settings load in an activity: the signal and the query above are served from the start
  const { crm } = await loadSettings();
  setHandler(
    surveyAnswerUpdate,
    async (answer) => {
      answering = true;
      const answeredRound = round;
      const negative = answer.score <= crm.negativeSurveyScore;
      const nextResolutionDue = Date.now() + msToNumber(crm.sla[priority ?? 'normal'].resolution);
      try {
        await recordSurveyAnswer({
          ticketId,
          round: answeredRound,
          score: answer.score,
          ...(answer.comment ? { comment: answer.comment } : {}),
          negative,
          resolutionDueAt: new Date(nextResolutionDue).toISOString(),
          correlationId,
        });
      } finally {
        answering = false;
      }
      if (negative) {
        round = answeredRound + 1;
        phase = 'working';
        resolutionDue = nextResolutionDue;
        surveyDue = null;
        answerDue = null;
      } else {
        phase = 'closed';
      }
      changes++;
      return { negative, status: negative ? 'reopened' : 'closed', round };
    },
    {
      validator: (answer) => {
        if (phase !== 'survey_sent' || answering)
          throw new Error('no survey of this ticket is waiting for an answer');
        if (!Number.isInteger(answer.score) || answer.score < 1 || answer.score > 5) {
          throw new Error('score must be an integer from 1 to 5');
        }
      },
    },
  );

  // events may arrive before the request (out of order, or a response for an unknown ticket):
  // they are held until the request comes, for at most unknownTicketWait
  const requested = await condition(
    () => inbox.some((e) => e.kind === 'requested'),
    msToNumber(crm.unknownTicketWait),
  );
  if (!requested) {
    phase = 'orphaned';
    log.warn('no support.requested for ticket; held events dropped', {
      ticketId,
      held: inbox.map((e) => ({ kind: e.kind, eventId: e.cause.id })),
    });
    return phase;
  }
  const first = inbox.splice(
    inbox.findIndex((e) => e.kind === 'requested'),
    1,
  )[0] as Extract<TicketEvent, { kind: 'requested' }>;
  priority = first.request.priority;
  correlationId = first.cause.correlationId;
  const sla = crm.sla[priority];
  const ticket = await openTicket({
    request: first.request,
    cause: first.cause,
    firstResponseDueAt: new Date(Date.now() + msToNumber(sla.firstResponse)).toISOString(),
    resolutionDueAt: new Date(Date.now() + msToNumber(sla.resolution)).toISOString(),
  });
  if (ticket.status === 'closed') {
    // a request delivered again after the ticket's workflow finished
    phase = 'closed';
    return phase;
  }
  firstResponseDue = Date.parse(ticket.firstResponseDueAt);
  resolutionDue = Date.parse(ticket.resolutionDueAt);
  firstRespondedAt = ticket.firstRespondedAt;
  phase = 'working';

  const handle = async (event: TicketEvent): Promise<void> => {
    switch (event.kind) {
      case 'requested':
        log.info('support.requested again for an open ticket; ignored', {
          ticketId,
          eventId: event.cause.id,
        });
        return;
      case 'agent_responded':
        await recordAgentResponse({
          ticketId,
          agentId: event.agentId,
          at: event.at,
          ...(event.message ? { message: event.message } : {}),
          cause: event.cause,
        });
        firstRespondedAt ??= event.at;
        return;
      case 'customer_replied':
        await recordCustomerReply({
          ticketId,
          at: event.at,
          ...(event.message ? { message: event.message } : {}),
          cause: event.cause,
        });
        return;
      case 'resolved':
        if (phase !== 'working') {
          log.info('support.resolved for a ticket not being worked on; ignored', { ticketId, phase });
          return;
        }
        await resolveTicket({
          ticketId,
          resolvedBy: event.resolvedBy,
          at: event.at,
          ...(event.resolution ? { resolution: event.resolution } : {}),
          round,
          cause: event.cause,
        });
        phase = 'resolved';
        surveyDue = Date.now() + msToNumber(crm.surveyDelay);
        return;
    }
  };

  const escalate = async (breach: 'first_response' | 'resolution', dueAt: number) => {
    const key = `${breach}/${round}`;
    if (escalated.has(key)) return;
    escalated.add(key);
    escalations.push(breach);
    await escalateTicket({ ticketId, breach, round, dueAt: new Date(dueAt).toISOString(), correlationId });
  };

  const nextDeadline = (): number | null => {
    const due: number[] = [];
    if (phase === 'working') {
      if (
        firstRespondedAt === null &&
        firstResponseDue !== null &&
        !escalated.has(`first_response/${round}`)
      ) {
        due.push(firstResponseDue);
      }
      if (resolutionDue !== null && !escalated.has(`resolution/${round}`)) due.push(resolutionDue);
    }
    if (phase === 'resolved' && surveyDue !== null) due.push(surveyDue);
    if (phase === 'survey_sent' && answerDue !== null) due.push(answerDue);
    return due.length ? Math.min(...due) : null;
  };

  while (phase !== 'closed') {
    const seenChanges = changes;
    const deadline = nextDeadline();
    if (inbox.length === 0) {
      const wake = () => changes !== seenChanges;
      if (deadline === null) await condition(wake);
      else await condition(wake, Math.max(1, deadline - Date.now()));
    }
    while (inbox.length > 0) await handle(inbox.shift() as TicketEvent);

    const now = Date.now();
    // handlers change the phase while the loop awaits, so it is read afresh
    const current = (): TicketPhase => phase;
    if (current() === 'working') {
      if (firstRespondedAt === null && firstResponseDue !== null && now >= firstResponseDue) {
        await escalate('first_response', firstResponseDue);
      }
      if (resolutionDue !== null && now >= resolutionDue) await escalate('resolution', resolutionDue);
    }
    if (current() === 'resolved' && surveyDue !== null && now >= surveyDue) {
      const decision = await sendSurvey({ ticketId, round, correlationId });
      if (decision.outcome === 'allowed') {
        phase = 'survey_sent';
        surveyDue = null;
        answerDue = Date.now() + msToNumber(crm.surveyAnswerWindow);
      } else if (decision.outcome === 'deferred') {
        surveyDue = Date.parse(decision.until);
      } else {
        log.info('survey not sent', { ticketId, reason: decision.reason });
        await closeTicket({ ticketId });
        phase = 'closed';
      }
    }
    if (current() === 'survey_sent' && !answering && answerDue !== null && Date.now() >= answerDue) {
      await closeTicket({ ticketId });
      phase = 'closed';
    }
  }
  await condition(allHandlersFinished);
  return phase;
}
