/**
 * The business side of a replay diff (pure): what a workflow's code commanded, read from the
 * commands it produces on replay and from the events of its history, paired command by command and
 * compared value by value. Plain replay only checks that the same kinds of command come in the same
 * order; this finds an activity scheduled with other input, a child started with another quantity,
 * a timer of another length, a continue-as-new carrying other state, another workflow result.
 *
 * Activities pair by activity id and timers by timer id (both the command's sequence number);
 * children, external signals, continue-as-new and the result pair in order. A command with no
 * event to pair with (one the history does not reach yet, or a timer cancelled before it was sent)
 * is not compared: missing and extra commands are what plain replay's determinism check is for.
 * Local activities are not compared: their input is not recorded in history.
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { coresdk, temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type Command = coresdk.workflow_commands.IWorkflowCommand;
type IPayload = temporal.api.common.v1.IPayload;

export type CommandKind = 'activity' | 'timer' | 'childWorkflow' | 'signal' | 'continueAsNew' | 'result';

/** One command, as the history recorded it or as the current code produces it. */
export interface BusinessCommand {
  kind: CommandKind;
  /** Activity type, child or continued workflow type, signal name; 'timer' and 'result' otherwise. */
  name: string;
  /** Activity id or timer id: what pairs a command with its event. */
  id?: string;
  /** The child workflow's id, or the signalled workflow's. */
  target?: string;
  /** The history event (history side only). */
  eventId?: number;
  /** What is compared: `args` (decoded), or `durationMs` for a timer. */
  values: Record<string, unknown>;
}

/** One value that differs: `history` is what the recorded run did, `current` what the code does now. */
export interface Difference {
  kind: CommandKind;
  name: string;
  id?: string;
  target?: string;
  eventId?: number;
  /** Where in the command: `args[0].lines[1].quantity`, `durationMs`, `type`. */
  path: string;
  history: unknown;
  current: unknown;
}

export interface CommandComparison {
  /** Pairs of commands compared. */
  compared: number;
  differences: Difference[];
}

/** Payload bytes as they come: a Uint8Array (of any realm), a Buffer, or a cloned `{ 0: .., 1: .. }`. */
function bytes(value: unknown): Uint8Array {
  if (value === undefined || value === null) return new Uint8Array();
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  return Uint8Array.from(Object.values(value as Record<string, number>));
}

/** A payload decoded with the default payload converter; an undecodable one is shown as such. */
export function decodePayload(payload: IPayload | null | undefined): unknown {
  if (!payload) return undefined;
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, bytes(v)]));
  try {
    return defaultPayloadConverter.fromPayload({ metadata, data: bytes(payload.data) } as Payload);
  } catch {
    const encoding = Buffer.from(metadata.encoding ?? new Uint8Array()).toString('utf8');
    return `<undecodable ${encoding || 'payload'}>`;
  }
}

const decodeAll = (payloads: IPayload[] | null | undefined): unknown[] => (payloads ?? []).map(decodePayload);

/** A number, a numeric string or a protobuf Long (`{ low, high }`, possibly cloned) as a number. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  if (value && typeof value === 'object' && 'low' in value && 'high' in value) {
    const { low, high } = value as { low: number; high: number };
    return high * 2 ** 32 + (low >>> 0);
  }
  return 0;
}

/** A protobuf Duration in milliseconds. */
export function durationMs(
  duration: { seconds?: unknown; nanos?: number | null } | null | undefined,
): number {
  if (!duration) return 0;
  return toNumber(duration.seconds) * 1000 + Math.round((duration.nanos ?? 0) / 1e6);
}

/**
 * The commands the current code produced, one list per activation, as business commands in order.
 * A command cancelled in the activation that started it never reaches the server, so it is dropped.
 */
