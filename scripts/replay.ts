/** `npm run replay`: replays workflow histories (files, or fetched from Temporal) against the workflow code. */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { loadConfigOrExit } from '../lib/config';
import { fetchRunChain, temporalAddress, temporalSecurityOrExit } from '../lib/temporal';
import { WORKFLOWS_PATH } from '../workers/bundle';
import { installSdkLogging } from '../workers/worker';

const USAGE = `usage: npm run replay -- <file.json | directory> [more ...]
       npm run replay -- --workflow-id <id> [--run-id <id>] [--all-runs]

Replays each history against the current workflow code and reports one line per history.
  <file.json | directory>  a history file (temporal workflow show --output json, a test/histories
                           file, or an array of events), or a directory: every *.json inside
  --workflow-id <id>       fetch the history from the configured Temporal server (TEMPORAL_ADDRESS,
                           TEMPORAL_NAMESPACE); the latest run unless --run-id is given
  --run-id <id>            the run to fetch
  --all-runs               every run of the continue-as-new chain up to that run, oldest first
  --workflows <path>       replay against this workflows module instead of workflows/
                           (or WORKFLOW_BUNDLE_PATH when set)
  --help                   show this text
Exit code: 0 all replayed, 1 some failed, 2 bad arguments.`;

/** One history to replay, or why it could not be loaded. */
type Loaded = { workflowId: string; history: History } | { name: string; error: unknown };

/** Parses a history file: `{ events }` (Temporal CLI), `{ workflowId, history }` (test/histories) or `[events]`. */
function parseHistoryFile(file: string): Loaded {
  try {
    const json: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    const saved = json as { workflowId?: unknown; history?: unknown };
    const isSaved = typeof json === 'object' && json !== null && 'history' in json;
    const raw = Array.isArray(json) ? { events: json } : isSaved ? saved.history : json;
    const workflowId = isSaved && typeof saved.workflowId === 'string' ? saved.workflowId : file;
    return { workflowId, history: historyFromJSON(raw) };
  } catch (error) {
    return { name: file, error };
  }
}

/** The history files named on the command line; a directory stands for every *.json in it. */
function loadFiles(paths: string[]): Loaded[] {
  return paths.flatMap((p): Loaded[] => {
    if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) return [parseHistoryFile(p)];
    const files = fs.readdirSync(p).filter((f) => f.endsWith('.json'));
    if (!files.length) return [{ name: p, error: new Error('no *.json files in this directory') }];
    return files.sort().map((f) => parseHistoryFile(path.join(p, f)));
  });
}

/** Fetches one run (the latest by default) or, with `allRuns`, the chain of runs ending at it, oldest first. */
async function fetchHistories(
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
    return histories.map((history) => ({ workflowId, history }));
  } catch (error) {
    return [{ name: workflowId, error }];
  } finally {
    await connection?.close();
  }
}

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : `Error: ${String(error)}`;

/** Replays every loaded history in one replay worker; prints a line per history and the summary. */
async function replay(loaded: Loaded[], options: ReplayWorkerOptions): Promise<boolean> {
  let replayed = 0;
  let failed = 0;
  const report = (ok: boolean, line: string) => {
    replayed++;
    if (!ok) failed++;
    console.log(line);
  };
  const loadFailure = (l: { name: string; error: unknown }) =>
    report(false, `FAIL ${l.name}: ${describeError(l.error)}`);
  const counts: number[] = [];
  // load failures are reported in their place, between the replays
  async function* histories() {
    for (const l of loaded) {
      if ('error' in l) loadFailure(l);
      else {
        counts.push(l.history.events?.length ?? 0);
        yield l;
      }
    }
  }
  if (loaded.some((l) => 'history' in l)) {
    for await (const { workflowId, error } of Worker.runReplayHistories(options, histories())) {
      const n = counts.shift();
      report(
        !error,
        error ? `FAIL ${workflowId}: ${describeError(error)}` : `ok   ${workflowId} (${n} events)`,
      );
    }
  } else {
    for (const l of loaded) if ('error' in l) loadFailure(l);
  }
  console.log(`${replayed} replayed, ${failed} failed`);
  return failed === 0;
}

function usageError(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        'workflow-id': { type: 'string' },
        'run-id': { type: 'string' },
        'all-runs': { type: 'boolean' },
        workflows: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    usageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const workflowId = values['workflow-id'];
  if (workflowId === undefined && !positionals.length) usageError('name history files or --workflow-id');
  if (workflowId !== undefined && positionals.length)
    usageError(`unexpected argument '${positionals[0]}' with --workflow-id`);
  if (workflowId === undefined && (values['run-id'] !== undefined || values['all-runs']))
    usageError(`${values['run-id'] !== undefined ? '--run-id' : '--all-runs'} needs --workflow-id`);

  if (values.workflows !== undefined && !fs.existsSync(values.workflows))
    usageError(`--workflows: ${values.workflows} does not exist`);
  const bundlePath = loadConfigOrExit().WORKFLOW_BUNDLE_PATH;
  if (bundlePath && !values.workflows && !fs.existsSync(bundlePath)) {
    process.stderr.write(`WORKFLOW_BUNDLE_PATH: ${bundlePath} does not exist\n`);
    process.exit(1);
  }
  const options: ReplayWorkerOptions = values.workflows
    ? { workflowsPath: path.resolve(values.workflows) }
    : bundlePath
      ? { workflowBundle: { codePath: bundlePath } }
      : { workflowsPath: WORKFLOWS_PATH };
  installSdkLogging('error');
  const loaded =
    workflowId === undefined
      ? loadFiles(positionals)
      : await fetchHistories(workflowId, values['run-id'], Boolean(values['all-runs']));
  process.exitCode = (await replay(loaded, options)) ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
