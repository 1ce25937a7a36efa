/** The last good point and failure of a closed execution, read from its history (lib/replay-executions.ts). */
import { temporal } from '@temporalio/proto';
import { analyseHistory, executionQuery, resetRequestId } from '../../lib/replay-executions';

type Event = temporal.api.history.v1.IHistoryEvent;
const T = temporal.api.enums.v1.EventType;

const e = (
  eventId: number,
  eventType: temporal.api.enums.v1.EventType,
  attrs: Partial<Event> = {},
): Event => ({
  eventId: eventId as unknown as Event['eventId'],
  eventType,
  ...attrs,
});

/** started, a first task (settings, schedule activity 5), the activity fails, a task that fails the workflow. */
function activityFailedHistory(): Event[] {
  return [
    e(1, T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
    e(2, T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    e(3, T.EVENT_TYPE_WORKFLOW_TASK_STARTED),
    e(4, T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    e(5, T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    e(6, T.EVENT_TYPE_ACTIVITY_TASK_STARTED),
    e(7, T.EVENT_TYPE_ACTIVITY_TASK_FAILED),
    e(8, T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    e(9, T.EVENT_TYPE_WORKFLOW_TASK_STARTED),
    e(10, T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    e(11, T.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
      workflowExecutionFailedEventAttributes: {
        failure: {
          message: 'Activity task failed',
          activityFailureInfo: {
            scheduledEventId: 5 as unknown as Event['eventId'],
            activityType: { name: 'createPurchaseOrder' },
          },
          cause: {
            message: 'supplier SUP-1 is unknown',
            applicationFailureInfo: { type: 'UnknownSupplier', nonRetryable: true },
          },
        },
      },
    }),
  ];
}

describe('analyseHistory', () => {
  it('resets a workflow failed by an activity to the task that scheduled the activity', () => {
    expect(analyseHistory(activityFailedHistory())).toEqual({
      failureType: 'UnknownSupplier',
      failureMessage: 'Activity task failed: supplier SUP-1 is unknown',
      resetEventId: 4,
      resetPoint:
        'WorkflowTaskCompleted (event 4) before ActivityTaskScheduled createPurchaseOrder (event 5)',
    });
  });

  it('resets a workflow failed by its own code, or timed out, to its last completed task', () => {
    const failedInCode = [
      ...activityFailedHistory().slice(0, 10),
      e(11, T.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
        workflowExecutionFailedEventAttributes: {
          failure: { message: 'asOf must be a day', applicationFailureInfo: { type: 'InvalidInput' } },
        },
      }),
    ];
    expect(analyseHistory(failedInCode)).toMatchObject({
      failureType: 'InvalidInput',
      resetEventId: 10,
      resetPoint: 'WorkflowTaskCompleted (event 10) before WorkflowExecutionFailed (event 11)',
    });
    const timedOut = [
      ...activityFailedHistory().slice(0, 6),
      e(7, T.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, { workflowExecutionTimedOutEventAttributes: {} }),
    ];
    expect(analyseHistory(timedOut)).toMatchObject({
      failureType: 'TimeoutFailure',
      failureMessage: 'workflow execution timed out',
      resetEventId: 4,
    });
  });

  it('has no reset point when no workflow task completed', () => {
    const history = [
      e(1, T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
      e(2, T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
      e(3, T.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, {
        workflowExecutionTerminatedEventAttributes: { reason: 'by hand' },
      }),
    ];
    expect(analyseHistory(history)).toMatchObject({
      failureType: 'TerminatedFailure',
      failureMessage: 'by hand',
      resetEventId: null,
    });
  });
});

describe('executionQuery and resetRequestId', () => {
  it('quotes values and scopes the query to the task queues', () => {
    expect(
      executionQuery({
        statuses: ['failed', 'timed_out'],
        taskQueues: ['erp-sales', 'erp-inventory'],
        workflowIds: ["order-O'1"],
        from: '2026-11-27T10:00:00+01:00',
      }),
    ).toBe(
      "ExecutionStatus IN ('Failed', 'TimedOut') AND TaskQueue IN ('erp-sales', 'erp-inventory') AND " +
        "WorkflowId IN ('order-O\\'1') AND CloseTime >= '2026-11-27T09:00:00.000Z'",
    );
  });

  it('derives the same request id for the same run and item, another for another', () => {
    const a = resetRequestId('run-1', 'workflow:x/1');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(resetRequestId('run-1', 'workflow:x/1')).toBe(a);
    expect(resetRequestId('run-2', 'workflow:x/1')).not.toBe(a);
  });
});
