/**
 * Support tickets end to end: support.* events and the ticket routes, the ticket's workflow with
 * short configured SLAs, escalation, the satisfaction survey and reopening.
 */
import request from 'supertest';
import { and, asc, eq } from 'drizzle-orm';
import { crmTasks, crmTickets, outbox } from '../../db/schema';
import { ticketStateQuery, type TicketEvent } from '../../domain/crm';
import { SUPPORT_PRIORITIES, type SupportPriority } from '../../domain/events/crm';
import { ticketWorkflowId } from '../../domain/names';
import { sendTicketEvent } from '../../api/planners/crm';
import { eventually, startHarness, uniqueKey, type Harness } from '../support/harness';

// first response / resolution per priority: short enough to breach inside a test, long enough
// that a response sent at once arrives in time on a loaded 2-core machine with a 3-entry cache
const SLA_MS: Record<SupportPriority, [number, number]> = {
  urgent: [3000, 6000],
  high: [3500, 6500],
  normal: [4000, 7000],
  low: [4500, 7500],
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    settings: {
      crm: {
        sla: Object.fromEntries(
          SUPPORT_PRIORITIES.map((p) => [p, { firstResponse: SLA_MS[p][0], resolution: SLA_MS[p][1] }]),
        ),
        surveyDelay: '1 second',
        surveyAnswerWindow: '1 minute',
        unknownTicketWait: '1 minute',
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const event = (type: string, data: Record<string, unknown>) => ({
  specversion: '1.0',
  id: uniqueKey('evt'),
  source: 'test/helpdesk',
  type,
  time: new Date().toISOString(),
  data,
});

const requested = (ticketId: string, customerId: string, priority: SupportPriority) =>
  event('support.requested', { ticketId, customerId, channel: 'email', subject: 'Broken glass', priority });

const ticketRow = async (ticketId: string) =>
  (await h.database.db.select().from(crmTickets).where(eq(crmTickets.ticketId, ticketId)))[0];

const outboxOf = (ticketId: string) =>
  h.database.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.aggregateType, 'ticket'), eq(outbox.aggregateId, ticketId)))
    .orderBy(asc(outbox.seq));

const tasksOf = (ticketId: string) =>
  h.database.db.select().from(crmTasks).where(eq(crmTasks.ticketId, ticketId)).orderBy(asc(crmTasks.id));

const state = (ticketId: string) =>
  h.temporal.client.workflow.getHandle(ticketWorkflowId(ticketId)).query(ticketStateQuery);

async function openTicket(priority: SupportPriority, customerId = uniqueKey('C')): Promise<string> {
  const ticketId = uniqueKey('T');
  const res = await request(h.app)
    .post('/v1/events')
    .send(requested(ticketId, customerId, priority))
    .expect(202);
  expect(res.body.routing).toMatchObject({ status: 'delivered', workflowId: `ticket-${ticketId}` });
  await eventually(async () => ticketRow(ticketId));
  return ticketId;
}

async function putCustomer(customerId: string, over: Record<string, unknown> = {}) {
  await request(h.app)
    .put(`/v1/customers/${customerId}`)
    .send({
      name: 'Acme GmbH',
      creditLimit: 0,
      currency: 'EUR',
      paymentTerms: { netDays: 30 },
      consent: true,
      ...over,
    })
    .expect(201);
}

