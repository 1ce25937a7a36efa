/**
 * The path of an event into the system: validate, store once, route. Used by the single and the
 * batch endpoint alike; a batch is stored in one transaction.
 */
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { cloudEventEnvelopeSchema, type CloudEventEnvelope } from '../domain/events/envelope';
import { randomUUID } from 'node:crypto';
import { lookupEventSchema, type EventType } from '../domain/events/catalogue';
import { executionUiLink } from '../lib/temporal';
import { eventRoutes, events, type EventRouteRow, type EventRow, type NewEventRow } from '../db/schema';
import type { Tx } from '../db/client';
import { projectEvent } from '../db/queries/masterdata';
import { Problem, validationProblem, zodFieldErrors } from './problem';
import {
  deliverInOrder,
  drainWorkflow,
  eventKey,
  lockWorkflowsRoutes,
  planRoute,
  ROUTE_LEASE_MS,
  toStored,
  type PlannedEvent,
  type RoutePlan,
  workflowsWithPendingRoutes,
} from './routing';
import type { AppDeps } from './app';

export type RoutingStatus = EventRouteRow['status'] | 'none';

export interface EventAnswer {
  eventId: string;
  source: string;
  status: 'accepted' | 'duplicate';
  /** `none`: no workflow consumes this event type (it is stored, and projected if master data). */
  routing: { status: RoutingStatus; workflowId: string | null; runId: string | null };
  links: { self: string; temporalUi: string | null };
}

export interface ValidEvent {
  envelope: CloudEventEnvelope;
  version: number;
  data: unknown;
}

export interface IngestResult {
  code: 200 | 202;
  body: EventAnswer;
}

/** As validateEvent, counting a rejection in the metrics by the type the body claims. */
export function validateCounted(deps: AppDeps, body: unknown, pathPrefix = ''): ValidEvent {
  try {
    return validateEvent(body, pathPrefix);
  } catch (err) {
    const claimed = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
    deps.metrics.countEvent(claimed, 'rejected');
    throw err;
  }
}

/** Envelope, then type and version, then data: every failing field is reported at once. */
export function validateEvent(body: unknown, pathPrefix = ''): ValidEvent {
  const envelope = cloudEventEnvelopeSchema.safeParse(body);
  if (!envelope.success) throw validationProblem(zodFieldErrors(envelope.error, pathPrefix));
  const lookup = lookupEventSchema(envelope.data.type, envelope.data.dataschema);
  if (!lookup.ok) {
    const what =
      lookup.reason === 'unknown-type'
        ? `Unknown event type '${envelope.data.type}'.`
        : `Unknown version of '${envelope.data.type}' (dataschema ${envelope.data.dataschema}).`;
    const field = lookup.reason === 'unknown-type' ? 'type' : 'dataschema';
    throw new Problem(422, 'unknown-event-type', 'Unknown event type or version', what, [
      { path: pathPrefix ? `${pathPrefix}.${field}` : field, message: what },
    ]);
  }
  const data = lookup.schema.safeParse(envelope.data.data);
  if (!data.success)
    throw validationProblem(zodFieldErrors(data.error, pathPrefix ? `${pathPrefix}.data` : 'data'));
  return { envelope: envelope.data, version: lookup.version, data: data.data };
}

export const eventSelfLink = (e: { source: string; id: string }): string =>
  `/v1/events/${encodeURIComponent(e.id)}?source=${encodeURIComponent(e.source)}`;

export function eventAnswer(
  deps: AppDeps,
  event: EventRow,
  route: EventRouteRow | null,
  status: EventAnswer['status'],
): EventAnswer {
  const { namespace, uiUrl } = deps.temporal;
  return {
    eventId: event.id,
    source: event.source,
    status,
    routing: route
      ? { status: route.status, workflowId: route.workflowId, runId: route.runId }
      : { status: 'none', workflowId: null, runId: null },
    links: {
      self: eventSelfLink(event),
      temporalUi: route ? executionUiLink(uiUrl, namespace, route.workflowId, route.runId) : null,
    },
  };
}

