/**
 * Ticket workflow logic with mocked activities: a survey deferred by quiet hours goes out at the
 * time the budget names, a blocked one closes the ticket, the state query is served while the
 * settings load, and events without a request end the workflow as orphaned.
 */
import { randomUUID } from 'node:crypto';
import { ticketStateQuery, type ContactDecision, type TicketEvent } from '../../domain/crm';
import { businessSettingsSchema } from '../../domain/settings';
import type { Activities } from '../../activities';
import type { TicketSnapshot } from '../../activities/crm';
import { workflowTestbed } from '../support/workflow-testbed';
import { eventually, uniqueKey } from '../support/harness';
import { sendTicketEvent } from '../../api/planners/crm';

const testbed = workflowTestbed();

const settings = businessSettingsSchema.parse({
  crm: { surveyDelay: '100 milliseconds', unknownTicketWait: '1 second' },
});

type TicketActivities = Pick<
  Activities,
  | 'businessSettings'
  | 'openTicket'
  | 'recordAgentResponse'
  | 'recordCustomerReply'
  | 'resolveTicket'
  | 'escalateTicket'
  | 'sendSurvey'
  | 'recordSurveyAnswer'
  | 'closeTicket'
>;

function mocks(sendSurvey: () => Promise<ContactDecision>) {
  const snapshot = (ticketId: string): TicketSnapshot => ({
    ticketId,
    customerId: 'C-1',
    status: 'open',
    firstResponseDueAt: new Date(Date.now() + 3_600_000).toISOString(),
    resolutionDueAt: new Date(Date.now() + 7_200_000).toISOString(),
    firstRespondedAt: null,
    created: true,
  });
  return {
    businessSettings: jest.fn(async () => settings),
    openTicket: jest.fn(async (a: { request: { ticketId: string } }) => snapshot(a.request.ticketId)),
    recordAgentResponse: jest.fn(async () => undefined),
    recordCustomerReply: jest.fn(async () => undefined),
    resolveTicket: jest.fn(async () => undefined),
    escalateTicket: jest.fn(async () => undefined),
    sendSurvey: jest.fn(sendSurvey),
    recordSurveyAnswer: jest.fn(async () => undefined),
    closeTicket: jest.fn(async () => undefined),
  } satisfies TicketActivities;
}

async function withWorker(activities: TicketActivities, fn: (prefix: string) => Promise<void>) {
  const prefix = `unit-${randomUUID()}`;
  await testbed.runWorker(`${prefix}-crm`, activities, () => fn(prefix));
}

const cause = () => ({ source: 'unit', id: uniqueKey('e'), correlationId: 'c' });
const requested = (ticketId: string): TicketEvent => ({
  kind: 'requested',
  request: { ticketId, customerId: 'C-1', channel: 'chat', subject: 'Hi', priority: 'normal' },
  cause: cause(),
});
const resolved = (ticketId: string): TicketEvent => ({
  kind: 'resolved',
  ticketId,
  resolvedBy: 'agent:a',
  at: new Date().toISOString(),
  cause: cause(),
});

describe('ticketWorkflow', () => {
  it('sends a survey deferred by quiet hours at the time the budget names', async () => {
    const ticketId = uniqueKey('T');
    let until = 0;
    const calls: number[] = [];
    const activities = mocks(async () => {
      calls.push(Date.now());
      if (calls.length === 1) {
        until = Date.now() + 1500;
        return { outcome: 'deferred', reason: 'quiet_hours', until: new Date(until).toISOString() };
      }
      return { outcome: 'allowed', contactId: 1, created: true };
    });
    await withWorker(activities, async (prefix) => {
      await sendTicketEvent(testbed.client, prefix, ticketId, requested(ticketId));
      await sendTicketEvent(testbed.client, prefix, ticketId, resolved(ticketId));
      const handle = testbed.client.workflow.getHandle(`ticket-${ticketId}`);
      await eventually(async () =>
        (await handle.query(ticketStateQuery)).phase === 'survey_sent' ? true : undefined,
      );
      await handle.terminate('test done');
    });
    expect(calls).toHaveLength(2);
    expect(calls[1]!).toBeGreaterThanOrEqual(until);
    expect(activities.closeTicket).not.toHaveBeenCalled();
  });

  it('closes the ticket when the survey is not allowed', async () => {
    const ticketId = uniqueKey('T');
    const activities = mocks(async () => ({ outcome: 'blocked', reason: 'no_consent' }));
    await withWorker(activities, async (prefix) => {
      await sendTicketEvent(testbed.client, prefix, ticketId, requested(ticketId));
      await sendTicketEvent(testbed.client, prefix, ticketId, resolved(ticketId));
      expect(await testbed.client.workflow.getHandle(`ticket-${ticketId}`).result()).toBe('closed');
    });
    expect(activities.closeTicket).toHaveBeenCalledWith({ ticketId });
    expect(activities.escalateTicket).not.toHaveBeenCalled();
  });

  it('answers its state query while its settings are still loading', async () => {
    const ticketId = uniqueKey('T');
    let release: () => void = () => undefined;
    const loaded = new Promise<void>((r) => (release = r));
    const activities = {
      ...mocks(async () => ({ outcome: 'blocked', reason: 'no_consent' })),
      businessSettings: jest.fn(async () => {
        await loaded;
        return settings;
      }),
    };
    await withWorker(activities, async (prefix) => {
      await sendTicketEvent(testbed.client, prefix, ticketId, requested(ticketId));
      const handle = testbed.client.workflow.getHandle(`ticket-${ticketId}`);
      await eventually(async () => (activities.businessSettings.mock.calls.length > 0 ? true : undefined));
      // the settings activity has not returned: the query is served, and the request is held
      let early: unknown;
      try {
        early = await handle.query(ticketStateQuery);
      } finally {
        // let the activity finish whatever the query did, so the worker can shut down
        release();
      }
      expect(early).toMatchObject({ ticketId, phase: 'waiting_for_request', held: 1 });
      expect(activities.openTicket).not.toHaveBeenCalled();
      await eventually(async () =>
        (await handle.query(ticketStateQuery)).phase === 'working' ? true : undefined,
      );
      await handle.terminate('test done');
    });
    expect(activities.openTicket).toHaveBeenCalledTimes(1);
  });

  it('ends as orphaned when no support.requested comes for held events', async () => {
    const ticketId = uniqueKey('T');
    const activities = mocks(async () => ({ outcome: 'blocked', reason: 'no_consent' }));
    await withWorker(activities, async (prefix) => {
      await sendTicketEvent(testbed.client, prefix, ticketId, resolved(ticketId));
      expect(await testbed.client.workflow.getHandle(`ticket-${ticketId}`).result()).toBe('orphaned');
    });
    expect(activities.openTicket).not.toHaveBeenCalled();
    expect(activities.resolveTicket).not.toHaveBeenCalled();
  });
});
