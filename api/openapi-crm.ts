/** OpenAPI paths of customer follow-up: tickets, tasks and a customer's timeline. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { SUPPORT_CHANNELS, SUPPORT_PRIORITIES } from '../domain/events/crm';
import { TASK_STATUSES, TICKET_STATUSES } from '../db/schema';
import { agentResponseBody, resolveBody, surveyResponseBody, tasksQuery, timelineQuery } from './crm';
import {
  commandProblems,
  commandResponseHeaders,
  idempotencyHeaders,
  json,
  locationHeaders,
  problem,
  workflowRefSchema,
} from './openapi-common';

const TAG = 'crm';

const ticketParams = z.object({ ticketId: z.string().meta({ description: 'The ticket id.' }) });
const taskParams = z.object({ taskId: z.string().regex(/^\d+$/).meta({ description: 'The task id.' }) });
const customerParams = z.object({ customerId: z.string().meta({ description: 'The customer id.' }) });

const taskSchema = z
  .object({
    taskId: z.string(),
    taskKey: z.string(),
    type: z.string(),
    title: z.string().nullable(),
    status: z.enum(TASK_STATUSES),
    assignee: z.string().nullable(),
    customerId: z.string().nullable(),
    ticketId: z.string().nullable(),
    orderId: z.string().nullable(),
    purchaseOrderId: z.string().nullable(),
    dueAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    createdAt: z.string(),
    links: z.object({ self: z.string() }),
  })
  .meta({ id: 'Task' });

const ticketSchema = z
  .object({
    ticketId: z.string(),
    customerId: z.string(),
    channel: z.enum(SUPPORT_CHANNELS),
    subject: z.string(),
    priority: z.enum(SUPPORT_PRIORITIES),
    status: z.enum(TICKET_STATUSES),
    assignee: z.string().nullable(),
    firstResponseDueAt: z.string(),
    resolutionDueAt: z.string(),
    firstRespondedAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    tasks: z.array(taskSchema),
    interactions: z.array(
      z.object({
        kind: z.string(),
        direction: z.enum(['inbound', 'outbound']),
        channel: z.string().nullable(),
        occurredAt: z.string(),
        summary: z.string().nullable(),
      }),
    ),
    workflow: workflowRefSchema,
    links: z.object({ self: z.string(), temporalUi: z.string() }),
  })
  .meta({ id: 'Ticket' });

const ticketCommandAnswer = z
  .object({
    ticketId: z.string(),
    event: z.object({}).passthrough().meta({ description: 'The EventAnswer of the support.* event stored.' }),
    links: z.object({ ticket: z.string(), event: z.string() }),
  })
  .meta({ id: 'TicketCommandAnswer' });

const surveyAnswerSchema = z
  .object({
    outcome: z.object({
      negative: z.boolean(),
      status: z.enum(['reopened', 'closed']),
      round: z.number().int(),
    }),
    ticket: ticketSchema,
  })
  .meta({ id: 'SurveyAnswerResult' });

const timelineSchema = z
  .object({
    customerId: z.string(),
    items: z.array(
      z.object({
        at: z.string(),
        kind: z.enum(['event', 'order', 'invoice', 'payment', 'ticket', 'task', 'interaction', 'contact']),
        key: z.string(),
        detail: z.record(z.string(), z.unknown()),
      }),
    ),
    nextCursor: z.string().nullable(),
    links: z.object({ self: z.string(), customer: z.string(), workflow: z.string() }),
  })
  .meta({ id: 'CustomerTimeline' });

const commandErrors = {
  400: problem(
    'Invalid path, body or Idempotency-Key; `errors` lists every failing field.',
    commandResponseHeaders,
  ),
  ...commandProblems,
  415: problem('Not application/json.', commandResponseHeaders),
  422: problem('Idempotency-Key already used for a different request.'),
};

/** Registers the crm routes. */
export function registerCrmPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/tickets/{ticketId}',
    tags: [TAG],
    summary: 'A ticket with its SLA deadlines, tasks, interactions and workflow.',
    request: { params: ticketParams },
    responses: {
      200: { description: 'The ticket.', content: json(ticketSchema) },
      400: problem('Invalid ticket id.'),
      404: problem('No such ticket.'),
    },
  });
  const eventCommand = (path: string, summary: string, description: string, body: z.ZodType) =>
    registry.registerPath({
      method: 'post',
      path,
      tags: [TAG],
      summary,
      description,
      request: {
        params: ticketParams,
        headers: idempotencyHeaders,
        body: { required: true, content: json(body) },
      },
      responses: {
        202: {
          description: 'Stored and routed (or pending) to the ticket’s workflow.',
          headers: locationHeaders('The ticket.'),
          content: json(ticketCommandAnswer),
        },
        ...commandErrors,
        404: problem('No such ticket.', commandResponseHeaders),
        409: problem(
          'The ticket does not accept this now (closed, or already resolved), or the Idempotency-Key is in use.',
        ),
      },
    });
  eventCommand(
    '/v1/tickets/{ticketId}/responses',
    'An agent’s response to a ticket.',
    'Stored as a `support.agent_responded` event from source `erp-api/rest` and routed like any other; the ' +
      'first response stops the first-response SLA.',
    agentResponseBody,
  );
  eventCommand(
    '/v1/tickets/{ticketId}/resolve',
    'Resolves a ticket.',
    'Stored as a `support.resolved` event from source `erp-api/rest`; the satisfaction survey follows ' +
      'after crm.surveyDelay.',
    resolveBody,
  );
  registry.registerPath({
    method: 'post',
    path: '/v1/tickets/{ticketId}/survey-response',
    tags: [TAG],
    summary: 'The customer’s answer to the satisfaction survey.',
    description:
      'Delivered to the ticket’s workflow as an update. A score at or below crm.negativeSurveyScore reopens ' +
      'the ticket (new resolution SLA, a task for support, ticket.reopened); a higher one closes it.',
    request: {
      params: ticketParams,
      headers: idempotencyHeaders,
      body: { required: true, content: json(surveyResponseBody) },
    },
    responses: {
      200: {
        description: 'Recorded; the outcome and the ticket.',
        headers: commandResponseHeaders,
        content: json(surveyAnswerSchema),
      },
      ...commandErrors,
      404: problem('No such ticket.', commandResponseHeaders),
      409: problem('No survey of this ticket is waiting for an answer, or the Idempotency-Key is in use.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/tasks',
    tags: [TAG],
    summary: 'CRM tasks, oldest first, filtered by assignee, status, customer or ticket.',
    request: { query: tasksQuery },
    responses: {
      200: {
        description: 'One page of tasks.',
        content: json(z.object({ items: z.array(taskSchema), nextCursor: z.string().nullable() })),
      },
      400: problem('Invalid query.'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/tasks/{taskId}/complete',
    tags: [TAG],
    summary: 'Completes a task; a chained task type schedules the next one after its delay.',
    description:
      'Completing a done task again answers it unchanged (and re-sends the completion to the customer’s ' +
      'workflow, which ignores a repeat). Chains are crm.taskChain (type -> { next, delay }).',
    request: { params: taskParams, headers: idempotencyHeaders },
    responses: {
      200: { description: 'The task, done.', headers: commandResponseHeaders, content: json(taskSchema) },
      ...commandErrors,
      404: problem('No such task.', commandResponseHeaders),
      409: problem('The task was cancelled, or the Idempotency-Key is in use.'),
      503: problem('The task is done but its follow-up could not be scheduled; retry.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/customers/{customerId}/timeline',
    tags: [TAG],
    summary:
      'A customer’s events, orders, invoices, payments, tickets, tasks, interactions and contacts in time order.',
    description:
      'Oldest first by (at, kind, key). Events are those whose data names the customer or one of its tickets; ' +
      'an event’s time is its CloudEvents time, else when it was received.',
    request: { params: customerParams, query: timelineQuery },
    responses: {
      200: { description: 'One page of the timeline.', content: json(timelineSchema) },
      400: problem('Invalid customer id, limit or cursor.'),
      404: problem('No such customer, and nothing recorded about it.'),
    },
  });
}
