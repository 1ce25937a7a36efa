/**
 * Customer follow-up over REST: tickets (read, agent responses, resolve, survey answers), CRM tasks
 * (list, complete) and a customer's timeline. Agent responses and resolutions become the same
 * support.* events a help desk could send (source erp-api/rest), stored and routed through ingestion.
 */
import { Router, type Request } from 'express';
import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { type EventType } from '../domain/events/catalogue';
import { idSchema, timestampSchema } from '../domain/events/primitives';
import { surveyAnswerUpdate } from '../domain/crm';
import { customerFollowUpWorkflowId, ticketWorkflowId } from '../domain/names';
import { executionUiLink } from '../lib/temporal';
import {
  crmInteractions,
  crmTasks,
  crmTickets,
  customers,
  TASK_STATUSES,
  type CrmTaskRow,
  type CrmTicketRow,
} from '../db/schema';
import { Problem, parseOr400, pathParam, requireContentType, validationProblem } from './problem';
import { command, type CommandResponse } from './idempotency';
import { ingestRestEvent, type EventAnswer } from './ingest';
import { sendToCustomer } from './planners/crm';
import type { AppDeps } from './app';
import { describeWorkflow } from './workflow-status';

export const MAX_LIMIT = 500;
const DEFAULT_LIMIT = 50;

// ---- request bodies (also documented in openapi-crm.ts) -------------------------------------------

export const agentResponseBody = z
  .object({
    agentId: idSchema,
    message: z.string().min(1).max(10_000).optional(),
    respondedAt: timestampSchema.optional().meta({ description: 'Defaults to now.' }),
  })
  .strict()
  .meta({ id: 'AgentResponse' });

export const resolveBody = z
  .object({
    resolvedBy: idSchema,
    resolution: z.string().min(1).max(10_000).optional(),
    resolvedAt: timestampSchema.optional().meta({ description: 'Defaults to now.' }),
  })
  .strict()
  .meta({ id: 'ResolveTicket' });

export const surveyResponseBody = z
  .object({
    score: z.number().int().min(1).max(5).meta({ description: '1 (very unhappy) to 5 (very happy).' }),
    comment: z.string().max(2000).optional(),
  })
  .strict()
  .meta({ id: 'SurveyResponse' });

export const tasksQuery = z
  .object({
    assignee: z.string().min(1).optional(),
    status: z.enum(TASK_STATUSES).optional(),
    customerId: idSchema.optional(),
    ticketId: idSchema.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
    cursor: z.string().regex(/^\d+$/).optional().meta({ description: 'nextCursor of the previous page.' }),
  })
  .strict();

export const timelineQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
    cursor: z.string().optional().meta({ description: 'nextCursor of the previous page.' }),
  })
  .strict();

// ---- views ----------------------------------------------------------------------------------------

export function taskView(row: CrmTaskRow) {
  return {
    taskId: String(row.id),
    taskKey: row.taskKey,
    type: row.type,
    title: row.title,
    status: row.status,
    assignee: row.assignee,
    customerId: row.customerId,
    ticketId: row.ticketId,
    orderId: row.orderId,
    purchaseOrderId: row.purchaseOrderId,
    dueAt: row.dueAt?.toISOString() ?? null,
    completedAt: row.completedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    links: { self: `/v1/tasks/${row.id}` },
  };
}

const ticketPath = (ticketId: string) => `/v1/tickets/${encodeURIComponent(ticketId)}`;

function body<T>(req: Request, schema: z.ZodType<T>): T {
  requireContentType(req, ['application/json']);
  return parseOr400(schema, req.body ?? {});
}

const pathId = (req: Request, name: string): string => pathParam(req, name, idSchema);

const notFound = (what: string, key: string) =>
  new Problem(404, 'not-found', `${what} not found`, `No ${what.toLowerCase()} ${key}.`);

