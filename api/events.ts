/** POST /v1/events and GET /v1/events/:id: validate, store once, route. */
import { Router, type Request } from 'express';
import { and, eq, lt } from 'drizzle-orm';
import { cloudEventEnvelopeSchema, type CloudEventEnvelope } from '../domain/events/envelope';
import { lookupEventSchema } from '../domain/events/catalogue';
import { executionUiLink } from '../lib/temporal';
import { eventRoutes, events, type EventRouteRow, type EventRow } from '../db/schema';
import { Problem, validationProblem, zodFieldErrors } from './problem';
import { deliverRoute, planRoute, type RoutingResult } from './routing';
import type { AppDeps } from './app';

export const EVENT_CONTENT_TYPES = ['application/json', 'application/cloudevents+json'];

export interface EventAnswer {
  eventId: string;
  source: string;
  status: 'accepted' | 'duplicate';
  routing: { status: 'pending' | 'delivered' | 'failed'; workflowId: string; runId: string | null };
  links: { self: string; temporalUi: string };
}

interface ValidEvent {
  envelope: CloudEventEnvelope;
  version: number;
  data: unknown;
}

/** Envelope, then type and version, then data: every failing field is reported at once. */
export function validateEvent(body: unknown): ValidEvent {
  const envelope = cloudEventEnvelopeSchema.safeParse(body);
  if (!envelope.success) throw validationProblem(zodFieldErrors(envelope.error));
  const lookup = lookupEventSchema(envelope.data.type, envelope.data.dataschema);
  if (!lookup.ok) {
    const what =
      lookup.reason === 'unknown-type'
        ? `Unknown event type '${envelope.data.type}'.`
        : `Unknown version of '${envelope.data.type}' (dataschema ${envelope.data.dataschema}).`;
    throw new Problem(422, 'unknown-event-type', 'Unknown event type or version', what, [
      { path: lookup.reason === 'unknown-type' ? 'type' : 'dataschema', message: what },
    ]);
  }
  const data = lookup.schema.safeParse(envelope.data.data);
  if (!data.success) throw validationProblem(zodFieldErrors(data.error, 'data'));
  return { envelope: envelope.data, version: lookup.version, data: data.data };
}

function answer(
  deps: AppDeps,
  event: EventRow,
  route: EventRouteRow,
  status: EventAnswer['status'],
): EventAnswer {
  const { namespace, uiUrl } = deps.temporal;
  return {
    eventId: event.id,
    source: event.source,
    status,
    routing: { status: route.status, workflowId: route.workflowId, runId: route.runId },
    links: {
      self: `/v1/events/${encodeURIComponent(event.id)}?source=${encodeURIComponent(event.source)}`,
      temporalUi: executionUiLink(uiUrl, namespace, route.workflowId, route.runId),
    },
  };
}

async function loadEvent(deps: AppDeps, source: string, id: string) {
  const [row] = await deps.db
    .select({ event: events, route: eventRoutes })
    .from(events)
    .innerJoin(
      eventRoutes,
      and(eq(eventRoutes.eventSource, events.source), eq(eventRoutes.eventId, events.id)),
    )
    .where(and(eq(events.source, source), eq(events.id, id)));
  return row;
}

/**
 * Stores the event and its pending route in one transaction (so a 202 means durable), then tries
 * to deliver it. A duplicate (same source and id) writes nothing and answers the first result.
 */