export function commandsFromActivations(activations: Command[][]): BusinessCommand[] {
  const out: BusinessCommand[] = [];
  for (const commands of activations) {
    const cancelled = new Set<string>();
    for (const c of commands) {
      if (c.requestCancelActivity) cancelled.add(`activity/${c.requestCancelActivity.seq}`);
      if (c.cancelTimer) cancelled.add(`timer/${c.cancelTimer.seq}`);
      if (c.cancelChildWorkflowExecution)
        cancelled.add(`childWorkflow/${c.cancelChildWorkflowExecution.childWorkflowSeq}`);
      if (c.cancelSignalWorkflow) cancelled.add(`signal/${c.cancelSignalWorkflow.seq}`);
    }
    const keep = (kind: CommandKind, seq: number | null | undefined) => !cancelled.has(`${kind}/${seq}`);
    for (const c of commands) {
      const a = c.scheduleActivity;
      if (a && keep('activity', a.seq)) {
        out.push({
          kind: 'activity',
          name: a.activityType ?? '',
          id: a.activityId ?? String(a.seq),
          values: { args: decodeAll(a.arguments) },
        });
      }
      const t = c.startTimer;
      if (t && keep('timer', t.seq)) {
        out.push({
          kind: 'timer',
          name: 'timer',
          id: String(t.seq),
          values: { durationMs: durationMs(t.startToFireTimeout) },
        });
      }
      const child = c.startChildWorkflowExecution;
      if (child && keep('childWorkflow', child.seq)) {
        out.push({
          kind: 'childWorkflow',
          name: child.workflowType ?? '',
          target: child.workflowId ?? undefined,
          values: { args: decodeAll(child.input) },
        });
      }
      const s = c.signalExternalWorkflowExecution;
      if (s && keep('signal', s.seq)) {
        out.push({
          kind: 'signal',
          name: s.signalName ?? '',
          target: s.workflowExecution?.workflowId ?? s.childWorkflowId ?? undefined,
          values: { args: decodeAll(s.args) },
        });
      }
      const can = c.continueAsNewWorkflowExecution;
      if (can) {
        out.push({
          kind: 'continueAsNew',
          name: can.workflowType ?? '',
          values: { args: decodeAll(can.arguments) },
        });
      }
      if (c.completeWorkflowExecution) {
        out.push({
          kind: 'result',
          name: 'result',
          values: { result: decodePayload(c.completeWorkflowExecution.result) },
        });
      }
    }
  }
  return out;
}

/** The commands a history recorded, as business commands in event order. */
export function commandsFromHistory(history: History): BusinessCommand[] {
  const out: BusinessCommand[] = [];
  for (const e of history.events ?? []) {
    const eventId = toNumber(e.eventId);
    const a = e.activityTaskScheduledEventAttributes;
    if (a) {
      out.push({
        kind: 'activity',
        name: a.activityType?.name ?? '',
        id: a.activityId ?? undefined,
        eventId,
        values: { args: decodeAll(a.input?.payloads) },
      });
    }
    const t = e.timerStartedEventAttributes;
    if (t) {
      out.push({
        kind: 'timer',
        name: 'timer',
        id: t.timerId ?? undefined,
        eventId,
        values: { durationMs: durationMs(t.startToFireTimeout) },
      });
    }
    const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child) {
      out.push({
        kind: 'childWorkflow',
        name: child.workflowType?.name ?? '',
        target: child.workflowId ?? undefined,
        eventId,
        values: { args: decodeAll(child.input?.payloads) },
      });
    }
    const s = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
    if (s) {
      out.push({
        kind: 'signal',
        name: s.signalName ?? '',
        target: s.workflowExecution?.workflowId ?? undefined,
        eventId,
        values: { args: decodeAll(s.input?.payloads) },
      });
    }
    const can = e.workflowExecutionContinuedAsNewEventAttributes;
    if (can) {
      out.push({
        kind: 'continueAsNew',
        name: can.workflowType?.name ?? '',
        eventId,
        values: { args: decodeAll(can.input?.payloads) },
      });
    }
    const done = e.workflowExecutionCompletedEventAttributes;
    if (done) {
      out.push({
        kind: 'result',
        name: 'result',
        eventId,
        values: { result: decodePayload(done.result?.payloads?.[0]) },
      });
    }
  }
  return out;
}

const BY_ID: ReadonlySet<CommandKind> = new Set(['activity', 'timer']);

