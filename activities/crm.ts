/**
 * Customer follow-up activities: tickets, their tasks, interactions and announcements; sales
 * follow-ups through the contact budget; chained tasks. Every write is keyed (unique task, outbox,
 * interaction and contact keys), so a retry changes nothing and returns the first outcome.
 */
import { causeColumns } from '../db/schema/columns';
import { log } from '@temporalio/activity';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { crmInteractions, crmTasks, crmTickets, type CrmTicketRow } from '../db/schema';
import { openTask } from '../db/queries/crm';
import { appendOutbox } from '../db/queries/outbox';
import { contactLimit, decideContact } from '../db/queries/contacts';
import type { ContactDecision, EventRef, FlowRef } from '../domain/crm';
import type { SupportRequestedV1 } from '../domain/events/crm';
import type { ActivityDeps } from './index';

export interface TicketSnapshot {
  ticketId: string;
  customerId: string;
  status: CrmTicketRow['status'];
  firstResponseDueAt: string;
  resolutionDueAt: string;
  firstRespondedAt: string | null;
  /** False when the ticket existed already (a re-delivered request, or a closed ticket). */
  created: boolean;
}

export type Breach = 'first_response' | 'resolution';

const snapshot = (row: CrmTicketRow, created: boolean): TicketSnapshot => ({
  ticketId: row.ticketId,
  customerId: row.customerId,
  status: row.status,
  firstResponseDueAt: row.firstResponseDueAt.toISOString(),
  resolutionDueAt: row.resolutionDueAt.toISOString(),
  firstRespondedAt: row.firstRespondedAt?.toISOString() ?? null,
  created,
});

/** Records an interaction once per key; true when this call wrote it. */
async function recordInteraction(
  tx: Tx,
  i: {
    key: string;
    customerId: string;
    ticketId?: string;
    kind: string;
    channel?: string;
    direction: 'inbound' | 'outbound';
    at: Date;
    summary?: string;
    cause: FlowRef;
  },
): Promise<boolean> {
  const rows = await tx
    .insert(crmInteractions)
    .values({
      interactionKey: i.key,
      customerId: i.customerId,
      ticketId: i.ticketId ?? null,
      kind: i.kind,
      channel: i.channel ?? null,
      direction: i.direction,
      occurredAt: i.at,
      summary: i.summary?.slice(0, 2000) ?? null,
      ...causeColumns(i.cause),
    })
    .onConflictDoNothing({ target: crmInteractions.interactionKey })
    .returning({ id: crmInteractions.id });
  return rows.length > 0;
}

async function lockTicket(tx: Tx, ticketId: string): Promise<CrmTicketRow> {
  const [row] = await tx.select().from(crmTickets).where(eq(crmTickets.ticketId, ticketId)).for('update');
  if (!row) throw new Error(`ticket ${ticketId} not found`);
  return row;
}

/** Marks the ticket's open tasks (of the given types, or all) done. */
async function completeTicketTasks(tx: Tx, ticketId: string, at: Date, types?: string[]): Promise<void> {
  await tx
    .update(crmTasks)
    .set({ status: 'done', completedAt: at, updatedAt: sql`now()` })
    .where(
      and(
        eq(crmTasks.ticketId, ticketId),
        eq(crmTasks.status, 'open'),
        ...(types ? [inArray(crmTasks.type, types)] : []),
      ),
    );
}

const ticketEventKey = (cause: EventRef) => `ticket-event/${cause.source}/${cause.id}`;