/** Stored events with their routes, by (source, id). */
export async function loadEvents(
  deps: AppDeps,
  keys: { source: string; id: string }[],
): Promise<Map<string, { event: EventRow; route: EventRouteRow | null }>> {
  const found = new Map<string, { event: EventRow; route: EventRouteRow | null }>();
  if (keys.length === 0) return found;
  const rows = await deps.db
    .select({ event: events, route: eventRoutes })
    .from(events)
    .leftJoin(
      eventRoutes,
      and(eq(eventRoutes.eventSource, events.source), eq(eventRoutes.eventId, events.id)),
    )
    .where(or(...keys.map((k) => and(eq(events.source, k.source), eq(events.id, k.id)))));
  for (const row of rows) found.set(eventKey(row.event), row);
  return found;
}

function toRow(valid: ValidEvent): NewEventRow {
  const { envelope } = valid;
  return {
    source: envelope.source,
    id: envelope.id,
    type: envelope.type,
    typeVersion: valid.version,
    specVersion: envelope.specversion,
    subject: envelope.subject ?? null,
    time: envelope.time ? new Date(envelope.time) : null,
    dataSchema: envelope.dataschema ?? null,
    data: valid.data,
    // the business flow: the producer's when given, else this event starts one
    correlationId: envelope.correlationid ?? envelope.id,
  };
}

/**
 * Stores new events, their master data changes and their pending routes in one transaction (so a
 * 202 means durable), then delivers them, in order per workflow. An event seen before (same source
 * and id, earlier or in the same batch) writes nothing and answers the first result with status
 * `duplicate`.
 */
export async function ingestEvents(deps: AppDeps, valids: ValidEvent[]): Promise<IngestResult[]> {
  const unique = new Map<string, NewEventRow>();
  for (const v of valids) {
    const key = eventKey(v.envelope);
    if (!unique.has(key)) unique.set(key, toRow(v));
  }
  const plans = new Map<string, RoutePlan>();
  for (const [key, row] of unique) {
    const plan = planRoute({ ...row, correlationId: row.correlationId as string });
    if (plan) plans.set(key, plan);
  }
  // one writer per workflow at a time: an event's place in the store (its seq) is then the order
  // its workflow receives it in, even for requests that arrive together
  const workflowIds = [...new Set([...plans.values()].map((p) => p.workflowId))].sort();

  const stored = await deps.db.transaction(async (tx) => {
    await lockWorkflowsRoutes(tx, workflowIds);
    // under the locks, any pending route of these workflows is older than this request's events
    const blocked = await workflowsWithPending(tx, workflowIds);
    const inserted = unique.size
      ? await tx
          .insert(events)
          .values([...unique.values()])
          .onConflictDoNothing()
          .returning()
      : [];
    inserted.sort((a, b) => a.seq - b.seq);
    const planned: (PlannedEvent & { row: EventRow })[] = [];
    for (const row of inserted) {
      const plan = plans.get(eventKey(row));
      if (plan) planned.push({ event: toStored(row), plan, row });
      // master data changes commit with their event, so a 202 for them means applied
      await projectEvent(tx, row);
    }
    // this request delivers what is not blocked, and holds those routes while it does
    const lease = sql`now() + make_interval(secs => ${ROUTE_LEASE_MS / 1000})`;
    const routes = planned.length
      ? await tx
          .insert(eventRoutes)
          .values(
            planned.map(({ row, plan }) => ({
              eventSource: row.source,
              eventId: row.id,
              eventSeq: row.seq,
              workflowId: plan.workflowId,
              leaseUntil: blocked.has(plan.workflowId) ? null : lease,
            })),
          )
          .returning()
      : [];
    return { inserted, planned, routes, blocked };
  });

  const routeByKey = new Map(
    stored.routes.map((r) => [eventKey({ source: r.eventSource, id: r.eventId }), r]),
  );
  const deliverable = stored.planned.filter((p) => !stored.blocked.has(p.plan.workflowId));
  const observe = deps.metrics.observeRouting;
  const outcomes = await deliverInOrder(deps.db, deps.temporal, deliverable, { observe });
  // events that queued behind this request's, for a workflow it just reached, are delivered now
  // rather than at the relay's next pass; where delivery failed they are left to the relay. One
  // look (under the workflows' route locks) finds whether any queued at all, which is rare.
  const reached = [
    ...new Set(
      deliverable
        .filter((p) => outcomes.get(eventKey(p.event))?.status === 'delivered')
        .map((p) => p.plan.workflowId),
    ),
  ].sort();
  const queued = await workflowsWithPendingRoutes(deps.db, reached);
  const toDrain = reached.filter((w) => queued.has(w));
  for (const drained of await mapWithConcurrency(toDrain, 16, (w) =>
    drainWorkflow(deps.db, deps.temporal, w, { observe }),
  )) {
    for (const [key, result] of drained) outcomes.set(key, result);
  }
  for (const [key, outcome] of outcomes) {
    const route = routeByKey.get(key);
    if (!route) continue;
    if (outcome.status === 'delivered') {
      routeByKey.set(key, { ...route, status: 'delivered', runId: outcome.runId });
    } else {
      deps.logger.warn(
        { eventId: route.eventId, source: route.eventSource, err: outcome.error },
        'routing deferred',
      );
    }
  }

  const fresh = new Map(stored.inserted.map((row) => [eventKey(row), row]));
  const missing = [...unique.values()].filter((row) => !fresh.has(eventKey(row)));
  const earlier = await loadEvents(deps, missing);

  const answers = new Map<string, IngestResult>();
  for (const row of stored.inserted) {
    const key = eventKey(row);
    const route = routeByKey.get(key) ?? null;
    const body = eventAnswer(deps, row, route, 'accepted');
    deps.logger.info(
      {
        eventId: row.id,
        source: row.source,
        type: row.type,
        correlationId: row.correlationId,
        workflowId: body.routing.workflowId,
        routing: body.routing.status,
      },
      'event accepted',
    );
    deps.metrics.countEvent(row.type, 'accepted');
    answers.set(key, { code: 202, body });
  }
  for (const row of missing) {
    const key = eventKey(row);
    const first = earlier.get(key);
    if (!first) throw new Error(`event ${row.source}/${row.id} conflicted but was not found`);
    deps.metrics.countEvent(row.type, 'duplicate');
    answers.set(key, { code: 200, body: eventAnswer(deps, first.event, first.route, 'duplicate') });
  }

  const seen = new Set<string>();
  return valids.map((v) => {
    const key = eventKey(v.envelope);
    const result = answers.get(key) as IngestResult;
    if (seen.has(key)) {
      deps.metrics.countEvent(v.envelope.type, 'duplicate');
      return { code: 200, body: { ...result.body, status: 'duplicate' } };
    }
    seen.add(key);
    return result;
  });
}