describe('ticket SLAs', () => {
  it('acknowledges a new ticket: row with deadlines by priority, a task for support, ticket.acknowledged', async () => {
    const ticketId = await openTicket('high');
    const row = await ticketRow(ticketId);
    expect(row).toMatchObject({ status: 'open', priority: 'high', assignee: 'support' });
    const frMs = row!.firstResponseDueAt.getTime() - row!.createdAt.getTime();
    expect(frMs).toBeGreaterThan(SLA_MS.high[0] - 1000);
    expect(frMs).toBeLessThan(SLA_MS.high[0] + 1000);
    const resMs = row!.resolutionDueAt.getTime() - row!.firstResponseDueAt.getTime();
    expect(Math.abs(resMs - (SLA_MS.high[1] - SLA_MS.high[0]))).toBeLessThan(50);
    const [task] = await tasksOf(ticketId);
    expect(task).toMatchObject({ type: 'ticket_first_response', status: 'open', assignee: 'support' });
    expect((await outboxOf(ticketId)).map((o) => o.type)).toContain('ticket.acknowledged');

    const got = await request(h.app).get(`/v1/tickets/${ticketId}`).expect(200);
    expect(got.body).toMatchObject({
      ticketId,
      priority: 'high',
      workflow: { id: `ticket-${ticketId}`, status: 'RUNNING' },
      tasks: [expect.objectContaining({ type: 'ticket_first_response' })],
      interactions: [expect.objectContaining({ kind: 'support_request', direction: 'inbound' })],
    });
  });

  it('meets the SLAs of every priority when the agent responds and resolves in time: no escalation', async () => {
    // each ticket is answered and resolved as soon as it is open, all four side by side
    const tickets = await Promise.all(
      SUPPORT_PRIORITIES.map(async (p) => {
        const ticketId = await openTicket(p);
        const res = await request(h.app)
          .post(`/v1/tickets/${ticketId}/responses`)
          .send({ agentId: 'agent:lena', message: 'On it.' })
          .expect(202);
        expect(res.body.event).toMatchObject({ source: 'erp-api/rest', routing: { status: 'delivered' } });
        await request(h.app)
          .post(`/v1/tickets/${ticketId}/resolve`)
          .send({ resolvedBy: 'agent:lena' })
          .expect(202);
        return ticketId;
      }),
    );
    // past every deadline of every priority
    await new Promise((r) => setTimeout(r, Math.max(...Object.values(SLA_MS).map(([, r]) => r)) + 1500));
    for (const ticketId of tickets) {
      const row = await ticketRow(ticketId);
      expect(row?.firstRespondedAt).not.toBeNull();
      expect(row?.assignee).toBe('support');
      expect(['resolved', 'closed']).toContain(row?.status);
      const types = (await outboxOf(ticketId)).map((o) => o.type);
      expect(types).toEqual(expect.arrayContaining(['ticket.acknowledged', 'ticket.resolved']));
      expect(types).not.toContain('ticket.escalated');
      expect(types).not.toContain('alert.raised');
      expect((await tasksOf(ticketId)).every((t) => t.status === 'done')).toBe(true);
    }
  });

  it('escalates a breach of each priority: first response, then resolution, to the lead with alerts', async () => {
    const tickets = await Promise.all(SUPPORT_PRIORITIES.map(async (p) => [p, await openTicket(p)] as const));
    for (const [priority, ticketId] of tickets) {
      const escalated = await eventually(async () => {
        const rows = (await outboxOf(ticketId)).filter((o) => o.type === 'ticket.escalated');
        return rows.length === 2 ? rows : undefined;
      }, 30_000);
      const row = await ticketRow(ticketId);
      expect(row).toMatchObject({ status: 'escalated', assignee: 'support-lead' });
      expect(escalated.map((o) => (o.payload as { breach: string }).breach)).toEqual([
        'first_response',
        'resolution',
      ]);
      // each escalation happened at or after its deadline
      expect(escalated[0]!.createdAt.getTime()).toBeGreaterThanOrEqual(row!.firstResponseDueAt.getTime());
      expect(escalated[1]!.createdAt.getTime()).toBeGreaterThanOrEqual(row!.resolutionDueAt.getTime());
      const alerts = (await outboxOf(ticketId)).filter((o) => o.type === 'alert.raised');
      expect(alerts.map((a) => (a.payload as { alert: string }).alert)).toEqual([
        'ticket_first_response_sla_breached',
        'ticket_resolution_sla_breached',
      ]);
      expect(alerts[0]!.payload).toMatchObject({ priority, ticketId });
      const tasks = await tasksOf(ticketId);
      expect(tasks.filter((t) => t.assignee === 'support-lead').map((t) => t.type)).toEqual([
        'ticket_escalation_first_response',
        'ticket_escalation_resolution',
      ]);
      expect((await state(ticketId)).escalations).toEqual(['first_response', 'resolution']);
    }
  }, 60_000);

  it('a response after a first-response breach still records the response and completes its tasks', async () => {
    const ticketId = await openTicket('urgent');
    await eventually(async () => ((await ticketRow(ticketId))?.status === 'escalated' ? true : undefined));
    await request(h.app).post(`/v1/tickets/${ticketId}/responses`).send({ agentId: 'agent:max' }).expect(202);
    const row = await eventually(async () => {
      const r = await ticketRow(ticketId);
      return r?.firstRespondedAt ? r : undefined;
    });
    expect(row).toMatchObject({ status: 'awaiting_customer', assignee: 'support-lead' });
    const tasks = await tasksOf(ticketId);
    expect(tasks.find((t) => t.type === 'ticket_escalation_first_response')?.status).toBe('done');
  });
});