/** Pairs each recorded command with the current code's: by id for activities and timers, else in order per kind. */
export function pairCommands(
  history: BusinessCommand[],
  current: BusinessCommand[],
): [BusinessCommand, BusinessCommand][] {
  const pairs: [BusinessCommand, BusinessCommand][] = [];
  const currentById = new Map<string, BusinessCommand>();
  const currentInOrder = new Map<CommandKind, BusinessCommand[]>();
  for (const c of current) {
    if (BY_ID.has(c.kind)) currentById.set(`${c.kind}/${c.id}`, c);
    else currentInOrder.set(c.kind, [...(currentInOrder.get(c.kind) ?? []), c]);
  }
  for (const h of history) {
    const c = BY_ID.has(h.kind) ? currentById.get(`${h.kind}/${h.id}`) : currentInOrder.get(h.kind)?.shift();
    if (c) pairs.push([h, c]);
  }
  return pairs;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const child = (path: string, key: string | number) =>
  typeof key === 'number'
    ? `${path}[${key}]`
    : IDENTIFIER.test(key)
      ? `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`;

/**
 * Where two decoded values differ: one entry per differing leaf, with its path. An element or key
 * only one side has is reported with `undefined` on the other side.
 */
export function diffValues(
  history: unknown,
  current: unknown,
  path = '',
): { path: string; history: unknown; current: unknown }[] {
  if (Object.is(history, current)) return [];
  if (Array.isArray(history) && Array.isArray(current)) {
    const out: { path: string; history: unknown; current: unknown }[] = [];
    for (let i = 0; i < Math.max(history.length, current.length); i++)
      out.push(...diffValues(history[i], current[i], child(path, i)));
    return out;
  }
  if (isObject(history) && isObject(current)) {
    const keys = [...new Set([...Object.keys(history), ...Object.keys(current)])];
    return keys.flatMap((k) => diffValues(history[k], current[k], child(path, k)));
  }
  return [{ path, history, current }];
}

/**
 * How far a timer's duration may be from the recorded one and still count as the same. A duration
 * computed from the clock (`deadline - Date.now()`) shifts by a few milliseconds on replay, because
 * workflow time is then read from the history's task events; a rule change moves it by far more.
 */
export const DEFAULT_TIMER_TOLERANCE_MS = 1000;

/** Pairs the recorded and the current commands and lists every value that differs. */
export function compareCommands(
  history: BusinessCommand[],
  current: BusinessCommand[],
  opts: { timerToleranceMs?: number } = {},
): CommandComparison {
  const tolerance = opts.timerToleranceMs ?? DEFAULT_TIMER_TOLERANCE_MS;
  const differences: Difference[] = [];
  const pairs = pairCommands(history, current);
  for (const [h, c] of pairs) {
    if (h.kind === 'timer') {
      const recorded = h.values.durationMs as number;
      const now = c.values.durationMs as number;
      if (Math.abs(recorded - now) >= Math.max(tolerance, 1))
        differences.push({
          kind: 'timer',
          name: 'timer',
          id: h.id,
          eventId: h.eventId,
          path: 'durationMs',
          history: recorded,
          current: now,
        });
      continue;
    }
    const where = {
      kind: h.kind,
      name: h.name,
      ...(h.id !== undefined ? { id: h.id } : {}),
      ...(h.target !== undefined ? { target: h.target } : {}),
      ...(h.eventId !== undefined ? { eventId: h.eventId } : {}),
    };
    if (h.name !== c.name) differences.push({ ...where, path: 'type', history: h.name, current: c.name });
    if (h.target !== c.target)
      differences.push({ ...where, path: 'target', history: h.target, current: c.target });
    for (const d of diffValues(h.values, c.values))
      differences.push({ ...where, ...d, path: d.path.slice(1) });
  }
  return { compared: pairs.length, differences };
}

/** A value on one line, cut short when long. */
export function formatValue(value: unknown, max = 80): string {
  if (value === undefined) return '(none)';
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const KIND_LABELS: Record<CommandKind, string> = {
  activity: 'activity',
  timer: 'timer',
  childWorkflow: 'child workflow',
  signal: 'signal',
  continueAsNew: 'continue-as-new',
  result: 'workflow result',
};

/** Which command a difference is in, for people: `activity createPurchaseOrder #7 (event 23)`. */
export function commandLabel(d: Omit<Difference, 'path' | 'history' | 'current'>): string {
  const parts = [KIND_LABELS[d.kind]];
  if (d.kind !== 'timer' && d.kind !== 'result') parts.push(d.name);
  if (d.id !== undefined) parts.push(`#${d.id}`);
  if (d.target !== undefined) parts.push(`→ ${d.target}`);
  if (d.eventId !== undefined) parts.push(`(event ${d.eventId})`);
  return parts.join(' ');
}

/**
 * The differences as indented lines, grouped by command:
 *   child workflow procurementWorkflow → procurement-PO-1 (event 30)
 *     args[0].quantity: 20 → 15
 */
export function formatDifferences(differences: Difference[], indent = '  '): string[] {
  const lines: string[] = [];
  let last: string | undefined;
  for (const d of differences) {
    const label = commandLabel(d);
    if (label !== last) lines.push(`${indent}${label}`);
    last = label;
    lines.push(`${indent}  ${d.path}: ${formatValue(d.history)} → ${formatValue(d.current)}`);
  }
  return lines;
}
