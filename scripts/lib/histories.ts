/**
 * Loading workflow histories for the replay commands (`npm run replay`, `npm run replay:diff`):
 * history files in the formats people have at hand, or runs fetched from the configured Temporal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import { loadConfigOrExit } from '../../lib/config';
import { fetchRunChain, temporalAddress, temporalSecurityOrExit } from '../../lib/temporal';

/**
 * One history to replay (`source`: the file, or the workflow id and run it was fetched as), or
 * why it could not be loaded.
 */
export type Loaded =
  { workflowId: string; history: History; source: string } | { name: string; error: unknown };

/** Parses a history file: `{ events }` (Temporal CLI), `{ workflowId, history }` (test/histories) or `[events]`. */
export function parseHistoryFile(file: string): Loaded {
  try {
    const json: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    const saved = json as { workflowId?: unknown; history?: unknown };
    const isSaved = typeof json === 'object' && json !== null && 'history' in json;
    const raw = Array.isArray(json) ? { events: json } : isSaved ? saved.history : json;
    const workflowId = isSaved && typeof saved.workflowId === 'string' ? saved.workflowId : file;
    return { workflowId, history: historyFromJSON(raw), source: file };
  } catch (error) {
    return { name: file, error };
  }
}

/** The history files named on the command line; a directory stands for every *.json in it. */
export function loadFiles(paths: string[]): Loaded[] {
  return paths.flatMap((p): Loaded[] => {
    if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) return [parseHistoryFile(p)];
    const files = fs.readdirSync(p).filter((f) => f.endsWith('.json'));
    if (!files.length) return [{ name: p, error: new Error('no *.json files in this directory') }];
    return files.sort().map((f) => parseHistoryFile(path.join(p, f)));
  });
}

/** Fetches one run (the latest by default) or, with `allRuns`, the chain of runs ending at it, oldest first. */
export async function fetchHistories(
  workflowId: string,
  runId: string | undefined,
  allRuns: boolean,
): Promise<Loaded[]> {
  const config = loadConfigOrExit();
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({
      address: temporalAddress(config),
      ...temporalSecurityOrExit(config),
    });
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const histories = await fetchRunChain(client, workflowId, { runId, allRuns });
    return histories.map((history) => {
      const run = history.events?.[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId;
      return { workflowId, history, source: run ? `${workflowId} run ${run}` : workflowId };
    });
  } catch (error) {
    return [{ name: workflowId, error }];
  } finally {
    await connection?.close();
  }
}

/** The options both replay commands take to name their histories. */
export const HISTORY_OPTIONS = {
  'workflow-id': { type: 'string' },
  'run-id': { type: 'string' },
  'all-runs': { type: 'boolean' },
  workflows: { type: 'string' },
  help: { type: 'boolean' },
} as const;

export interface HistoryArgs {
  'workflow-id'?: string;
  'run-id'?: string;
  'all-runs'?: boolean;
  workflows?: string;
}

/** What is wrong with the history arguments, if anything (files xor --workflow-id, and so on). */
export function historyArgsError(values: HistoryArgs, positionals: string[]): string | undefined {
  const workflowId = values['workflow-id'];
  if (workflowId === undefined && !positionals.length) return 'name history files or --workflow-id';
  if (workflowId !== undefined && positionals.length)
    return `unexpected argument '${positionals[0]}' with --workflow-id`;
  if (workflowId === undefined && (values['run-id'] !== undefined || values['all-runs']))
    return `${values['run-id'] !== undefined ? '--run-id' : '--all-runs'} needs --workflow-id`;
  if (values.workflows !== undefined && !fs.existsSync(values.workflows))
    return `--workflows: ${values.workflows} does not exist`;
  return undefined;
}

/** The histories the (checked) arguments name: files and directories, or runs fetched from Temporal. */
export async function loadHistories(values: HistoryArgs, positionals: string[]): Promise<Loaded[]> {
  const workflowId = values['workflow-id'];
  return workflowId === undefined
    ? loadFiles(positionals)
    : fetchHistories(workflowId, values['run-id'], Boolean(values['all-runs']));
}

export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : `Error: ${String(error)}`;