/** Those of these workflows that have an event still waiting to be routed. */
async function workflowsWithPending(tx: Tx, workflowIds: string[]): Promise<Set<string>> {
  if (workflowIds.length === 0) return new Set();
  const rows = await tx
    .selectDistinct({ workflowId: eventRoutes.workflowId })
    .from(eventRoutes)
    .where(and(eq(eventRoutes.status, 'pending'), inArray(eventRoutes.workflowId, workflowIds)));
  return new Set(rows.map((r) => r.workflowId));
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapWithConcurrency<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** The CloudEvents source of events this API makes from REST commands. */
export const REST_EVENT_SOURCE = 'erp-api/rest';
/** Optional header naming the business flow of a REST command (stored as the event's correlationid). */
export const CORRELATION_HEADER = 'X-Correlation-Id';

/**
 * Stores and routes one event made from a REST command (source erp-api/rest), through the same
 * path as POST /v1/events. `data` is checked against the type's schema; a failure is a 400 naming
 * the fields. `id` defaults to a new UUID (give a business-derived one to make the command dedupe).
 */
export async function ingestRestEvent(
  deps: AppDeps,
  event: { type: EventType; subject: string; data: unknown; id?: string; correlationId?: string },
): Promise<IngestResult> {
  const lookup = lookupEventSchema(event.type, undefined);
  if (!lookup.ok) throw new Error(`catalogue has no v1 of ${event.type}`);
  const data = lookup.schema.safeParse(event.data);
  if (!data.success) throw validationProblem(zodFieldErrors(data.error));
  const [result] = await ingestEvents(deps, [
    {
      envelope: {
        specversion: '1.0',
        id: event.id ?? randomUUID(),
        source: REST_EVENT_SOURCE,
        type: event.type,
        subject: event.subject,
        time: new Date().toISOString(),
        ...(event.correlationId ? { correlationid: event.correlationId.slice(0, 200) } : {}),
        data: data.data,
      },
      version: lookup.version,
      data: data.data,
    },
  ]);
  if (!result) throw new Error(`${event.type} not stored`);
  return result;
}