export function crmRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;

  const loadTicket = async (ticketId: string) =>
    (await db.select().from(crmTickets).where(eq(crmTickets.ticketId, ticketId)))[0];

  async function ticketView(row: CrmTicketRow) {
    const workflowId = ticketWorkflowId(row.ticketId);
    const [tasks, interactions, workflow] = await Promise.all([
      db.select().from(crmTasks).where(eq(crmTasks.ticketId, row.ticketId)).orderBy(asc(crmTasks.id)),
      db
        .select()
        .from(crmInteractions)
        .where(eq(crmInteractions.ticketId, row.ticketId))
        .orderBy(asc(crmInteractions.occurredAt), asc(crmInteractions.id)),
      describeWorkflow(deps, workflowId),
    ]);
    return {
      ticketId: row.ticketId,
      customerId: row.customerId,
      channel: row.channel,
      subject: row.subject,
      priority: row.priority,
      status: row.status,
      assignee: row.assignee,
      firstResponseDueAt: row.firstResponseDueAt.toISOString(),
      resolutionDueAt: row.resolutionDueAt.toISOString(),
      firstRespondedAt: row.firstRespondedAt?.toISOString() ?? null,
      resolvedAt: row.resolvedAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      tasks: tasks.map(taskView),
      interactions: interactions.map((i) => ({
        kind: i.kind,
        direction: i.direction,
        channel: i.channel,
        occurredAt: i.occurredAt.toISOString(),
        summary: i.summary,
      })),
      workflow,
      links: {
        self: ticketPath(row.ticketId),
        temporalUi: executionUiLink(deps.temporal.uiUrl, deps.temporal.namespace, workflowId, workflow.runId),
      },
    };
  }

  /** Stores and routes one support.* event made by this API (source erp-api/rest). */
  async function emit(type: EventType, subject: string, data: unknown): Promise<EventAnswer> {
    return (await ingestRestEvent(deps, { type, subject, data })).body;
  }

  const accepted = (ticketId: string, event: EventAnswer): CommandResponse => ({
    status: 202,
    body: { ticketId, event, links: { ticket: ticketPath(ticketId), event: event.links.self } },
    headers: { Location: ticketPath(ticketId) },
  });

  /** A ticket with its tasks, interactions and workflow. */
  router.get('/v1/tickets/:ticketId', async (req, res) => {
    const ticketId = pathId(req, 'ticketId');
    const row = await loadTicket(ticketId);
    if (!row) throw notFound('Ticket', ticketId);
    res.json(await ticketView(row));
  });

  /** An agent's response: becomes support.agent_responded. */
  router.post(
    '/v1/tickets/:ticketId/responses',
    command(deps, 'POST /v1/tickets/:ticketId/responses', async (req) => {
      const ticketId = pathId(req, 'ticketId');
      const b = body(req, agentResponseBody);
      const row = await loadTicket(ticketId);
      if (!row) throw notFound('Ticket', ticketId);
      if (row.status === 'closed') {
        throw new Problem(409, 'ticket-closed', 'Ticket closed', `Ticket ${ticketId} is closed.`);
      }
      const event = await emit('support.agent_responded', ticketId, {
        ticketId,
        agentId: b.agentId,
        respondedAt: b.respondedAt ?? new Date().toISOString(),
        ...(b.message ? { message: b.message } : {}),
      });
      return accepted(ticketId, event);
    }),
  );

  /** Resolves a ticket: becomes support.resolved. */
  router.post(
    '/v1/tickets/:ticketId/resolve',
    command(deps, 'POST /v1/tickets/:ticketId/resolve', async (req) => {
      const ticketId = pathId(req, 'ticketId');
      const b = body(req, resolveBody);
      const row = await loadTicket(ticketId);
      if (!row) throw notFound('Ticket', ticketId);
      if (row.status === 'resolved' || row.status === 'closed') {
        throw new Problem(409, 'ticket-not-open', 'Ticket not open', `Ticket ${ticketId} is ${row.status}.`);
      }
      const event = await emit('support.resolved', ticketId, {
        ticketId,
        resolvedBy: b.resolvedBy,
        resolvedAt: b.resolvedAt ?? new Date().toISOString(),
        ...(b.resolution ? { resolution: b.resolution } : {}),
      });
      return accepted(ticketId, event);
    }),
  );

  /** The customer's satisfaction survey answer (a workflow update); a negative one reopens the ticket. */
  router.post(
    '/v1/tickets/:ticketId/survey-response',
    command(deps, 'POST /v1/tickets/:ticketId/survey-response', async (req) => {
      const ticketId = pathId(req, 'ticketId');
      const b = body(req, surveyResponseBody);
      const row = await loadTicket(ticketId);
      if (!row) throw notFound('Ticket', ticketId);
      const noSurvey = (detail: string) => new Problem(409, 'no-survey-pending', 'No survey pending', detail);
      let outcome;
      try {
        outcome = await deps.temporal.client.workflow
          .getHandle(ticketWorkflowId(ticketId))
          .executeUpdate(surveyAnswerUpdate, { args: [b] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw noSurvey(err.cause?.message ?? err.message);
        if (err instanceof WorkflowNotFoundError)
          throw noSurvey(`Ticket ${ticketId} has no running workflow.`);
        throw err;
      }
      const after = (await loadTicket(ticketId)) as CrmTicketRow;
      return { status: 200, body: { outcome, ticket: await ticketView(after) } };
    }),
  );

  /** CRM tasks, filtered by assignee, status, customer or ticket; oldest first. */
  router.get('/v1/tasks', async (req, res) => {
    const q = parseOr400(tasksQuery, req.query);
    const limit = q.limit ?? DEFAULT_LIMIT;
    const where: SQL[] = [];
    if (q.assignee) where.push(eq(crmTasks.assignee, q.assignee));
    if (q.status) where.push(eq(crmTasks.status, q.status));
    if (q.customerId) where.push(eq(crmTasks.customerId, q.customerId));
    if (q.ticketId) where.push(eq(crmTasks.ticketId, q.ticketId));
    if (q.cursor) where.push(gt(crmTasks.id, Number(q.cursor)));
    const rows = await db
      .select()
      .from(crmTasks)
      .where(and(...where))
      .orderBy(asc(crmTasks.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    res.json({
      items: page.map(taskView),
      nextCursor: rows.length > limit ? String(page[page.length - 1]?.id) : null,
    });
  });

  /**
   * Completes a task. A task of a chained type makes the customer's workflow open the next type
   * after its delay (a durable timer there); completing a done task again re-sends that notice.
   */
  router.post(
    '/v1/tasks/:taskId/complete',
    command(deps, 'POST /v1/tasks/:taskId/complete', async (req) => {
      const raw = req.params.taskId as string;
      if (!/^\d{1,18}$/.test(raw))
        throw validationProblem([{ path: 'taskId', message: 'expected a task id' }]);
      const taskId = Number(raw);
      const task = await db.transaction(async (tx) => {
        const [row] = await tx.select().from(crmTasks).where(eq(crmTasks.id, taskId)).for('update');
        if (!row) throw notFound('Task', raw);
        if (row.status === 'cancelled') {
          throw new Problem(409, 'task-cancelled', 'Task cancelled', `Task ${raw} was cancelled.`);
        }
        if (row.status === 'done') return row;
        const [done] = await tx
          .update(crmTasks)
          .set({ status: 'done', completedAt: sql`now()`, updatedAt: sql`now()` })
          .where(eq(crmTasks.id, taskId))
          .returning();
        return done as CrmTaskRow;
      });
      // only a chained type has a next step; others need nothing from the customer's workflow
      if (task.customerId && deps.settings.crm.taskChain[task.type]) {
        try {
          await sendToCustomer(deps.temporal.client, deps.temporal.taskQueuePrefix, task.customerId, {
            taskCompleted: {
              customerId: task.customerId,
              taskId: task.id,
              type: task.type,
              completedAt: (task.completedAt as Date).toISOString(),
            },
          });
        } catch (err) {
          deps.logger.warn({ taskId, err: (err as Error).message }, 'task completion not signalled');
          throw new Problem(
            503,
            'temporal-unavailable',
            'Temporal unavailable',
            `Task ${raw} is done, but its follow-up could not be scheduled; retry the request.`,
          );
        }
      }
      return { status: 200, body: taskView(task) };
    }),
  );

  /**
   * A customer's timeline: its events (and those of its tickets), orders, invoices, payments,
   * tickets, tasks, interactions and contacts, oldest first, paginated by a cursor.
   */
  router.get('/v1/customers/:customerId/timeline', async (req, res) => {
    const customerId = pathId(req, 'customerId');
    const q = parseOr400(timelineQuery, req.query);
    const limit = q.limit ?? DEFAULT_LIMIT;
    const after = q.cursor ? decodeCursor(q.cursor) : null;
    const items = await timelinePage(deps, customerId, after, limit + 1);
    if (!after && items.length === 0) {
      const [customer] = await db
        .select({ id: customers.customerId })
        .from(customers)
        .where(eq(customers.customerId, customerId));
      if (!customer) throw notFound('Customer', customerId);
    }
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    res.json({
      customerId,
      items: page.map(({ cursorAt: _c, ...item }) => item),
      nextCursor: items.length > limit && last ? encodeCursor([last.cursorAt, last.kind, last.key]) : null,
      links: {
        self: `/v1/customers/${encodeURIComponent(customerId)}/timeline`,
        customer: `/v1/customers/${encodeURIComponent(customerId)}`,
        workflow: executionUiLink(
          deps.temporal.uiUrl,
          deps.temporal.namespace,
          customerFollowUpWorkflowId(customerId),
        ),
      },
    });
  });

  return router;
}

type Cursor = [at: string, kind: string, key: string];

const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(raw: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(c) &&
      c.length === 3 &&
      c.every((x) => typeof x === 'string') &&
      !Number.isNaN(Date.parse(c[0] as string))
    ) {
      return c as Cursor;
    }
  } catch {
    // fall through
  }
  throw validationProblem([{ path: 'cursor', message: 'not a cursor this API returned' }]);
}

interface TimelineItem {
  at: string;
  kind: string;
  key: string;
  detail: Record<string, unknown>;
  cursorAt: string;
}

/** One page of the timeline, ordered by (time, kind, key); `cursorAt` keeps microseconds. */
async function timelinePage(
  deps: AppDeps,
  customerId: string,
  after: Cursor | null,
  limit: number,
): Promise<TimelineItem[]> {
  const micro = (col: SQL) => sql`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  const rows = await deps.db.execute<{
    at: string;
    kind: string;
    key: string;
    detail: Record<string, unknown>;
  }>(sql`
    with tickets as (select ticket_id from crm_tickets where customer_id = ${customerId}),
    items as (
      select coalesce(e.time, e.received_at) as at, 'event' as kind, e.source || '/' || e.id as key,
        jsonb_build_object('eventId', e.id, 'source', e.source, 'type', e.type, 'data', e.data) as detail
        from events e
        where e.data ->> 'customerId' = ${customerId}
           or e.data ->> 'ticketId' in (select ticket_id from tickets)
      union all
      select o.created_at, 'order', o.order_id,
        jsonb_build_object('orderId', o.order_id, 'status', o.status, 'total', o.total, 'currency', o.currency)
        from sales_orders o where o.customer_id = ${customerId}
      union all
      select i.created_at, 'invoice', i.invoice_number,
        jsonb_build_object('invoiceNumber', i.invoice_number, 'orderId', i.order_id, 'status', i.status,
          'total', i.total, 'currency', i.currency, 'dueDate', i.due_date)
        from invoices i where i.customer_id = ${customerId}
      union all
      select p.received_at, 'payment', p.payment_id,
        jsonb_build_object('paymentId', p.payment_id, 'amount', p.amount, 'currency', p.currency, 'status', p.status)
        from payments p where p.customer_id = ${customerId}
      union all
      select t.created_at, 'ticket', t.ticket_id,
        jsonb_build_object('ticketId', t.ticket_id, 'subject', t.subject, 'priority', t.priority, 'status', t.status)
        from crm_tickets t where t.customer_id = ${customerId}
      union all
      select k.created_at, 'task', lpad(k.id::text, 20, '0'),
        jsonb_build_object('taskId', k.id::text, 'type', k.type, 'title', k.title, 'status', k.status,
          'assignee', k.assignee, 'ticketId', k.ticket_id)
        from crm_tasks k where k.customer_id = ${customerId}
      union all
      select n.occurred_at, 'interaction', n.interaction_key,
        jsonb_build_object('kind', n.kind, 'direction', n.direction, 'channel', n.channel, 'ticketId', n.ticket_id,
          'summary', n.summary)
        from crm_interactions n where n.customer_id = ${customerId}
      union all
      select c.contacted_at, 'contact', c.contact_key, jsonb_build_object('kind', c.kind, 'contactKey', c.contact_key)
        from customer_contacts c where c.customer_id = ${customerId}
    )
    select ${micro(sql`at`)} as at, kind, key, detail from items
    ${after ? sql`where (at, kind, key) > (${after[0]}::timestamptz, ${after[1]}, ${after[2]})` : sql``}
    order by items.at, kind, key
    limit ${limit}
  `);
  return rows.rows.map((r) => ({
    at: new Date(r.at).toISOString(),
    kind: r.kind,
    key: r.key,
    detail: r.detail,
    cursorAt: r.at,
  }));
}
