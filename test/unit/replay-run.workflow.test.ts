/**
 * replayRunWorkflow's logic with mocked activities: pages chained by position until the plan is
 * done, a sleep of pageSize / itemsPerSecond after each page but the last, the progress summed, and
 * a page that fails for good marks the run failed.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { WORKFLOW_TYPES } from '../../domain/names';
import { emptyOutcomes, type ReplayPageResult } from '../../domain/replays';
import { businessSettingsSchema } from '../../domain/settings';
import { uniqueKey } from '../support/harness';
import { workflowTestbed } from '../support/workflow-testbed';

const testbed = workflowTestbed();
const settings = businessSettingsSchema.parse({ ops: { replays: { pageSize: 2, itemsPerSecond: 40 } } });

function mocks(total: number, failAt?: number) {
  return {
    businessSettings: jest.fn(async () => settings),
    replayPage: jest.fn(async (a: { after: number; pageSize: number }): Promise<ReplayPageResult> => {
      const first = a.after + 1;
      if (first === failAt) throw ApplicationFailure.nonRetryable('page broke', 'Broken');
      const processed = Math.min(a.pageSize, total - first);
      const byOutcome = emptyOutcomes();
      byOutcome.redriven = processed - (first === 0 ? 1 : 0);
      byOutcome.failed = first === 0 ? 1 : 0;
      const last = first + processed - 1;
      return { processed, byOutcome, nextAfter: last < total - 1 ? last : null };
    }),
    finishReplayRun: jest.fn(async (_a: { runId: string; error?: string }) => ({
      ...emptyOutcomes(),
      redriven: total - 1,
      failed: 1,
    })),
  };
}

describe('replayRunWorkflow', () => {
  it('handles the plan page by page, sleeping pageSize / itemsPerSecond between pages', async () => {
    const taskQueue = uniqueKey('replay-run');
    const activities = mocks(5);
    const workflowId = uniqueKey('replay-run');
    const result = await testbed.runWorker(taskQueue, activities, () =>
      testbed.client.workflow.execute(WORKFLOW_TYPES.replayRun, {
        taskQueue,
        workflowId,
        args: [{ runId: 'run-1', planId: 'plan-1', total: 5 }],
      }),
    );
    expect(activities.replayPage.mock.calls.map(([a]) => a.after)).toEqual([-1, 1, 3]);
    expect(result).toEqual({
      runId: 'run-1',
      total: 5,
      done: 5,
      failed: 1,
      byOutcome: { redriven: 4, reset: 0, skipped_already_done: 0, failed: 1 },
      pages: 3,
      status: 'completed',
    });
    expect(activities.finishReplayRun).toHaveBeenCalledWith({ runId: 'run-1' });
    const history = await testbed.client.workflow.getHandle(workflowId).fetchHistory();
    const timers = (history.events ?? []).flatMap((e) =>
      e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED
        ? [Number(e.timerStartedEventAttributes?.startToFireTimeout?.nanos ?? 0) / 1e6]
        : [],
    );
    // two items at 40 a second: 50 ms after each full page, none after the last
    expect(timers).toEqual([50, 50]);
  });

  it('marks the run failed when a page fails for good', async () => {
    const taskQueue = uniqueKey('replay-run');
    const activities = mocks(5, 2);
    await expect(
      testbed.runWorker(taskQueue, activities, () =>
        testbed.client.workflow.execute(WORKFLOW_TYPES.replayRun, {
          taskQueue,
          workflowId: uniqueKey('replay-run'),
          args: [{ runId: 'run-2', planId: 'plan-2', total: 5 }],
        }),
      ),
    ).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(activities.finishReplayRun).toHaveBeenCalledWith({
      runId: 'run-2',
      error: 'Activity task failed: page broke',
    });
  });
});
