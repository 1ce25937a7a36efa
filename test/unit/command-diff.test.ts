/** The replay diff's pure part: commands from history and from replay, paired and compared. */
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { coresdk } from '@temporalio/proto';
import {
  commandsFromActivations,
  commandsFromHistory,
  compareCommands,
  decodePayload,
  diffValues,
  formatDifferences,
  pairCommands,
  type BusinessCommand,
} from '../../scripts/lib/command-diff';

type Command = coresdk.workflow_commands.IWorkflowCommand;
const payload = (value: unknown) => defaultPayloadConverter.toPayload(value)!;
const b64 = (value: unknown) => {
  const p = payload(value);
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data!).toString('base64'),
  };
};

/** A Long as the sink delivers it: a number, or a cloned `{ low, high }`. */
const long = (value: unknown) => value as never;

const order = (quantity: number) => ({ supplierId: 'SUP-1', lines: [{ sku: 'SKU-1', quantity }] });

const activity = (seq: number, type: string, ...args: unknown[]): Command => ({
  scheduleActivity: { seq, activityId: String(seq), activityType: type, arguments: args.map(payload) },
});

describe('diffValues', () => {
  it('names each differing leaf by its path, recorded first', () => {
    expect(
      diffValues({ a: 1, lines: [{ q: 48 }, { q: 2 }] }, { a: 1, lines: [{ q: 60 }, { q: 2 }] }),
    ).toEqual([{ path: '.lines[0].q', history: 48, current: 60 }]);
  });

  it('reports a key or element only one side has, against undefined', () => {
    expect(diffValues({ a: 1, lines: [1] }, { b: 2, lines: [1, 3] }, 'x')).toEqual([
      { path: 'x.a', history: 1, current: undefined },
      { path: 'x.lines[1]', history: undefined, current: 3 },
      { path: 'x.b', history: undefined, current: 2 },
    ]);
  });

  it('ignores key order, compares types and quotes keys that are not identifiers', () => {
    expect(diffValues({ a: 1, b: 2 }, { b: 2, a: 1 })).toEqual([]);
    expect(diffValues({ 'dunning-level': 1 }, { 'dunning-level': '1' })).toEqual([
      { path: '["dunning-level"]', history: 1, current: '1' },
    ]);
    expect(diffValues(null, { a: 1 }, 'v')).toEqual([{ path: 'v', history: null, current: { a: 1 } }]);
    expect(diffValues([1], { 0: 1 }, 'v')).toHaveLength(1);
  });
});

describe('commandsFromActivations', () => {
  it('reads activities, timers, children, signals, continue-as-new and the result, decoding the input', () => {
    const commands = commandsFromActivations([
      [activity(1, 'createPurchaseOrder', order(48))],
      [
        {
          startTimer: {
            seq: 1,
            startToFireTimeout: { seconds: long({ low: 90, high: 0 }), nanos: 500_000_000 },
          },
        },
        {
          startChildWorkflowExecution: {
            seq: 1,
            workflowId: 'procurement-PO-1',
            workflowType: 'procurementWorkflow',
            input: [payload({ quantity: 20 })],
          },
        },
        {
          signalExternalWorkflowExecution: {
            seq: 1,
            signalName: 'skuReplenished',
            workflowExecution: { workflowId: 'order-O-1' },
            args: [payload({ sku: 'SKU-1' })],
          },
        },
        // a local activity's input is not in history: not compared
        { scheduleLocalActivity: { seq: 1, activityType: 'businessSettings', arguments: [] } },
        {
          continueAsNewWorkflowExecution: {
            workflowType: 'inventoryItemWorkflow',
            arguments: [payload({ n: 1 })],
          },
        },
        { completeWorkflowExecution: { result: payload('done') } },
      ],
    ]);
    expect(commands).toEqual([
      { kind: 'activity', name: 'createPurchaseOrder', id: '1', values: { args: [order(48)] } },
      { kind: 'timer', name: 'timer', id: '1', values: { durationMs: 90_500 } },
      {
        kind: 'childWorkflow',
        name: 'procurementWorkflow',
        target: 'procurement-PO-1',
        values: { args: [{ quantity: 20 }] },
      },
      { kind: 'signal', name: 'skuReplenished', target: 'order-O-1', values: { args: [{ sku: 'SKU-1' }] } },
      { kind: 'continueAsNew', name: 'inventoryItemWorkflow', values: { args: [{ n: 1 }] } },
      { kind: 'result', name: 'result', values: { result: 'done' } },
    ]);
  });

  it('drops a command cancelled in the activation that started it (it never reaches the server)', () => {
    const commands = commandsFromActivations([
      [{ startTimer: { seq: 1, startToFireTimeout: { seconds: long(5) } } }, { cancelTimer: { seq: 1 } }],
      [{ startTimer: { seq: 2, startToFireTimeout: { seconds: long(5) } } }],
      [{ cancelTimer: { seq: 2 } }],
    ]);
    expect(commands.map((c) => c.id)).toEqual(['2']);
  });

  it('decodes payload bytes however the sink delivered them', () => {
    const p = payload({ quantity: 60 });
    const cloned = {
      metadata: { encoding: { ...Array.from(p.metadata!.encoding!) } },
      data: { ...Array.from(p.data!) },
    };
    expect(decodePayload(cloned as never)).toEqual({ quantity: 60 });
    expect(
      decodePayload({ metadata: { encoding: Buffer.from('binary/encrypted') }, data: Buffer.from('x') }),
    ).toBe('<undecodable binary/encrypted>');
    expect(decodePayload(payload(undefined))).toBeUndefined();
  });
});

