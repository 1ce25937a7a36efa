/** OpenAPI paths of selective replay: dry runs (plans), their execution (runs), and reading both. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { REPLAY_OUTCOMES, REPLAY_RUN_STATUSES } from '../domain/replays';
import {
  commandProblems,
  commandResponseHeaders,
  idempotencyHeaders,
  json,
  locationHeaders,
  problem,
  workflowRefSchema,
} from './openapi-common';
import {
  planIdSchema,
  replayCommandSchema,
  replayListQuerySchema,
  replayRunIdSchema,
  replayRunQuerySchema,
} from './replays';

// replay is about the stored events (and the executions they drove): with the other event routes
const TAG = 'events';

const counts = z.record(z.string(), z.number().int());

const planSchema = z
  .object({
    planId: z.string(),
    createdAt: z.string(),
    createdBy: z
      .string()
      .meta({ description: "The API key id that made the dry run ('anonymous' without keys)." }),
    expiresAt: z.string().meta({ description: 'After this the plan can no longer be executed.' }),
    predicate: z.record(z.string(), z.unknown()),
    counts: z
      .object({
        matched: z.number().int(),
        redrive: z.number().int(),
        reset: z.number().int(),
        skipped: z.number().int(),
        byType: counts,
        byWorkflowType: counts,
        byStatus: counts,
      })
      .meta({ description: 'matched: events and executions the predicate selects; the rest as planned.' }),
    truncated: z.boolean().meta({ description: 'More matched than `limit`: the plan holds the first ones.' }),
    sample: z.array(
      z.object({
        position: z.number().int(),
        key: z
          .string()
          .meta({ description: '`event:<source>/<eventId>` or `workflow:<workflowId>/<runId>`.' }),
        kind: z.enum(['redrive', 'reset']),
        why: z.string(),
        target: z.record(z.string(), z.unknown()),
      }),
    ),
    skipped: z.array(z.object({ key: z.string(), why: z.string() })).meta({
      description:
        'Matched but not in the plan (no workflow consumes the type, superseded run, ...); up to 100.',
    }),
    run: z
      .object({
        runId: z.string(),
        status: z.enum(REPLAY_RUN_STATUSES),
        links: z.object({ self: z.string() }),
      })
      .nullable(),
    links: z.object({ self: z.string() }),
  })
  .meta({ id: 'ReplayPlan' });

const runSummary = z
  .object({
    runId: z.string(),
    planId: z.string(),
    status: z.enum(REPLAY_RUN_STATUSES),
    startedBy: z
      .string()
      .meta({ description: "The API key id that executed the plan ('anonymous' without keys)." }),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    total: z.number().int(),
    done: z.number().int().meta({ description: 'Items handled (any outcome).' }),
    failed: z.number().int(),
    error: z.string().nullable(),
    links: z.object({ self: z.string(), plan: z.string(), temporalUi: z.string() }),
  })
  .meta({ id: 'ReplayRunSummary' });

const runSchema = runSummary
  .extend({
    byOutcome: z.record(z.enum(REPLAY_OUTCOMES), z.number().int()),
    workflow: workflowRefSchema,
    items: z.array(
      z.object({
        position: z.number().int(),
        key: z.string(),
        kind: z.enum(['redrive', 'reset']),
        outcome: z.enum(REPLAY_OUTCOMES),
        detail: z.string(),
        at: z.string(),
      }),
    ),
    itemsNextCursor: z.string().nullable(),
  })
  .meta({ id: 'ReplayRun' });

export function registerReplayPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/replays',
    tags: [TAG],
    summary: 'Selective replay: a dry run over a predicate (answers a plan), or the execution of a plan.',
    description:
      '`{ dryRun: true, predicate, limit?, sample? }` answers 201 with the plan: what would be re-driven (stored ' +
      'events) or reset (failed, timed-out, terminated or canceled executions, to their last good point) and ' +
      'why, with counts and a sample; it writes only the plan. `{ planId }` executes the plan: 202 with the run, ' +
      'which does exactly the plan’s items in a durable workflow, rate-limited (ops.replays.itemsPerSecond). A ' +
      'plan executes at most once: executing it again answers 200 with its run. Scope admin.',
    request: { headers: idempotencyHeaders, body: { content: json(replayCommandSchema) } },
    responses: {
      201: {
        description: 'The plan (dry run).',
        headers: locationHeaders('The plan.'),
        content: json(planSchema),
      },
      202: {
        description: 'The run started.',
        headers: locationHeaders('The run.'),
        content: json(runSummary),
      },
      200: {
        description: 'The plan was executed before: its run.',
        headers: commandResponseHeaders,
        content: json(runSummary),
      },
      400: problem('Invalid predicate or body (each field in `errors`).'),
      404: problem('No such plan.'),
      ...commandProblems,
      409: problem('The plan expired, or a request with this Idempotency-Key is still running.'),
      422: problem('The Idempotency-Key was used for a different request.'),
      503: problem(
        'Temporal did not answer: the dry run could not list executions, or the run is recorded but did not ' +
          'start (send the same request again).',
      ),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/replays',
    tags: [TAG],
    summary: 'Replay runs, newest first.',
    request: { query: replayListQuerySchema },
    responses: {
      200: {
        description: 'One page of runs.',
        content: json(z.object({ items: z.array(runSummary), nextCursor: z.string().nullable() })),
      },
      400: problem('Invalid limit or cursor.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/replays/{runId}',
    tags: [TAG],
    summary: 'One replay run: who started it and when, progress, and the outcome of each item (paged).',
    request: { params: z.object({ runId: replayRunIdSchema }), query: replayRunQuerySchema },
    responses: {
      200: { description: 'The run.', content: json(runSchema) },
      400: problem('Invalid limit or cursor.'),
      404: problem('No such run.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/replays/plans/{planId}',
    tags: [TAG],
    summary: 'One replay plan: its predicate, counts, first items with why, and its run once executed.',
    request: { params: z.object({ planId: planIdSchema }) },
    responses: {
      200: { description: 'The plan.', content: json(planSchema) },
      404: problem('No such plan.'),
    },
  });
}
