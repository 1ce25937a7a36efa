/**
 * ticketWorkflow: one ticket breaching both SLAs, answered, resolved, reopened by a negative survey,
 * resolved again and closed by a positive one; one ticket answered in time whose survey is not
 * allowed (no consent), so it closes.
 */
import { eq } from 'drizzle-orm';
import { crmTickets, customers } from '../../db/schema';
import type { Db } from '../../db/client';
import { surveyAnswerUpdate, ticketStateQuery, type TicketEvent } from '../../domain/crm';
import type { SupportPriority } from '../../domain/events/crm';
import { ticketWorkflowId } from '../../domain/names';
import { sendTicketEvent } from '../../api/planners/crm';
import { eventually } from '../../test/support/harness';
import type { HistoryScenario, ScenarioContext } from './scenario';

let seq = 0;
const cause = () => ({
  source: 'record-histories',
  id: `evt-ticket-${++seq}`,
  correlationId: 'history-ticket',
});

async function customer(db: Db, customerId: string, consent: boolean) {
  await db
    .insert(customers)
    .values({
      customerId,
      name: customerId,
      currency: 'EUR',
      consent,
      versionEventSeq: 0,
      causationSource: 'record-histories',
      causationId: `customer-${customerId}`,
      correlationId: 'history-ticket',
    })
    .onConflictDoNothing();
}

async function run(ctx: ScenarioContext, ticketId: string, customerId: string, priority: SupportPriority) {
  const send = (e: TicketEvent) => sendTicketEvent(ctx.client, ctx.taskQueuePrefix, ticketId, e);
  const handle = ctx.client.workflow.getHandle(ticketWorkflowId(ticketId));
  const state = () => handle.query(ticketStateQuery);
  const at = () => new Date().toISOString();
  await send({
    kind: 'requested',
    request: { ticketId, customerId, channel: 'email', subject: 'Broken glass', priority },
    cause: cause(),
  });
  await eventually(
    async () => (await ctx.db.select().from(crmTickets).where(eq(crmTickets.ticketId, ticketId)))[0],
  );
  return { send, handle, state, at };
}

export const ticketScenario: HistoryScenario = {
  name: 'ticket',
  settings: {
    crm: {
      sla: { urgent: { firstResponse: '1 second', resolution: '2 seconds' } },
      surveyDelay: '1 second',
    },
  },
  async run(ctx) {
    // breached, escalated, reopened, closed
    await customer(ctx.db, 'C-HISTORY-1', true);
    const t1 = await run(ctx, 'T-HISTORY-1', 'C-HISTORY-1', 'urgent');
    await eventually(async () => ((await t1.state()).escalations.length === 2 ? true : undefined));
    await t1.send({
      kind: 'agent_responded',
      ticketId: 'T-HISTORY-1',
      agentId: 'agent:lena',
      at: t1.at(),
      cause: cause(),
    });
    await t1.send({
      kind: 'customer_replied',
      ticketId: 'T-HISTORY-1',
      at: t1.at(),
      message: 'thanks',
      cause: cause(),
    });
    await t1.send({
      kind: 'resolved',
      ticketId: 'T-HISTORY-1',
      resolvedBy: 'agent:lena',
      at: t1.at(),
      cause: cause(),
    });
    await eventually(async () => ((await t1.state()).phase === 'survey_sent' ? true : undefined));
    await t1.handle.executeUpdate(surveyAnswerUpdate, { args: [{ score: 1, comment: 'still broken' }] });
    await t1.send({
      kind: 'resolved',
      ticketId: 'T-HISTORY-1',
      resolvedBy: 'agent:lena',
      at: t1.at(),
      cause: cause(),
    });
    await eventually(async () => {
      const s = await t1.state();
      return s.phase === 'survey_sent' && s.round === 2 ? true : undefined;
    });
    await t1.handle.executeUpdate(surveyAnswerUpdate, { args: [{ score: 5 }] });
    await t1.handle.result();

    // met, no survey without consent
    await customer(ctx.db, 'C-HISTORY-2', false);
    const t2 = await run(ctx, 'T-HISTORY-2', 'C-HISTORY-2', 'normal');
    await t2.send({
      kind: 'agent_responded',
      ticketId: 'T-HISTORY-2',
      agentId: 'agent:max',
      at: t2.at(),
      cause: cause(),
    });
    await t2.send({
      kind: 'resolved',
      ticketId: 'T-HISTORY-2',
      resolvedBy: 'agent:max',
      at: t2.at(),
      cause: cause(),
    });
    await t2.handle.result();

    return [
      ...(await ctx.save(ticketWorkflowId('T-HISTORY-1'), 'ticket-escalated-reopened')),
      ...(await ctx.save(ticketWorkflowId('T-HISTORY-2'), 'ticket-met-no-survey')),
    ];
  },
};
