/** The event endpoints: ingest one or a batch, read the audit log, and replay stored events. */
import { Router } from 'express';
import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { eventCatalogue } from '../domain/events/catalogue';
import { eventRoutes, events, ROUTE_STATUSES, type EventRouteRow, type EventRow } from '../db/schema';
import { Problem, parseOr400, requireContentType, validationProblem } from './problem';
import { command, type CommandResponse } from './idempotency';
import {
  eventAnswer,
  ingestEvents,
  loadEvents,
  validateCounted,
  type EventAnswer,
  type ValidEvent,
} from './ingest';
import { deliverInOrder, eventKey, planRoute, toStored, type PlannedEvent } from './routing';
import type { AppDeps } from './app';
import { projectEvent } from '../db/queries/masterdata';

export const EVENT_CONTENT_TYPES = ['application/json', 'application/cloudevents+json'];
export const BATCH_CONTENT_TYPES = ['application/json', 'application/cloudevents-batch+json'];
export const MAX_BATCH = 500;
export const MAX_PAGE = 500;
export const MAX_REPLAY = 10_000;

const timestamp = z.iso.datetime({ offset: true });
const knownType = z
  .string()
  .refine((t) => Object.prototype.hasOwnProperty.call(eventCatalogue, t), 'unknown event type');

/** Query of the audit log. Times filter on when the system received the event. */
export const eventListQuerySchema = z
  .object({
    type: knownType.optional(),
    source: z.string().min(1).optional(),
    subject: z.string().min(1).optional(),
    correlationId: z.string().min(1).optional(),
    routing: z.enum([...ROUTE_STATUSES, 'none']).optional(),
    from: timestamp.optional(),
    to: timestamp.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100),
    cursor: z.string().optional(),
    order: z
      .enum(['asc', 'desc'])
      .default('asc')
      .meta({ description: 'asc: oldest first (default); desc: newest first (a live view).' }),
  })
  .strict()
  .meta({ id: 'EventListQuery' });

/** Which stored events to re-drive. At least one of from, to and types is required. */
export const replayRequestSchema = z
  .object({
    from: timestamp.optional(),
    to: timestamp.optional(),
    types: z.array(knownType).min(1).max(50).optional(),
    source: z.string().min(1).optional(),
    subject: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(MAX_REPLAY).default(1000),
    cursor: z.string().optional(),
    dryRun: z.boolean().default(false),
  })
  .strict()
  .refine((r) => r.from !== undefined || r.to !== undefined || r.types !== undefined, {
    message: 'give at least one of from, to and types',
    path: ['from'],
  })
  .meta({ id: 'ReplayRequest' });

export interface ReplayAnswer {
  matched: number;
  redriven: number;
  failed: number;
  /** Events of types no workflow consumes (yet). */
  notRouted: number;
  /** Master data events applied again (a no-op where a newer upsert already holds). */
  projected: number;
  dryRun: boolean;
  nextCursor: string | null;
}

const encodeCursor = (seq: number): string =>
  Buffer.from(JSON.stringify({ after: seq })).toString('base64url');

function decodeCursor(cursor: string | undefined, path: string): number {
  if (cursor === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'number' && Number.isSafeInteger(parsed.after) && parsed.after >= 0)
      return parsed.after;
  } catch {
    // fall through to the problem below
  }
  throw validationProblem([{ path, message: 'not a cursor this API returned' }]);
}

/** The audit view of one stored event. */
function eventView(deps: AppDeps, event: EventRow, route: EventRouteRow | null) {
  const { status: _answerStatus, ...a } = eventAnswer(deps, event, route, 'accepted');
  return {
    ...a,
    seq: event.seq,
    type: event.type,
    typeVersion: event.typeVersion,
    subject: event.subject,
    time: event.time?.toISOString() ?? null,
    receivedAt: event.receivedAt.toISOString(),
    correlationId: event.correlationId,
    data: event.data,
    routing: {
      ...a.routing,
      attempts: route?.attempts ?? 0,
      lastError: route?.lastError ?? null,
      routedAt: route?.routedAt?.toISOString() ?? null,
    },
  };
}

