/**
 * GET /v1/lineage: the whole chain of what happened, in time order, built from causation recorded
 * as things happened (events and their routes, the lineage trigger's effects, outbox rows and their
 * deliveries), never guessed from timestamps. One node per event, workflow run, row change, outbound
 * event and delivery; each names the nodes that caused it.
 */
import { Router } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { correlationIdsOf, lineageRows, type LineageRows, type LineageSelector } from '../db/queries/lineage';
import type { LineageChanges, LineageEffectRow } from '../db/schema';
import { executionUiLink } from '../lib/temporal';
import { KAFKA_DESTINATION } from './kafka';
import { Problem, parseOr400, validationProblem, type FieldError } from './problem';
import type { AppDeps } from './app';

export const LINEAGE_NODE_KINDS = ['event', 'workflow', 'effect', 'outbound', 'delivery'] as const;
export type LineageNodeKind = (typeof LINEAGE_NODE_KINDS)[number];

export interface LineageNode {
  id: string;
  kind: LineageNodeKind;
  at: string;
  parents: string[];
  label: string;
  detail: Record<string, unknown>;
}

export interface LineageAnswer {
  query: Record<string, string>;
  correlationIds: string[];
  nodes: LineageNode[];
}

const key = z.string().min(1).max(200);
export const lineageQuerySchema = z
  .object({
    source: key.optional().meta({ description: 'With eventId: the event (CloudEvents source).' }),
    eventId: key.optional().meta({ description: 'With source: the event (CloudEvents id).' }),
    orderId: key.optional(),
    sku: key.optional(),
    paymentId: key.optional(),
    ticketId: key.optional(),
    correlationId: key.optional().meta({ description: 'One business flow, as is.' }),
  })
  .strict();

const SELECTORS = ['eventId', 'orderId', 'sku', 'paymentId', 'ticketId', 'correlationId'] as const;

/** Exactly one selector (source and eventId together count as one), or a 400 naming the fields. */
export function parseLineageQuery(query: unknown): LineageSelector {
  const q = parseOr400(lineageQuerySchema, query);
  const errors: FieldError[] = [];
  if (q.source !== undefined && q.eventId === undefined)
    errors.push({ path: 'eventId', message: 'required with source' });
  if (q.eventId !== undefined && q.source === undefined)
    errors.push({ path: 'source', message: 'required with eventId' });
  const given = SELECTORS.filter((s) => q[s] !== undefined || (s === 'eventId' && q.source !== undefined));
  const one = 'give exactly one of source+eventId, orderId, sku, paymentId, ticketId, correlationId';
  if (given.length === 0) errors.push({ path: 'query', message: one });
  if (given.length > 1)
    for (const s of given) errors.push({ path: s === 'eventId' ? 'source' : s, message: one });
  if (errors.length > 0) throw validationProblem(errors);
  const selector = given[0] as (typeof SELECTORS)[number];
  if (selector === 'eventId') return { source: q.source as string, eventId: q.eventId as string };
  return { [selector]: q[selector] } as LineageSelector;
}

const DESCRIBE_DEADLINE_MS = 2000;
const DESCRIBE_CONCURRENCY = 8;
const KIND_RANK: Record<LineageNodeKind, number> = {
  event: 0,
  workflow: 1,
  effect: 2,
  outbound: 3,
  delivery: 4,
};

const eventNodeId = (source: string, id: string) => `event:${source}/${id}`;
const workflowNodeId = (workflowId: string, runId: string) => `workflow:${workflowId}/${runId}`;
const effectNodeId = (id: number) => `effect:${id}`;

interface RunDescription {
  type: string | null;
  status: string;
  startTime: Date | null;
}

/** The type, status and start of each run; NOT_FOUND or UNKNOWN (Temporal slow or away) as the status. */
async function describeRuns(
  deps: AppDeps,
  runs: { workflowId: string; runId: string }[],
): Promise<Map<string, RunDescription>> {
  const described = new Map<string, RunDescription>();
  const queue = [...runs];
  const lane = async () => {
    for (let run = queue.shift(); run; run = queue.shift()) {
      const { client } = deps.temporal;
      const { workflowId, runId } = run;
      try {
        const d = await client.withDeadline(Date.now() + DESCRIBE_DEADLINE_MS, () =>
          client.workflow.getHandle(workflowId, runId).describe(),
        );
        described.set(workflowNodeId(workflowId, runId), {
          type: d.type,
          status: d.status.name,
          startTime: d.startTime,
        });
      } catch (err) {
        const status = err instanceof WorkflowNotFoundError ? 'NOT_FOUND' : 'UNKNOWN';
        if (status === 'UNKNOWN')
          deps.logger.warn({ workflowId, runId, err: (err as Error).message }, 'lineage describe failed');
        described.set(workflowNodeId(workflowId, runId), { type: null, status, startTime: null });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DESCRIBE_CONCURRENCY, runs.length) }, lane));
  return described;
}