export function createCrmActivities({ db, settings }: ActivityDeps) {
  const limitOf = (kind: string) => contactLimit(settings, kind);

  return {
    /**
     * Creates the ticket with its SLA deadlines, the first-response task for support and the
     * ticket.acknowledged announcement, together. A ticket that exists already is returned as it is.
     */
    async openTicket(args: {
      request: SupportRequestedV1;
      cause: EventRef;
      firstResponseDueAt: string;
      resolutionDueAt: string;
    }): Promise<TicketSnapshot> {
      const r = args.request;
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(crmTickets)
          .values({
            ticketId: r.ticketId,
            customerId: r.customerId,
            channel: r.channel,
            subject: r.subject,
            priority: r.priority,
            status: 'open',
            assignee: settings.crm.supportAssignee,
            firstResponseDueAt: new Date(args.firstResponseDueAt),
            resolutionDueAt: new Date(args.resolutionDueAt),
            ...causeColumns(args.cause),
          })
          .onConflictDoNothing({ target: crmTickets.ticketId })
          .returning();
        if (!row) {
          const [prior] = await tx.select().from(crmTickets).where(eq(crmTickets.ticketId, r.ticketId));
          return snapshot(prior as CrmTicketRow, false);
        }
        await openTask(tx, {
          taskKey: `ticket/${r.ticketId}/first-response`,
          type: 'ticket_first_response',
          title: `Respond to ticket ${r.ticketId}: ${r.subject}`.slice(0, 300),
          customerId: r.customerId,
          ticketId: r.ticketId,
          assignee: settings.crm.supportAssignee,
          dueAt: row.firstResponseDueAt,
          cause: args.cause,
        });
        await recordInteraction(tx, {
          key: ticketEventKey(args.cause),
          customerId: r.customerId,
          ticketId: r.ticketId,
          kind: 'support_request',
          channel: r.channel,
          direction: 'inbound',
          at: row.createdAt,
          summary: r.description ?? r.subject,
          cause: args.cause,
        });
        await appendOutbox(tx, {
          aggregateType: 'ticket',
          aggregateId: r.ticketId,
          type: 'ticket.acknowledged',
          payload: {
            ticketId: r.ticketId,
            customerId: r.customerId,
            channel: r.channel,
            subject: r.subject,
            priority: r.priority,
            firstResponseDueAt: args.firstResponseDueAt,
            resolutionDueAt: args.resolutionDueAt,
          },
          idempotencyKey: `ticket.acknowledged/${r.ticketId}`,
          cause: args.cause,
        });
        log.info('ticket opened', { ticketId: r.ticketId, priority: r.priority });
        return snapshot(row, true);
      });
    },

    /** An agent's response: the first one sets first_responded_at and completes the response tasks. */
    async recordAgentResponse(args: {
      ticketId: string;
      agentId: string;
      at: string;
      message?: string;
      cause: EventRef;
    }): Promise<void> {
      await db.transaction(async (tx) => {
        const ticket = await lockTicket(tx, args.ticketId);
        const at = new Date(args.at);
        const fresh = await recordInteraction(tx, {
          key: ticketEventKey(args.cause),
          customerId: ticket.customerId,
          ticketId: ticket.ticketId,
          kind: 'agent_response',
          channel: ticket.channel,
          direction: 'outbound',
          at,
          summary: args.message ?? `response by ${args.agentId}`,
          cause: args.cause,
        });
        if (!fresh) return;
        await tx
          .update(crmTickets)
          .set({
            firstRespondedAt: ticket.firstRespondedAt ?? at,
            status:
              ticket.status === 'resolved' || ticket.status === 'closed'
                ? ticket.status
                : 'awaiting_customer',
            updatedAt: sql`now()`,
          })
          .where(eq(crmTickets.ticketId, ticket.ticketId));
        await completeTicketTasks(tx, ticket.ticketId, at, [
          'ticket_first_response',
          'ticket_reopened',
          'ticket_escalation_first_response',
        ]);
      });
    },

    /** The customer wrote back: recorded; a ticket awaiting the customer is open again. */
    async recordCustomerReply(args: { ticketId: string; at: string; message?: string; cause: EventRef }) {
      await db.transaction(async (tx) => {
        const ticket = await lockTicket(tx, args.ticketId);
        const fresh = await recordInteraction(tx, {
          key: ticketEventKey(args.cause),
          customerId: ticket.customerId,
          ticketId: ticket.ticketId,
          kind: 'customer_reply',
          channel: ticket.channel,
          direction: 'inbound',
          at: new Date(args.at),
          summary: args.message,
          cause: args.cause,
        });
        if (fresh && ticket.status === 'awaiting_customer') {
          await tx
            .update(crmTickets)
            .set({ status: 'open', updatedAt: sql`now()` })
            .where(eq(crmTickets.ticketId, ticket.ticketId));
        }
      });
    },

    /** Resolves the ticket: status, the ticket's open tasks done, ticket.resolved announced. */
    async resolveTicket(args: {
      ticketId: string;
      resolvedBy: string;
      at: string;
      resolution?: string;
      round: number;
      cause: EventRef;
    }): Promise<void> {
      await db.transaction(async (tx) => {
        const ticket = await lockTicket(tx, args.ticketId);
        const at = new Date(args.at);
        await recordInteraction(tx, {
          key: ticketEventKey(args.cause),
          customerId: ticket.customerId,
          ticketId: ticket.ticketId,
          kind: 'resolution',
          channel: ticket.channel,
          direction: 'outbound',
          at,
          summary: args.resolution ?? `resolved by ${args.resolvedBy}`,
          cause: args.cause,
        });
        const { created } = await appendOutbox(tx, {
          aggregateType: 'ticket',
          aggregateId: ticket.ticketId,
          type: 'ticket.resolved',
          payload: {
            ticketId: ticket.ticketId,
            customerId: ticket.customerId,
            resolvedBy: args.resolvedBy,
            resolvedAt: args.at,
            round: args.round,
          },
          idempotencyKey: `ticket.resolved/${ticket.ticketId}/${args.round}`,
          cause: args.cause,
        });
        if (!created) return;
        await tx
          .update(crmTickets)
          .set({ status: 'resolved', resolvedAt: at, updatedAt: sql`now()` })
          .where(eq(crmTickets.ticketId, ticket.ticketId));
        await completeTicketTasks(tx, ticket.ticketId, at);
      });
    },

    /**
     * An SLA breach: the ticket is reassigned to the lead with an escalation task, and
     * alert.raised and ticket.escalated are announced.
     */
    async escalateTicket(args: {
      ticketId: string;
      breach: Breach;
      round: number;
      dueAt: string;
      correlationId: string;
    }): Promise<void> {
      const lead = settings.crm.escalationAssignee;
      const cause = { correlationId: args.correlationId };
      const key = `${args.ticketId}/${args.breach}/${args.round}`;
      await db.transaction(async (tx) => {
        const ticket = await lockTicket(tx, args.ticketId);
        const { created } = await appendOutbox(tx, {
          aggregateType: 'ticket',
          aggregateId: ticket.ticketId,
          type: 'ticket.escalated',
          payload: {
            ticketId: ticket.ticketId,
            customerId: ticket.customerId,
            breach: args.breach,
            dueAt: args.dueAt,
            assignee: lead,
            round: args.round,
          },
          idempotencyKey: `ticket.escalated/${key}`,
          cause,
        });
        if (!created) return;
        await appendOutbox(tx, {
          aggregateType: 'ticket',
          aggregateId: ticket.ticketId,
          type: 'alert.raised',
          payload: {
            alert: `ticket_${args.breach}_sla_breached`,
            severity: ticket.priority === 'urgent' || ticket.priority === 'high' ? 'high' : 'medium',
            ticketId: ticket.ticketId,
            priority: ticket.priority,
            dueAt: args.dueAt,
          },
          idempotencyKey: `alert.raised/ticket/${key}`,
          cause,
        });
        await tx
          .update(crmTickets)
          .set({ status: 'escalated', assignee: lead, updatedAt: sql`now()` })
          .where(eq(crmTickets.ticketId, ticket.ticketId));
        await openTask(tx, {
          taskKey: `ticket/${key}/escalation`,
          type: `ticket_escalation_${args.breach}`,
          title:
            `SLA breached (${args.breach.replace('_', ' ')}) on ticket ${ticket.ticketId}: ${ticket.subject}`.slice(
              0,
              300,
            ),
          customerId: ticket.customerId,
          ticketId: ticket.ticketId,
          assignee: lead,
          cause,
        });
        log.warn('ticket escalated', { ticketId: ticket.ticketId, breach: args.breach });
      });
    },

    /** Sends the satisfaction survey through the contact budget (kind `survey`). */
    async sendSurvey(args: {
      ticketId: string;
      round: number;
      correlationId: string;
    }): Promise<ContactDecision> {
      const cause = { correlationId: args.correlationId };
      return db.transaction(async (tx) => {
        const ticket = await lockTicket(tx, args.ticketId);
        const contactKey = `survey/${ticket.ticketId}/${args.round}`;
        const decision = await decideContact(tx, {
          customerId: ticket.customerId,
          kind: 'survey',
          contactKey,
          now: new Date(),
          limit: limitOf('survey'),
          cause,
        });
        if (decision.outcome !== 'allowed') return decision;
        await appendOutbox(tx, {
          aggregateType: 'ticket',
          aggregateId: ticket.ticketId,
          type: 'survey.sent',
          payload: {
            ticketId: ticket.ticketId,
            customerId: ticket.customerId,
            channel: ticket.channel,
            round: args.round,
          },
          idempotencyKey: `survey.sent/${ticket.ticketId}/${args.round}`,
          cause,
        });
        await recordInteraction(tx, {
          key: contactKey,
          customerId: ticket.customerId,
          ticketId: ticket.ticketId,
          kind: 'survey',
          channel: ticket.channel,
          direction: 'outbound',
          at: new Date(),
          cause,
        });
        return decision;
      });
    },

    /**
     * Records a survey answer. A negative one reopens the ticket (new resolution deadline, a task for
     * support, ticket.reopened); a positive one closes it.
     */
    async recordSurveyAnswer(args: {
      ticketId: string;
      round: number;
      score: number;
      comment?: string;
      negative: boolean;
      /** For a negative answer: the next round's resolution deadline. */
      resolutionDueAt: string;
      correlationId: string;
    }): Promise<void> {
      const cause = { correlationId: args.correlationId };
      await db.transaction(async (tx) => {
        const ticket = await lockTicket(tx, args.ticketId);
        const fresh = await recordInteraction(tx, {
          key: `survey-response/${ticket.ticketId}/${args.round}`,
          customerId: ticket.customerId,
          ticketId: ticket.ticketId,
          kind: 'survey_response',
          channel: ticket.channel,
          direction: 'inbound',
          at: new Date(),
          summary: `score ${args.score}${args.comment ? `: ${args.comment}` : ''}`,
          cause,
        });
        if (!fresh) return;
        if (!args.negative) {
          await tx
            .update(crmTickets)
            .set({ status: 'closed', updatedAt: sql`now()` })
            .where(eq(crmTickets.ticketId, ticket.ticketId));
          return;
        }
        await tx
          .update(crmTickets)
          .set({
            status: 'reopened',
            resolvedAt: null,
            resolutionDueAt: new Date(args.resolutionDueAt),
            assignee: settings.crm.supportAssignee,
            updatedAt: sql`now()`,
          })
          .where(eq(crmTickets.ticketId, ticket.ticketId));
        const nextRound = args.round + 1;
        await openTask(tx, {
          taskKey: `ticket/${ticket.ticketId}/reopened/${nextRound}`,
          type: 'ticket_reopened',
          title: `Ticket ${ticket.ticketId} reopened after a negative survey (score ${args.score})`,
          customerId: ticket.customerId,
          ticketId: ticket.ticketId,
          assignee: settings.crm.supportAssignee,
          dueAt: new Date(args.resolutionDueAt),
          cause,
        });
        await appendOutbox(tx, {
          aggregateType: 'ticket',
          aggregateId: ticket.ticketId,
          type: 'ticket.reopened',
          payload: {
            ticketId: ticket.ticketId,
            customerId: ticket.customerId,
            reason: 'negative_survey',
            score: args.score,
            round: nextRound,
            resolutionDueAt: args.resolutionDueAt,
          },
          idempotencyKey: `ticket.reopened/${ticket.ticketId}/${nextRound}`,
          cause,
        });
      });
    },

    /** Closes the ticket (survey unanswered or not allowed). */
    async closeTicket(args: { ticketId: string }): Promise<void> {
      await db
        .update(crmTickets)
        .set({ status: 'closed', updatedAt: sql`now()` })
        .where(eq(crmTickets.ticketId, args.ticketId));
    },

    /**
     * A sales follow-up after the behaviour score crossed the threshold: through the contact budget
     * (kind `sales`); when allowed, the task and follow_up.created commit with the contact.
     */
    async createSalesFollowUp(args: {
      customerId: string;
      /** Unique per crossing of this customer, e.g. `<first run id>/<crossing>`. */
      key: string;
      score: number;
      cause: FlowRef;
    }): Promise<ContactDecision & { taskId?: number }> {
      const key = `follow-up/${args.customerId}/${args.key}`;
      return db.transaction(async (tx) => {
        const decision = await decideContact(tx, {
          customerId: args.customerId,
          kind: 'sales',
          contactKey: key,
          now: new Date(),
          limit: limitOf('sales'),
          cause: args.cause,
        });
        if (decision.outcome !== 'allowed') {
          log.info('sales follow-up not allowed now', { customerId: args.customerId, ...decision });
          return decision;
        }
        const { task } = await openTask(tx, {
          taskKey: key,
          type: 'sales_follow_up',
          title: `Follow up with customer ${args.customerId} (score ${args.score.toFixed(1)})`,
          customerId: args.customerId,
          assignee: settings.crm.salesAssignee,
          cause: args.cause,
        });
        await appendOutbox(tx, {
          aggregateType: 'customer',
          aggregateId: args.customerId,
          type: 'follow_up.created',
          payload: { customerId: args.customerId, taskId: task.id, type: task.type, score: args.score },
          idempotencyKey: `follow_up.created/${key}`,
          cause: args.cause,
        });
        return { ...decision, taskId: task.id };
      });
    },

    /** A CRM task for sales about a high-value order (an internal task, not a customer contact). */
    async openHighValueOrderTask(args: { customerId: string; value?: number; cause: EventRef }) {
      const { task, created } = await db.transaction((tx) =>
        openTask(tx, {
          taskKey: `high-value-order/${args.cause.source}/${args.cause.id}`,
          type: 'high_value_order',
          title: `High-value order by customer ${args.customerId}${args.value !== undefined ? ` (${args.value})` : ''}`,
          customerId: args.customerId,
          assignee: settings.crm.salesAssignee,
          cause: args.cause,
        }),
      );
      return { taskId: task.id, created };
    },

    /** The next task of a chain, once per completed task; it keeps the previous task's assignee. */
    async openChainedTask(args: {
      customerId: string;
      fromTaskId: number;
      type: string;
      correlationId: string;
    }) {
      return db.transaction(async (tx) => {
        const [from] = await tx.select().from(crmTasks).where(eq(crmTasks.id, args.fromTaskId));
        const { task, created } = await openTask(tx, {
          taskKey: `chain/${args.fromTaskId}/${args.type}`,
          type: args.type,
          title: `${args.type.replace(/_/g, ' ')} (after task ${args.fromTaskId})`,
          customerId: args.customerId,
          ...(from?.ticketId ? { ticketId: from.ticketId } : {}),
          ...(from?.assignee ? { assignee: from.assignee } : {}),
          cause: { correlationId: args.correlationId },
        });
        return { taskId: task.id, created };
      });
    },
  };
}