function eventFilters(f: {
  type?: string;
  types?: string[];
  source?: string;
  subject?: string;
  correlationId?: string;
  from?: string;
  to?: string;
  routing?: string;
  after: number;
}): SQL[] {
  const where: SQL[] = [gt(events.seq, f.after)];
  if (f.type) where.push(eq(events.type, f.type));
  if (f.types) where.push(inArray(events.type, f.types));
  if (f.source) where.push(eq(events.source, f.source));
  if (f.subject) where.push(eq(events.subject, f.subject));
  if (f.correlationId) where.push(eq(events.correlationId, f.correlationId));
  if (f.from) where.push(gte(events.receivedAt, new Date(f.from)));
  if (f.to) where.push(lte(events.receivedAt, new Date(f.to)));
  if (f.routing === 'none') where.push(isNull(eventRoutes.status));
  else if (f.routing) where.push(eq(eventRoutes.status, f.routing as EventRouteRow['status']));
  return where;
}

async function selectEvents(deps: AppDeps, where: SQL[], limit: number, newestFirst = false) {
  return deps.db
    .select({ event: events, route: eventRoutes })
    .from(events)
    .leftJoin(
      eventRoutes,
      and(eq(eventRoutes.eventSource, events.source), eq(eventRoutes.eventId, events.id)),
    )
    .where(and(...where))
    .orderBy(newestFirst ? desc(events.seq) : asc(events.seq))
    .limit(limit);
}

/**
 * Re-drives stored events into their workflows, in stored order per workflow. Workflow ids are
 * business keys, workflows ignore a change they already hold and activities are idempotent, so
 * what already happened is not repeated and what did not happen is completed.
 */
export async function replayEvents(
  deps: AppDeps,
  request: z.infer<typeof replayRequestSchema>,
): Promise<ReplayAnswer> {
  const rows = await selectEvents(
    deps,
    eventFilters({ ...request, after: decodeCursor(request.cursor, 'cursor') }),
    request.limit + 1,
  );
  const page = rows.slice(0, request.limit);
  const nextCursor =
    rows.length > request.limit
      ? encodeCursor((page[page.length - 1] as { event: EventRow }).event.seq)
      : null;
  const planned: PlannedEvent[] = [];
  for (const { event } of page) {
    const stored = toStored(event);
    const plan = planRoute(stored);
    if (plan) planned.push({ event: stored, plan });
  }
  const answer: ReplayAnswer = {
    matched: page.length,
    redriven: 0,
    failed: 0,
    notRouted: page.length - planned.length,
    projected: 0,
    dryRun: request.dryRun,
    nextCursor,
  };
  if (request.dryRun) return answer;

  await deps.db.transaction(async (tx) => {
    for (const { event } of page) if (await projectEvent(tx, event)) answer.projected++;
  });
  // events stored before a workflow consumed their type get their route now
  const plans = new Map(planned.map((p) => [eventKey(p.event), p.plan]));
  const withoutRoute = page.filter((r) => r.route === null && plans.has(eventKey(r.event)));
  if (withoutRoute.length) {
    await deps.db
      .insert(eventRoutes)
      .values(
        withoutRoute.map(({ event }) => ({
          eventSource: event.source,
          eventId: event.id,
          eventSeq: event.seq,
          workflowId: (plans.get(eventKey(event)) as { workflowId: string }).workflowId,
        })),
      )
      .onConflictDoNothing();
  }
  const outcomes = await deliverInOrder(deps.db, deps.temporal, planned, {
    observe: deps.metrics.observeRouting,
  });
  for (const outcome of outcomes.values()) {
    if (outcome.status === 'delivered') answer.redriven++;
    else answer.failed++;
  }
  deps.logger.info({ ...answer, request }, 'events replayed');
  return answer;
}