const short = (v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

/**
 * What changed, per column: stored as is for an update; an insert stores the new row's non-null
 * columns, a delete the old row's (cheaper for the trigger), which become `{ from: null, to }` and
 * `{ from, to: null }` here.
 */
export function effectChanges(e: Pick<LineageEffectRow, 'operation' | 'changes'>): LineageChanges {
  if (e.operation === 'update') return e.changes as LineageChanges;
  const stored = e.changes as Record<string, unknown>;
  const changes: LineageChanges = {};
  for (const [column, value] of Object.entries(stored)) {
    changes[column] = e.operation === 'insert' ? { from: null, to: value } : { from: value, to: null };
  }
  return changes;
}

function effectLabel(e: LineageEffectRow): string {
  const keyText = Object.values(e.rowKey).map(short).join('/');
  const changes = Object.entries(effectChanges(e));
  const what =
    e.operation === 'update'
      ? changes.map(([col, c]) => `${col} ${short(c.from)} → ${short(c.to)}`).join(', ')
      : `${changes.length} column${changes.length === 1 ? '' : 's'}`;
  return `${e.operation} ${e.tableName} ${keyText}: ${what}`;
}

/** Nodes from the recorded rows; workflow runs described by Temporal. Time order, parents first. */
export async function buildLineageNodes(deps: AppDeps, rows: LineageRows): Promise<LineageNode[]> {
  const { namespace, uiUrl } = deps.temporal;
  const nodes: LineageNode[] = [];
  const eventIds = new Set(rows.events.map(({ event }) => eventNodeId(event.source, event.id)));

  // events, and the runs they were routed to
  const routedTo = new Map<string, string[]>();
  const runs = new Map<string, { workflowId: string; runId: string; firstAt: Date }>();
  const seeRun = (workflowId: string | null, runId: string | null, at: Date) => {
    if (!workflowId || !runId) return null;
    const id = workflowNodeId(workflowId, runId);
    const known = runs.get(id);
    if (!known) runs.set(id, { workflowId, runId, firstAt: at });
    else if (at < known.firstAt) known.firstAt = at;
    return id;
  };
  for (const { event, route } of rows.events) {
    const id = eventNodeId(event.source, event.id);
    nodes.push({
      id,
      kind: 'event',
      at: event.receivedAt.toISOString(),
      parents: [],
      label: `${event.type}${event.subject ? ` ${event.subject}` : ''} from ${event.source}`,
      detail: {
        source: event.source,
        eventId: event.id,
        type: event.type,
        subject: event.subject,
        correlationId: event.correlationId,
        routing: route
          ? { status: route.status, workflowId: route.workflowId, runId: route.runId }
          : { status: 'none', workflowId: null, runId: null },
      },
    });
    const run = route ? seeRun(route.workflowId, route.runId, route.routedAt ?? event.receivedAt) : null;
    if (run) routedTo.set(run, [...(routedTo.get(run) ?? []), id]);
  }

  // effects, and the outbox rows' own records (which activity, which transaction wrote them)
  const written = new Map<string, LineageEffectRow>();
  const effects: LineageEffectRow[] = [];
  for (const e of rows.effects) {
    seeRun(e.workflowId, e.runId, e.at);
    if (e.tableName === 'outbox') written.set(String(e.rowKey.id), e);
    else effects.push(e);
  }
  const causeOf = (e: { causationSource: string | null; causationId: string | null }) =>
    e.causationSource && e.causationId ? eventNodeId(e.causationSource, e.causationId) : null;

  // workflow runs: caused by the events routed to them, else by the events their effects name
  const described = await describeRuns(deps, [...runs.values()]);
  const runParents = new Map<string, string[]>();
  for (const [id, run] of runs) {
    let parents = routedTo.get(id) ?? [];
    if (parents.length === 0) {
      const causes = rows.effects
        .filter((e) => e.workflowId === run.workflowId && e.runId === run.runId)
        .map(causeOf)
        .filter((c): c is string => c !== null && eventIds.has(c));
      parents = [...new Set(causes)];
    }
    runParents.set(id, parents);
    const d = described.get(id) ?? { type: null, status: 'UNKNOWN', startTime: null };
    nodes.push({
      id,
      kind: 'workflow',
      at: (d.startTime ?? run.firstAt).toISOString(),
      parents,
      label: `${d.type ?? 'workflow'} ${run.workflowId} (${d.status})`,
      detail: {
        workflowId: run.workflowId,
        runId: run.runId,
        type: d.type,
        status: d.status,
        links: { temporalUi: executionUiLink(uiUrl, namespace, run.workflowId, run.runId) },
      },
    });
  }

  // an effect is caused by its workflow run, and by its event when that did not reach the run itself
  const effectParents = (e: LineageEffectRow): string[] => {
    const parents: string[] = [];
    const run = e.workflowId && e.runId ? workflowNodeId(e.workflowId, e.runId) : null;
    if (run) parents.push(run);
    const cause = causeOf(e);
    if (cause && eventIds.has(cause) && !(run && runParents.get(run)?.includes(cause))) parents.push(cause);
    return parents;
  };
  const effectsByTx = new Map<number, LineageEffectRow[]>();
  for (const e of effects) {
    const id = effectNodeId(e.id);
    effectsByTx.set(e.txId, [...(effectsByTx.get(e.txId) ?? []), e]);
    nodes.push({
      id,
      kind: 'effect',
      at: e.at.toISOString(),
      parents: effectParents(e),
      label: effectLabel(e),
      detail: {
        table: e.tableName,
        key: e.rowKey,
        operation: e.operation,
        changes: effectChanges(e),
        activity: e.activityType,
        workflowId: e.workflowId,
        runId: e.runId,
        attempt: e.activityAttempt,
        cause: e.causationSource && e.causationId ? { source: e.causationSource, id: e.causationId } : null,
      },
    });
  }

  // outbound events: caused by the changes of their transaction made before them (else by all of
  // that transaction's changes, else by their writer)
  const outboundIds = new Set<string>();
  for (const o of rows.outbox) {
    const id = `outbound:${o.id}`;
    outboundIds.add(id);
    const record = written.get(o.id);
    const sameTx = record ? (effectsByTx.get(record.txId) ?? []) : [];
    const before = sameTx.filter((e) => record && e.id < record.id);
    let parents = (before.length > 0 ? before : sameTx).map((e) => effectNodeId(e.id));
    if (parents.length === 0 && record) parents = effectParents(record);
    if (parents.length === 0) {
      const cause = causeOf(o);
      parents = cause && eventIds.has(cause) ? [cause] : [];
    }
    nodes.push({
      id,
      kind: 'outbound',
      at: (record?.at ?? o.createdAt).toISOString(),
      parents,
      label: `${o.type} ${o.aggregateId}`,
      detail: {
        outboxId: o.id,
        type: o.type,
        subject: o.aggregateId,
        aggregateType: o.aggregateType,
        activity: record?.activityType ?? null,
        workflowId: record?.workflowId ?? null,
      },
    });
  }

  for (const d of rows.deliveries) {
    const outbound = rows.outbox.find((o) => o.id === d.outboxId);
    const kafka = d.destination === KAFKA_DESTINATION;
    const target = kafka ? `kafka:${outbound?.aggregateType ?? ''}` : (d.webhookUrl ?? d.destination);
    nodes.push({
      id: `delivery:${d.outboxId}/${d.destination}`,
      kind: 'delivery',
      at: (d.deliveredAt ?? d.createdAt).toISOString(),
      parents: outboundIds.has(`outbound:${d.outboxId}`) ? [`outbound:${d.outboxId}`] : [],
      label: `${kafka ? 'kafka' : 'webhook'} ${target}: ${d.status} after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`,
      detail: {
        channel: kafka ? 'kafka' : 'webhook',
        target,
        destination: d.destination,
        status: d.status,
        attempts: d.attempts,
        ...(d.lastError ? { lastError: d.lastError } : {}),
        deliveredAt: d.deliveredAt?.toISOString() ?? null,
      },
    });
  }
  return inTimeOrder(nodes);
}

/**
 * Nodes by time (then kind, then id), except that a node never comes before a node that caused it
 * (clocks of Temporal and Postgres may disagree by a little).
 */
function inTimeOrder(nodes: LineageNode[]): LineageNode[] {
  const numeric = (id: string) => Number(id.slice(id.indexOf(':') + 1)) || 0;
  const sorted = [...nodes].sort(
    (a, b) =>
      a.at.localeCompare(b.at) ||
      KIND_RANK[a.kind] - KIND_RANK[b.kind] ||
      numeric(a.id) - numeric(b.id) ||
      a.id.localeCompare(b.id),
  );
  const present = new Set(sorted.map((n) => n.id));
  const placed = new Set<string>();
  const out: LineageNode[] = [];
  const waiting = new Map<string, LineageNode[]>();
  const place = (n: LineageNode) => {
    out.push(n);
    placed.add(n.id);
    const next = waiting.get(n.id) ?? [];
    waiting.delete(n.id);
    for (const w of next) tryPlace(w);
  };
  const tryPlace = (n: LineageNode) => {
    if (placed.has(n.id)) return;
    const missing = n.parents.find((p) => present.has(p) && p !== n.id && !placed.has(p));
    if (missing === undefined) place(n);
    else waiting.set(missing, [...(waiting.get(missing) ?? []), n]);
  };
  for (const n of sorted) tryPlace(n);
  // a cycle cannot come from recorded causation; should one appear, its nodes still come out
  for (const n of sorted) if (!placed.has(n.id)) place(n);
  return out;
}

export function lineageRouter(deps: AppDeps): Router {
  const router = Router();

  /** The chain of one event, business key or flow; 404 when the key names nothing. */
  router.get('/v1/lineage', async (req, res) => {
    const selector = parseLineageQuery(req.query);
    const correlationIds = await correlationIdsOf(deps.db, selector);
    if (!correlationIds) {
      const what = Object.entries(selector)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      throw new Problem(404, 'not-found', 'Nothing found', `No lineage for ${what}.`);
    }
    const rows = await lineageRows(deps.db, correlationIds);
    const answer: LineageAnswer = {
      query: { ...selector },
      correlationIds,
      nodes: await buildLineageNodes(deps, rows),
    };
    res.json(answer);
  });

  return router;
}
