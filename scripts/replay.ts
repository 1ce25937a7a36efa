/** `npm run replay`: replays workflow histories (files, or fetched from Temporal) against the workflow code. */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { loadConfigOrExit } from '../lib/config';
import {
  describeError,
  HISTORY_OPTIONS,
  historyArgsError,
  loadHistories,
  type Loaded,
} from './lib/histories';
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
      options: HISTORY_OPTIONS,
    });
  } catch (err) {
    usageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const argsError = historyArgsError(values, positionals);
  if (argsError) usageError(argsError);
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
  const loaded = await loadHistories(values, positionals);
  process.exitCode = (await replay(loaded, options)) ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
