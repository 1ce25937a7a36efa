/** OpenAPI paths of the batch schedules (hybrid batch) and the stored receivables-ageing report. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { KNOWN_SCHEDULE_IDS } from '../workers/schedules';
import {
  commandProblems,
  commandResponseHeaders,
  idempotencyHeaders,
  json,
  locationHeaders,
  problem,
} from './openapi-common';
import { ageingReportQuerySchema } from './reports';
import {
  backfillBodySchema,
  MAX_BACKFILL_DAYS,
  noteBodySchema,
  OVERLAP_POLICIES,
  triggerBodySchema,
} from './schedules';

const SCHEDULES_TAG = 'system';
const REPORTS_TAG = 'ledger';

const overlapSchema = z.enum(OVERLAP_POLICIES);

const recentRunSchema = z
  .object({
    scheduledAt: z
      .string()
      .meta({ description: 'The time the run was scheduled for (a trigger: its time).' }),
    takenAt: z.string().meta({ description: 'When the schedule actually started it.' }),
    workflow: z.object({
      id: z.string(),
      runId: z.string(),
      status: z.string().meta({ description: "Temporal's execution status, NOT_FOUND, or UNKNOWN." }),
    }),
    result: z.unknown().meta({
      description: "The workflow's result once COMPLETED (the sweep's counts, the report), else null.",
    }),
    links: z.object({ temporalUi: z.string() }),
  })
  .meta({ id: 'ScheduleRun' });

const scheduleSchema = z
  .object({
    scheduleId: z.enum(KNOWN_SCHEDULE_IDS as [string, ...string[]]),
    temporalScheduleId: z
      .string()
      .meta({ description: 'The id in Temporal: SCHEDULE_ID_PREFIX + scheduleId.' }),
    description: z.string(),
    paused: z.boolean(),
    note: z.string().nullable().meta({ description: 'Why it was paused or unpaused, or set by Temporal.' }),
    workflowType: z.string(),
    taskQueue: z.string(),
    overlap: overlapSchema,
    catchupWindow: z.string().meta({ description: 'ISO 8601 duration, e.g. PT4H.' }),
    pauseOnFailure: z.boolean(),
    backfillOverlap: overlapSchema.meta({ description: 'The overlap policy of a backfill that names none.' }),
    nextRuns: z.array(z.string()).meta({ description: 'The next 5 scheduled times (none while paused).' }),
    recentRuns: z.array(recentRunSchema).meta({ description: 'The last runs (up to 10), newest first.' }),
    runningWorkflows: z.array(z.string()),
    actionsTaken: z.number().int(),
    actionsSkippedOverlap: z.number().int(),
    actionsMissedCatchupWindow: z.number().int(),
    links: z.object({ self: z.string(), temporalUi: z.string() }),
  })
  .meta({ id: 'Schedule' });

const ageingReportSchema = z
  .object({
    asOf: z.string(),
    generatedAt: z.string(),
    currencies: z.array(
      z.object({
        currency: z.string(),
        buckets: z.record(
          z.enum(['current', 'days1to30', 'days31to60', 'days61to90', 'over90']),
          z.object({ amount: z.number().int(), invoices: z.number().int() }),
        ),
        total: z.number().int().meta({ description: 'Outstanding, minor units of currency.' }),
      }),
    ),
    workflowId: z.string().nullable(),
    runId: z.string().nullable(),
    links: z.object({ self: z.string() }),
  })
  .meta({ id: 'ReceivablesAgeingReport' });

const params = z.object({
  id: z.string().meta({
    description: `One of ${KNOWN_SCHEDULE_IDS.join(', ')}; any other answers 404.`,
    example: 'inventory-sweep',
  }),
});
const notFound = problem('Not one of the known schedules, or not registered in Temporal yet.');

export function registerSchedulePaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/schedules',
    tags: [SCHEDULES_TAG],
    summary: 'The batch schedules: state, next run times and recent runs with their results.',
    description:
      'reconciliation-nightly (02:00 UTC), inventory-sweep (hourly at :15) and receivables-ageing-report ' +
      '(05:00 UTC), as registered by the workers at start. A schedule not registered yet is left out.',
    responses: {
      200: {
        description: 'The registered schedules.',
        content: json(z.object({ items: z.array(scheduleSchema), nextCursor: z.null() })),
      },
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/schedules/{id}',
    tags: [SCHEDULES_TAG],
    summary: 'One batch schedule.',
    request: { params },
    responses: { 200: { description: 'The schedule.', content: json(scheduleSchema) }, 404: notFound },
  });

  const command = (
    path: string,
    summary: string,
    description: string,
    body: z.ZodType,
    status: 200 | 202,
    answer: z.ZodType,
    badInput: string,
  ) =>
    registry.registerPath({
      method: 'post',
      path,
      tags: [SCHEDULES_TAG],
      summary,
      description,
      request: { params, headers: idempotencyHeaders, body: { required: false, content: json(body) } },
      responses: {
        [status]: {
          description:
            status === 202 ? 'Accepted: the run(s) start now.' : 'Done; the schedule as it is now.',
          headers: status === 202 ? locationHeaders('The schedule.') : commandResponseHeaders,
          content: json(answer),
        },
        400: problem(badInput, commandResponseHeaders),
        404: notFound,
        ...commandProblems,
        415: problem('Not application/json.'),
        422: problem('Idempotency-Key already used for a different request.'),
      },
    });

  command(
    '/v1/schedules/{id}/trigger',
    'Run the schedule’s workflow once, now.',
    'Also while paused. The run shows in recentRuns once started; overlap defaults to the schedule’s policy.',
    triggerBodySchema,
    202,
    scheduleSchema,
    'Invalid body (field paths in errors) or Idempotency-Key.',
  );
  command(
    '/v1/schedules/{id}/pause',
    'Pause the schedule, with an optional note.',
    'No scheduled runs while paused (trigger and backfill still run). A worker restart keeps it paused.',
    noteBodySchema,
    200,
    scheduleSchema,
    'Invalid body or Idempotency-Key.',
  );
  command(
    '/v1/schedules/{id}/unpause',
    'Resume a paused schedule, with an optional note.',
    'Runs missed while paused are not made up; backfill them if wanted.',
    noteBodySchema,
    200,
    scheduleSchema,
    'Invalid body or Idempotency-Key.',
  );
  command(
    '/v1/schedules/{id}/backfill',
    'Run the schedule for every time it would have fired in a past range.',
    `from < to, at most ${MAX_BACKFILL_DAYS} days, to not in the future. Each run gets its scheduled time (the ` +
      'ageing report reports on that day). overlap defaults to the schedule’s backfillOverlap (reconciliation: ' +
      'BUFFER_ALL, one night after another; sweep: SKIP; ageing report: ALLOW_ALL).',
    backfillBodySchema,
    202,
    z.object({
      scheduleId: z.string(),
      backfill: z.object({ from: z.string(), to: z.string(), overlap: overlapSchema }),
      schedule: scheduleSchema,
    }),
    'Invalid range (errors name from, to or overlap) or Idempotency-Key; nothing is started.',
  );

  registry.registerPath({
    method: 'get',
    path: '/v1/reports/receivables-ageing',
    tags: [REPORTS_TAG],
    summary: 'The stored receivables-ageing report of a day, or the latest.',
    description:
      'Written daily by the receivables-ageing-report schedule (and by its triggers and backfills), once per ' +
      'day: outstanding amounts and invoice counts per currency by days past due (current, 1-30, 31-60, 61-90, ' +
      'over 90) as of that day.',
    request: { query: ageingReportQuerySchema },
    responses: {
      200: { description: 'The report.', content: json(ageingReportSchema) },
      400: problem('Invalid asOf.'),
      404: problem('No report stored for that day (or none yet).'),
    },
  });
}