export async function ingestEvent(
  deps: AppDeps,
  valid: ValidEvent,
): Promise<{ code: 200 | 202; body: EventAnswer }> {
  const { envelope } = valid;
  const correlationId = envelope.correlationid ?? envelope.id;
  const stored = {
    source: envelope.source,
    id: envelope.id,
    type: envelope.type,
    data: valid.data,
    correlationId,
  };
  const plan = planRoute(stored);

  const inserted = await deps.db.transaction(async (tx) => {
    const [event] = await tx
      .insert(events)
      .values({
        source: envelope.source,
        id: envelope.id,
        type: envelope.type,
        typeVersion: valid.version,
        specVersion: envelope.specversion,
        subject: envelope.subject ?? null,
        time: envelope.time ? new Date(envelope.time) : null,
        dataSchema: envelope.dataschema ?? null,
        data: valid.data,
        correlationId,
      })
      .onConflictDoNothing()
      .returning();
    if (!event) return null;
    const [route] = await tx
      .insert(eventRoutes)
      .values({
        eventSource: event.source,
        eventId: event.id,
        eventSeq: event.seq,
        workflowId: plan.workflowId,
      })
      .returning();
    // an earlier event for the same workflow still waits: the relay delivers this one after it
    const [earlier] = await tx
      .select({ seq: eventRoutes.eventSeq })
      .from(eventRoutes)
      .where(
        and(
          eq(eventRoutes.workflowId, plan.workflowId),
          eq(eventRoutes.status, 'pending'),
          lt(eventRoutes.eventSeq, event.seq),
        ),
      )
      .limit(1);
    return { event, route: route as EventRouteRow, queued: earlier !== undefined };
  });

  if (!inserted) {
    const first = await loadEvent(deps, envelope.source, envelope.id);
    if (!first) throw new Error(`event ${envelope.source}/${envelope.id} conflicted but was not found`);
    return { code: 200, body: answer(deps, first.event, first.route, 'duplicate') };
  }
  let routing: RoutingResult | null = null;
  if (!inserted.queued) {
    routing = await deliverRoute(deps.db, deps.temporal, stored, plan);
    if (routing.status === 'pending') {
      deps.logger.warn(
        { eventId: envelope.id, source: envelope.source, err: routing.error },
        'routing deferred',
      );
    }
  }
  const route: EventRouteRow =
    routing?.status === 'delivered'
      ? { ...inserted.route, status: 'delivered', runId: routing.runId }
      : inserted.route;
  deps.logger.info(
    {
      eventId: envelope.id,
      source: envelope.source,
      type: envelope.type,
      correlationId,
      workflowId: route.workflowId,
      routing: route.status,
    },
    'event accepted',
  );
  return { code: 202, body: answer(deps, inserted.event, route, 'accepted') };
}

function requireEventContentType(req: Request): void {
  if (!req.is(EVENT_CONTENT_TYPES)) {
    throw new Problem(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      `Send the event as ${EVENT_CONTENT_TYPES.join(' or ')}; got ${req.get('content-type') ?? 'no Content-Type'}.`,
    );
  }
}

export function eventsRouter(deps: AppDeps): Router {
  const router = Router();

  /** Accept one CloudEvent: 202 stored (and routed or pending), 200 duplicate. */
  router.post('/v1/events', async (req, res) => {
    requireEventContentType(req);
    const valid = validateEvent(req.body);
    const { code, body } = await ingestEvent(deps, valid);
    res.status(code).location(body.links.self).json(body);
  });

  /** One stored event with its routing status. */
  router.get('/v1/events/:id', async (req, res) => {
    const source = typeof req.query.source === 'string' ? req.query.source : undefined;
    if (!source) throw validationProblem([{ path: 'source', message: 'query parameter source is required' }]);
    const row = await loadEvent(deps, source, req.params.id);
    if (!row)
      throw new Problem(404, 'not-found', 'Event not found', `No event ${req.params.id} from ${source}.`);
    const { status: _answerStatus, ...a } = answer(deps, row.event, row.route, 'accepted');
    res.json({
      ...a,
      type: row.event.type,
      typeVersion: row.event.typeVersion,
      subject: row.event.subject,
      time: row.event.time?.toISOString() ?? null,
      receivedAt: row.event.receivedAt.toISOString(),
      correlationId: row.event.correlationId,
      data: row.event.data,
      routing: { ...a.routing, attempts: row.route.attempts, lastError: row.route.lastError },
    });
  });

  return router;
}