export function eventsRouter(deps: AppDeps): Router {
  const router = Router();

  /** Accept one CloudEvent: 202 stored (and routed or pending), 200 duplicate. */
  router.post(
    '/v1/events',
    command(deps, 'POST /v1/events', async (req): Promise<CommandResponse> => {
      requireContentType(req, EVENT_CONTENT_TYPES);
      const valid = validateCounted(deps, req.body);
      const [result] = await ingestEvents(deps, [valid]);
      const { code, body } = result as { code: 200 | 202; body: EventAnswer };
      return { status: code, body, headers: { Location: body.links.self } };
    }),
  );

  /** Accept up to 500 CloudEvents: one result per event, in order; valid ones are stored together. */
  router.post(
    '/v1/events/batch',
    command(deps, 'POST /v1/events/batch', async (req): Promise<CommandResponse> => {
      requireContentType(req, BATCH_CONTENT_TYPES);
      if (!Array.isArray(req.body)) {
        throw validationProblem([{ path: '(body)', message: 'expected a JSON array of CloudEvents' }]);
      }
      const body = req.body as unknown[];
      if (body.length === 0 || body.length > MAX_BATCH) {
        throw validationProblem([
          { path: '(body)', message: `expected 1 to ${MAX_BATCH} events, got ${body.length}` },
        ]);
      }
      const checked = body.map((item, index): { valid: ValidEvent } | { problem: Problem } => {
        try {
          return { valid: validateCounted(deps, item, `[${index}]`) };
        } catch (err) {
          if (err instanceof Problem) return { problem: err };
          throw err;
        }
      });
      const valids = checked.flatMap((c) => ('valid' in c ? [c.valid] : []));
      const ingested = await ingestEvents(deps, valids);
      let next = 0;
      const counts = { accepted: 0, duplicate: 0, rejected: 0 };
      const results = checked.map((c, index) => {
        if ('problem' in c) {
          counts.rejected++;
          return { index, status: c.problem.status, problem: c.problem.toJSON() };
        }
        const r = ingested[next++] as { code: number; body: EventAnswer };
        counts[r.body.status]++;
        return { index, status: r.code, result: r.body };
      });
      return { status: 200, body: { ...counts, results } };
    }),
  );

  /** The audit log: stored events, oldest first, filtered, cursor-paginated. */
  router.get('/v1/events', async (req, res) => {
    const q = parseOr400(eventListQuerySchema, req.query);
    const newestFirst = q.order === 'desc';
    const cursor = decodeCursor(q.cursor, 'cursor');
    // newest first, the cursor is the last seq seen and the next page lies below it
    const where = eventFilters({ ...q, after: newestFirst ? 0 : cursor });
    if (newestFirst && q.cursor !== undefined) where.push(lt(events.seq, cursor));
    const rows = await selectEvents(deps, where, q.limit + 1, newestFirst);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    res.json({
      items: page.map((r) => eventView(deps, r.event, r.route)),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last.event.seq) : null,
    });
  });

  /** Re-drive stored events (by time range and/or type) into their workflows. */
  router.post(
    '/v1/events/replay',
    command(deps, 'POST /v1/events/replay', async (req): Promise<CommandResponse> => {
      requireContentType(req, ['application/json']);
      const request = parseOr400(replayRequestSchema, req.body);
      return { status: 200, body: await replayEvents(deps, request) };
    }),
  );

  /** One stored event with its routing status. */
  router.get('/v1/events/:id', async (req, res) => {
    const source = typeof req.query.source === 'string' ? req.query.source : undefined;
    if (!source) throw validationProblem([{ path: 'source', message: 'query parameter source is required' }]);
    const found = (await loadEvents(deps, [{ source, id: req.params.id }])).values().next().value;
    if (!found)
      throw new Problem(404, 'not-found', 'Event not found', `No event ${req.params.id} from ${source}.`);
    res.json(eventView(deps, found.event, found.route));
  });

  return router;
}
