/** OpenAPI paths of the nightly reconciliation runs. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { RECONCILIATION_RUN_STATUSES } from '../db/schema';
import { json, problem, workflowRefSchema } from './openapi-common';
import { runIdSchema, runsQuerySchema } from './reconciliation-runs';

const TAG = 'reconciliation';

const amounts = z.record(z.string(), z.number().int()).meta({ description: 'Minor units per currency.' });
const ruleTotals = z.object({ payments: z.number().int(), allocations: z.number().int(), amount: amounts });

const reportSchema = z
  .object({
    runId: z.string(),
    asOf: z.string(),
    pageSize: z.number().int(),
    pages: z.number().int(),
    paymentsScanned: z.number().int(),
    confidenceThreshold: z.number(),
    matched: z.object({
      reference: ruleTotals,
      exact_amount: ruleTotals,
      oldest_first: ruleTotals,
      tolerance: ruleTotals,
    }),
    writeOffs: z.object({ count: z.number().int(), amount: amounts }),
    credits: z.object({ count: z.number().int(), amount: amounts }),
    exceptions: z.object({
      belowThreshold: z.number().int(),
      possibleDuplicates: z.number().int(),
      anomalies: z.number().int().meta({
        description: 'Flagged by an anomaly (possible duplicate, unknown payer, amount above history).',
      }),
      reviewsStarted: z.number().int(),
    }),
    unallocated: z
      .object({ payments: z.number().int(), amount: amounts })
      .meta({ description: 'Payments the run read and no rule matched; left as they were.' }),
    deferred: z.number().int().meta({
      description: 'Payments still contended for an invoice after the last pass; the next run takes them.',
    }),
    ordersNotified: z.object({ signalled: z.number().int(), notRunning: z.number().int() }),
    ageing: z.array(
      z.object({
        currency: z.string(),
        buckets: z
          .record(z.string(), z.object({ amount: z.number().int(), invoices: z.number().int() }))
          .meta({
            description: 'current, days1to30, days31to60, days61to90, over90 (days past due on asOf).',
          }),
        total: z.number().int(),
      }),
    ),
    phases: z.record(z.string(), z.number()).meta({
      description:
        'Milliseconds: start, match, matchDb (sum of page transactions), notify, exceptions, report, total.',
    }),
    matchParts: z.record(z.string(), z.number()).meta({
      description:
        'Milliseconds of the page transactions by part (read, propose, apply, exceptions, ledgerCheck).',
    }),
  })
  .meta({ id: 'ReconciliationRunReport' });

const runSummary = z.object({
  runId: z.string(),
  asOf: z.string(),
  status: z.enum(RECONCILIATION_RUN_STATUSES),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  workflow: z
    .object({ id: z.string(), runId: z.string().nullable() })
    .meta({ description: 'The batch execution (GET one run for its status).' }),
  links: z.object({ self: z.string(), temporalUi: z.string() }),
});

const runSchema = runSummary
  .extend({
    report: z
      .union([reportSchema, z.object({ error: z.string() })])
      .nullable()
      .meta({ description: 'Null while the run is running; { error } when it failed.' }),
    workflow: workflowRefSchema,
  })
  .meta({ id: 'ReconciliationRun' });

export function registerReconciliationRunPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/reconciliation/runs/{id}',
    tags: [TAG],
    summary: 'A nightly reconciliation run and its report.',
    description:
      'Counts and amounts matched per rule, write-offs, credits, exceptions, payments left unallocated, orders ' +
      'notified, receivables ageing after the run, and the duration of each phase.',
    request: { params: z.object({ id: runIdSchema }) },
    responses: {
      200: { description: 'The run.', content: json(runSchema) },
      404: problem('No such run.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/reconciliation/runs',
    tags: [TAG],
    summary: 'Nightly reconciliation runs, latest first (without their reports).',
    request: { query: runsQuerySchema },
    responses: {
      200: {
        description: 'One page of runs.',
        content: json(z.object({ items: z.array(runSummary), nextCursor: z.string().nullable() })),
      },
      400: problem('Invalid limit or cursor.'),
    },
  });
}
