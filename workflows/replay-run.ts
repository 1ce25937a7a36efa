/**
 * A selective replay run (finance queue; started by POST /v1/replays with a plan id): handles the
 * plan's frozen items page by page (one activity per page: re-drive the events, reset the failed
 * executions to their last good point), and sleeps between pages so that it averages at most
 * `ops.replays.itemsPerSecond` and live traffic is not starved. Progress is in replay_runs and
 * answered by the replayProgress query.
 */
import { proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  emptyOutcomes,
  replayProgressQuery,
  type ReplayOutcome,
  type ReplayProgress,
  type ReplayRunInput,
} from '../domain/replays';
import { ACTIVITY_PRESETS } from './presets';
import { loadSettings } from './settings';

const { finishReplayRun } = proxyActivities<Activities>(ACTIVITY_PRESETS.short);

/** A page waits on Temporal and Postgres for each item: a longer start-to-close, liveness by heartbeat. */
const { replayPage } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 20,
  },
});

/** Re-drives and resets the items of one plan, rate-limited; the result is the final progress. */
export async function replayRunWorkflow(input: ReplayRunInput): Promise<ReplayProgress> {
  const progress: ReplayProgress = {
    runId: input.runId,
    total: input.total,
    done: 0,
    failed: 0,
    byOutcome: emptyOutcomes(),
    pages: 0,
    status: 'running',
  };
  setHandler(replayProgressQuery, () => progress);
  // the settings load in an activity: the query above is served from the start
  const { replays } = (await loadSettings()).ops;

  try {
    for (let after = -1; ;) {
      const page = await replayPage({
        runId: input.runId,
        planId: input.planId,
        after,
        pageSize: replays.pageSize,
      });
      progress.pages++;
      progress.done += page.processed;
      for (const [outcome, n] of Object.entries(page.byOutcome))
        progress.byOutcome[outcome as ReplayOutcome] += n;
      progress.failed = progress.byOutcome.failed;
      if (page.nextAfter === null) break;
      after = page.nextAfter;
      // the rate limit: this page's share of a second at itemsPerSecond, before the next page
      await sleep(Math.ceil((page.processed * 1000) / replays.itemsPerSecond));
    }
  } catch (err) {
    progress.status = 'failed';
    await finishReplayRun({ runId: input.runId, error: failureText(err) });
    throw err;
  }
  progress.byOutcome = await finishReplayRun({ runId: input.runId });
  progress.status = 'completed';
  return progress;
}

/** The failure and its causes, e.g. `Activity task failed: page broke`. */
function failureText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return parts.length ? parts.join(': ') : String(err);
}
