/** A duration setting: a Temporal duration string ('30 seconds', '2 days', '1h') or milliseconds. */
import { z } from 'zod';
import { msToNumber, type Duration } from '@temporalio/common';

export const durationSchema = z.union([z.string(), z.number().int().nonnegative()]).refine(
  (v) => {
    try {
      return msToNumber(v as Duration) >= 0;
    } catch {
      return false;
    }
  },
  { message: "must be a duration such as '30 seconds', '4 hours', '2 days' or a number of milliseconds" },
) as unknown as z.ZodType<Duration>;
