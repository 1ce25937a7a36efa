/** Settings of operations work: selective replay (re-drive events, reset failed executions). */
import { z } from 'zod';
import { durationSchema } from './duration';

export const opsSettingsSchema = z
  .object({
    replays: z
      .object({
        /** Items a replay run re-drives or resets per second on average (it sleeps between pages). */
        itemsPerSecond: z.number().positive().max(10_000).default(20),
        /** Items handled by one activity call; the run sleeps pageSize / itemsPerSecond after each page. */
        pageSize: z.number().int().min(1).max(500).default(20),
        /** How long a dry run's plan may be executed. */
        planTtl: durationSchema.default('24 hours'),
      })
      .strict()
      .default(() => ({ itemsPerSecond: 20, pageSize: 20, planTtl: '24 hours' })),
  })
  .strict();

export type OpsSettings = z.infer<typeof opsSettingsSchema>;