describe('commandsFromHistory', () => {
  it('reads the scheduling events and their input', () => {
    const history = historyFromJSON({
      events: [
        {
          eventId: '5',
          eventType: 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
          activityTaskScheduledEventAttributes: {
            activityId: '1',
            activityType: { name: 'createPurchaseOrder' },
            input: { payloads: [b64(order(48))] },
          },
        },
        {
          eventId: '9',
          eventType: 'EVENT_TYPE_TIMER_STARTED',
          timerStartedEventAttributes: { timerId: '1', startToFireTimeout: '90.500s' },
        },
        {
          eventId: '12',
          eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
          workflowExecutionCompletedEventAttributes: { result: { payloads: [b64('done')] } },
        },
      ],
    });
    expect(commandsFromHistory(history)).toEqual([
      { kind: 'activity', name: 'createPurchaseOrder', id: '1', eventId: 5, values: { args: [order(48)] } },
      { kind: 'timer', name: 'timer', id: '1', eventId: 9, values: { durationMs: 90_500 } },
      { kind: 'result', name: 'result', eventId: 12, values: { result: 'done' } },
    ]);
  });
});

describe('pairCommands and compareCommands', () => {
  const cmd = (kind: BusinessCommand['kind'], name: string, values: Record<string, unknown>, id?: string) =>
    ({ kind, name, values, ...(id ? { id } : {}) }) as BusinessCommand;

  it('pairs activities and timers by id, the rest in order per kind; unpaired ones are not compared', () => {
    const history = [
      cmd('activity', 'a', { args: [1] }, '1'),
      cmd('childWorkflow', 'c', { args: ['first'] }),
      cmd('activity', 'b', { args: [2] }, '3'),
      cmd('childWorkflow', 'c', { args: ['second'] }),
    ];
    const current = [
      cmd('childWorkflow', 'c', { args: ['first'] }),
      cmd('activity', 'b', { args: [2] }, '3'),
      cmd('childWorkflow', 'c', { args: ['second'] }),
      cmd('activity', 'a', { args: [1] }, '1'),
      cmd('activity', 'later', { args: [] }, '4'),
    ];
    const pairs = pairCommands(history, current);
    expect(pairs.map(([h, c]) => [h.values.args, c.values.args])).toEqual([
      [[1], [1]],
      [['first'], ['first']],
      [[2], [2]],
      [['second'], ['second']],
    ]);
    expect(compareCommands(history, current)).toEqual({ compared: 4, differences: [] });
  });

  it('reports a purchase order of 60 instead of 48 with its path, and formats it for people', () => {
    const history = [{ ...cmd('activity', 'createPurchaseOrder', { args: [order(48)] }, '7'), eventId: 23 }];
    const current = [cmd('activity', 'createPurchaseOrder', { args: [order(60)] }, '7')];
    const { compared, differences } = compareCommands(history, current);
    expect(compared).toBe(1);
    expect(differences).toEqual([
      {
        kind: 'activity',
        name: 'createPurchaseOrder',
        id: '7',
        eventId: 23,
        path: 'args[0].lines[0].quantity',
        history: 48,
        current: 60,
      },
    ]);
    expect(formatDifferences(differences)).toEqual([
      '  activity createPurchaseOrder #7 (event 23)',
      '    args[0].lines[0].quantity: 48 → 60',
    ]);
  });

  it('reports another child workflow id, and another type where replay would not have failed first', () => {
    const history = [{ ...cmd('childWorkflow', 'p', { args: [] }), target: 'procurement-PO-1' }];
    const current = [{ ...cmd('childWorkflow', 'q', { args: [] }), target: 'procurement-PO-2' }];
    expect(compareCommands(history, current).differences.map((d) => d.path)).toEqual(['type', 'target']);
  });

  it('counts timer durations within the tolerance as the same', () => {
    const history = [
      cmd('timer', 'timer', { durationMs: 496 }, '1'),
      cmd('timer', 'timer', { durationMs: 2000 }, '2'),
    ];
    const current = [
      cmd('timer', 'timer', { durationMs: 513 }, '1'),
      cmd('timer', 'timer', { durationMs: 5000 }, '2'),
    ];
    expect(compareCommands(history, current).differences).toEqual([
      { kind: 'timer', name: 'timer', id: '2', path: 'durationMs', history: 2000, current: 5000 },
    ]);
    expect(compareCommands(history, current, { timerToleranceMs: 0 }).differences).toHaveLength(2);
  });
});
