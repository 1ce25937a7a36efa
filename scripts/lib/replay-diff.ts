/**
 * Replay diff: replays histories against workflow code bundled with the replay-capture interceptor
 * (workflows/interceptors/replay-capture.ts), collects the commands the code produces, and compares
 * them with the commands each history recorded (scripts/lib/command-diff.ts).
 */
import { bundleWorkflowCode, Worker, type BundleOptions } from '@temporalio/worker';
import type { coresdk } from '@temporalio/proto';
import type { ReplayCaptureSinks } from '../../workflows/interceptors/replay-capture';
import type { InjectedSinks } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/bundle';
import {
  commandsFromActivations,
  commandsFromHistory,
  compareCommands,
  formatDifferences,
  type Difference,
} from './command-diff';
import { describeError, type Loaded } from './histories';

export const REPLAY_CAPTURE_MODULE = require.resolve('../../workflows/interceptors/replay-capture');

export type DiffStatus = 'same' | 'differ' | 'nondeterministic' | 'unreadable';

/** The outcome for one history. */
export interface HistoryDiff {
  /** The file, or the workflow id and run it was fetched as. */
  source: string;
  workflowId: string;
  status: DiffStatus;
  events: number;
  /** Pairs of commands compared. */
  compared: number;
  differences: Difference[];
  /** The determinism violation, or why the history could not be read. */
  error?: string;
}

const noop = () => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/**
 * The workflows at `workflowsPath` bundled with the capture interceptor. Only the replay diff uses
 * such a bundle; `webpackConfigHook` lets a test swap a module (a changed business rule).
 */
export async function bundleForDiff(
  workflowsPath: string = WORKFLOWS_PATH,
  opts: Pick<BundleOptions, 'webpackConfigHook'> = {},
): Promise<{ code: string }> {
  return bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: [REPLAY_CAPTURE_MODULE],
    logger: { ...quiet, error: (message: string, meta?: unknown) => console.error(message, meta ?? '') },
    ...opts,
  });
}

/**
 * Replays each loaded history (one at a time, in one replay worker) against `bundle`, which must
 * come from bundleForDiff, and yields one HistoryDiff per history, load failures in their place.
 */
export async function* diffHistories(
  bundle: { code: string } | { codePath: string },
  loaded: Loaded[],
  opts: { timerToleranceMs?: number } = {},
): AsyncGenerator<HistoryDiff> {
  const ready = loaded.filter((l): l is Extract<Loaded, { history: unknown }> => 'history' in l);
  const unreadable = (l: Extract<Loaded, { error: unknown }>): HistoryDiff => ({
    source: l.name,
    workflowId: l.name,
    status: 'unreadable',
    events: 0,
    compared: 0,
    differences: [],
    error: describeError(l.error),
  });
  if (!ready.length) {
    for (const l of loaded) if ('error' in l) yield unreadable(l);
    return;
  }
  let activations: coresdk.workflow_commands.IWorkflowCommand[][] = [];
  const sinks: InjectedSinks<ReplayCaptureSinks> = {
    replayCapture: {
      commands: { fn: (_info, commands) => void activations.push(commands), callDuringReplay: true },
    },
  };
  // the outcomes of load failures met before the next history replays, in their place
  const waiting: HistoryDiff[] = [];
  const order: Extract<Loaded, { history: unknown }>[] = [];
  async function* histories() {
    for (const l of loaded) {
      if ('error' in l) waiting.push(unreadable(l));
      else {
        order.push(l);
        yield { workflowId: l.workflowId, history: l.history };
      }
    }
  }
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, sinks }, histories())) {
    const l = order.shift()!;
    const captured = activations;
    activations = [];
    yield* waiting.splice(0);
    const base = { source: l.source, workflowId: l.workflowId, events: l.history.events?.length ?? 0 };
    if (result.error) {
      yield {
        ...base,
        status: 'nondeterministic',
        compared: 0,
        differences: [],
        error: describeError(result.error),
      };
      continue;
    }
    const recorded = commandsFromHistory(l.history);
    // the code gave the history's commands, so nothing captured means no interceptor in the bundle
    if (recorded.length && !captured.length)
      throw new Error('no commands were captured on replay: bundle the workflows with bundleForDiff');
    const { compared, differences } = compareCommands(recorded, commandsFromActivations(captured), opts);
    yield { ...base, status: differences.length ? 'differ' : 'same', compared, differences };
  }
  yield* waiting.splice(0);
}

/** `N same, N differ, N nondeterministic` (and the unreadable, when any). */
export function diffSummary(results: HistoryDiff[]): string {
  const count = (s: DiffStatus) => results.filter((r) => r.status === s).length;
  const unreadable = count('unreadable');
  return (
    `${count('same')} same, ${count('differ')} differ, ${count('nondeterministic')} nondeterministic` +
    (unreadable ? `, ${unreadable} unreadable` : '')
  );
}

/** The text block for one history. */
export function formatHistoryDiff(r: HistoryDiff): string[] {
  const name = r.source === r.workflowId ? r.workflowId : `${r.workflowId} (${r.source})`;
  switch (r.status) {
    case 'same':
      return [`ok          ${name}: ${r.compared} commands compared`];
    case 'nondeterministic':
      return [`DETERMINISM ${name}: ${r.error}`];
    case 'unreadable':
      return [`UNREADABLE  ${name}: ${r.error}`];
    case 'differ':
      return [
        `DIFF        ${name}: ${r.differences.length} of ${r.compared} commands' values differ (recorded → now)`,
        ...formatDifferences(r.differences, '    '),
      ];
  }
}
