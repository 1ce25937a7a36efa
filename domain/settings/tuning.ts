/**
 * Latency tuning of the workflows (issue 10, bench/sections/latency.ts measures each choice). The
 * defaults keep the commands the saved histories recorded; a changed value applies to executions
 * (or inventory runs) started after the worker read it.
 */
import { z } from 'zod';

export const tuningSettingsSchema = z
  .object({
    /**
     * Run the short, idempotent first steps (the order's credit check and stock reservation, a SKU's
     * stock change) as local activities: executed by the worker that runs the workflow task, with no
     * activity task queue round trip. Retries follow the same policy; a longer outage is retried
     * with workflow timers.
     */
    localActivities: z.boolean().default(false),
  })
  .strict();

export type TuningSettings = z.infer<typeof tuningSettingsSchema>;
