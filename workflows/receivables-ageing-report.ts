/**
 * The daily receivables-ageing report (Schedule receivables-ageing-report): receivables ageing as of
 * the day the run was scheduled for, stored once per day. The day comes from the schedule's
 * TemporalScheduledStartTime, so a backfill over past days writes a report for each of those days.
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReceivablesAgeingReport, ReceivablesAgeingReportInput } from '../domain/reports';
import { ACTIVITY_PRESETS } from './presets';

const { storeReceivablesAgeingReport } = proxyActivities<Activities>({
  ...ACTIVITY_PRESETS.short,
  startToCloseTimeout: '2 minutes',
});

/** Set by Temporal on every workflow a Schedule starts (a trigger: the time of the trigger). */
export const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME');

/** The time this run stands for: the schedule's scheduled time, else the workflow's start. */
export function scheduledTime(): Date {
  const info = workflowInfo();
  const typed = info.typedSearchAttributes.get(SCHEDULED_START_TIME);
  if (typed) return new Date(typed);
  // older servers send it untyped
  const [untyped] = (info.searchAttributes?.TemporalScheduledStartTime ?? []) as (Date | string)[];
  return untyped ? new Date(untyped) : info.startTime;
}

/** The daily receivables-ageing report (id: the schedule's, plus its scheduled time). */
export async function receivablesAgeingReportWorkflow(
  input: ReceivablesAgeingReportInput = {},
): Promise<ReceivablesAgeingReport> {
  const { workflowId, runId } = workflowInfo();
  // the UTC day: a schedule at 05:00 UTC reports on that day
  const asOf = input.asOf ?? scheduledTime().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(`${asOf}T00:00:00Z`))) {
    throw ApplicationFailure.nonRetryable(`asOf must be a day as YYYY-MM-DD, got ${asOf}`, 'InvalidInput');
  }
  return storeReceivablesAgeingReport({ asOf, workflowId, runId });
}
