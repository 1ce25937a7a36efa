/** Settings of events out: webhooks and their retries (DOMAIN.md: events in and out). */
import { z } from 'zod';
import { durationSchema } from './duration';

export const integrationSettingsSchema = z
  .object({
    /** How long a failing webhook delivery is retried before its subscription is disabled. */
    webhookRetryPeriod: durationSchema.default('3 days'),
  })
  .strict();

export type IntegrationSettings = z.infer<typeof integrationSettingsSchema>;