describe('survey and reopening', () => {
  it('sends the survey after resolution; a negative answer reopens, a positive one closes', async () => {
    const customerId = uniqueKey('C');
    await putCustomer(customerId);
    const ticketId = await openTicket('low', customerId);
    await request(h.app)
      .post(`/v1/tickets/${ticketId}/responses`)
      .send({ agentId: 'agent:lena' })
      .expect(202);
    // no survey is pending yet
    await request(h.app).post(`/v1/tickets/${ticketId}/survey-response`).send({ score: 1 }).expect(409);
    await request(h.app)
      .post(`/v1/tickets/${ticketId}/resolve`)
      .send({ resolvedBy: 'agent:lena' })
      .expect(202);
    await eventually(async () => ((await state(ticketId)).phase === 'survey_sent' ? true : undefined));
    const surveys = (await outboxOf(ticketId)).filter((o) => o.type === 'survey.sent');
    expect(surveys).toHaveLength(1);

    const bad = await request(h.app)
      .post(`/v1/tickets/${ticketId}/survey-response`)
      .send({ score: 1, comment: 'Still broken' })
      .expect(200);
    expect(bad.body.outcome).toEqual({ negative: true, status: 'reopened', round: 2 });
    expect(bad.body.ticket).toMatchObject({ status: 'reopened', resolvedAt: null, assignee: 'support' });
    const types = (await outboxOf(ticketId)).map((o) => o.type);
    expect(types).toContain('ticket.reopened');
    const reopenTask = (await tasksOf(ticketId)).find((t) => t.type === 'ticket_reopened');
    expect(reopenTask).toMatchObject({ status: 'open' });
    // the reopened ticket has a fresh resolution deadline
    const reopened = await ticketRow(ticketId);
    expect(reopened!.resolutionDueAt.getTime()).toBeGreaterThan(Date.now());

    await request(h.app)
      .post(`/v1/tickets/${ticketId}/resolve`)
      .send({ resolvedBy: 'agent:lena' })
      .expect(202);
    await eventually(async () => {
      const s = await state(ticketId);
      return s.phase === 'survey_sent' && s.round === 2 ? true : undefined;
    });
    const good = await request(h.app)
      .post(`/v1/tickets/${ticketId}/survey-response`)
      .send({ score: 5 })
      .expect(200);
    expect(good.body.outcome).toEqual({ negative: false, status: 'closed', round: 2 });
    const result = await h.temporal.client.workflow.getHandle(ticketWorkflowId(ticketId)).result();
    expect(result).toBe('closed');
    expect((await ticketRow(ticketId))?.status).toBe('closed');
    expect((await outboxOf(ticketId)).filter((o) => o.type === 'survey.sent')).toHaveLength(2);
    // no survey is waiting any more (the workflow has ended)
    await request(h.app).post(`/v1/tickets/${ticketId}/survey-response`).send({ score: 1 }).expect(409);
    // a closed ticket takes no more responses
    await request(h.app)
      .post(`/v1/tickets/${ticketId}/responses`)
      .send({ agentId: 'agent:lena' })
      .expect(409);
  }, 60_000);

  it('sends no survey to a customer without consent, and closes the ticket', async () => {
    const customerId = uniqueKey('C');
    await putCustomer(customerId, { consent: false });
    const ticketId = await openTicket('normal', customerId);
    await request(h.app)
      .post(`/v1/tickets/${ticketId}/resolve`)
      .send({ resolvedBy: 'agent:lena' })
      .expect(202);
    const result = await h.temporal.client.workflow.getHandle(ticketWorkflowId(ticketId)).result();
    expect(result).toBe('closed');
    expect((await outboxOf(ticketId)).map((o) => o.type)).not.toContain('survey.sent');
  });
});

describe('routing', () => {
  it('holds a response that arrives before its ticket, and applies it once the request comes', async () => {
    const ticketId = uniqueKey('T');
    const customerId = uniqueKey('C');
    const early = event('support.agent_responded', {
      ticketId,
      agentId: 'agent:lena',
      respondedAt: new Date().toISOString(),
    });
    const res = await request(h.app).post('/v1/events').send(early).expect(202);
    expect(res.body.routing).toMatchObject({ status: 'delivered', workflowId: `ticket-${ticketId}` });
    await eventually(async () => ((await state(ticketId)).held === 1 ? true : undefined));
    expect(await ticketRow(ticketId)).toBeUndefined();
    // the REST route answers 404 for a ticket nobody requested
    await request(h.app)
      .post(`/v1/tickets/${ticketId}/responses`)
      .send({ agentId: 'agent:lena' })
      .expect(404);
    await request(h.app).get(`/v1/tickets/${ticketId}`).expect(404);

    await request(h.app)
      .post('/v1/events')
      .send(requested(ticketId, customerId, 'normal'))
      .expect(202);
    const row = await eventually(async () => {
      const r = await ticketRow(ticketId);
      return r?.firstRespondedAt ? r : undefined;
    });
    expect(row?.status).toBe('awaiting_customer');
  });

  it('ignores a ticket event delivered twice (same source and id)', async () => {
    const ticketId = await openTicket('normal');
    const reply: TicketEvent = {
      kind: 'customer_replied',
      ticketId,
      at: new Date().toISOString(),
      message: 'any news?',
      cause: { source: 'test/helpdesk', id: uniqueKey('evt'), correlationId: 'c-1' },
    };
    await sendTicketEvent(h.temporal.client, h.taskQueuePrefix, ticketId, reply);
    await sendTicketEvent(h.temporal.client, h.taskQueuePrefix, ticketId, reply);
    await eventually(async () => ((await state(ticketId)).duplicatesIgnored === 1 ? true : undefined));
    const got = await request(h.app).get(`/v1/tickets/${ticketId}`).expect(200);
    expect(got.body.interactions.filter((i: { kind: string }) => i.kind === 'customer_reply')).toHaveLength(
      1,
    );
  });
});
