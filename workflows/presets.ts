/** Named activity option presets, each with an explicit timeout and retry policy. */
import type { ActivityOptions } from '@temporalio/workflow';

export const ACTIVITY_PRESETS = {
  /** A quick database write: retried with backoff for as long as Postgres is away. */
  short: {
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  },
} satisfies Record<string, ActivityOptions>;
