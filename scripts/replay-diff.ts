/**
 * `npm run replay:diff`: replays workflow histories (files, or fetched from Temporal) against the
 * workflow code and reports, besides determinism errors, every command the code would now give
 * with other input than the history recorded (scripts/lib/command-diff.ts).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HISTORY_OPTIONS, historyArgsError, loadHistories } from './lib/histories';
import {
  bundleForDiff,
  diffHistories,
  diffSummary,
  formatHistoryDiff,
  type HistoryDiff,
} from './lib/replay-diff';
import { WORKFLOWS_PATH } from '../workers/bundle';
import { installSdkLogging } from '../workers/worker';

const USAGE = `usage: npm run replay:diff -- <file.json | directory> [more ...] [--json]
       npm run replay:diff -- --workflow-id <id> [--run-id <id>] [--all-runs] [--json]

Replays each history against the current workflow code and compares what the code commands with
what the history recorded: activity inputs, child workflow inputs, external signals, timer
durations, continue-as-new input and the workflow result. Per history: ok, DETERMINISM (plain
replay fails) or DIFF with one line per differing value (recorded → now).
  <file.json | directory>  a history file (temporal workflow show --output json, a test/histories
                           file, or an array of events), or a directory: every *.json inside
  --workflow-id <id>       fetch the history from the configured Temporal server (TEMPORAL_ADDRESS,
                           TEMPORAL_NAMESPACE); the latest run unless --run-id is given
  --run-id <id>            the run to fetch
  --all-runs               every run of the continue-as-new chain up to that run, oldest first
  --workflows <path>       compare against this workflows module instead of workflows/ (always
                           bundled from source: WORKFLOW_BUNDLE_PATH is not used)
  --timer-tolerance <ms>   timer durations this close to the recorded ones count as the same
                           (default 1000: a duration computed from the clock shifts slightly)
  --json                   one JSON document instead of text
  --help                   show this text
Exit code: 0 all the same, 1 some differ, are nondeterministic or unreadable, 2 bad arguments.`;

function usageError(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { ...HISTORY_OPTIONS, json: { type: 'boolean' }, 'timer-tolerance': { type: 'string' } },
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

  const tolerance = values['timer-tolerance'];
  const timerToleranceMs = tolerance === undefined ? undefined : Number(tolerance);
  if (timerToleranceMs !== undefined && !(Number.isFinite(timerToleranceMs) && timerToleranceMs >= 0))
    usageError(`--timer-tolerance: '${tolerance}' is not a number of milliseconds`);

  installSdkLogging('error');
  const loaded = await loadHistories(values, positionals);
  const bundle = await bundleForDiff(values.workflows ? path.resolve(values.workflows) : WORKFLOWS_PATH);
  const results: HistoryDiff[] = [];
  for await (const r of diffHistories(bundle, loaded, { timerToleranceMs })) {
    results.push(r);
    if (!values.json) console.log(formatHistoryDiff(r).join('\n'));
  }
  const summary = diffSummary(results);
  if (values.json) console.log(JSON.stringify({ histories: results, summary }, null, 2));
  else console.log(summary);
  process.exitCode = results.every((r) => r.status === 'same') ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
