/** Settings of events out: webhooks and their retries (DOMAIN.md: events in and out). */
import { z } from 'zod';
import { durationSchema } from './duration';

export const integrationSettingsSchema = z
  .object({
    /** How long a failing webhook delivery is retried before its subscription is disabled. */
    webhookRetryPeriod: durationSchema.default('3 days'),
    /** The first retry waits about this long; each further one twice as long (with jitter). */
    webhookRetryInitialInterval: durationSchema.default('5 seconds'),
    /** The longest wait between two attempts. */
    webhookRetryMaxInterval: durationSchema.default('1 hour'),
    /** Deadline of one HTTP POST to a subscriber. */
    webhookRequestTimeout: durationSchema.default('10 seconds'),
    /** A subscription's workflow looks for new outbox rows at least this often (the relay wakes it sooner). */
    webhookPollInterval: durationSchema.default('1 minute'),
    /** Deliveries fetched per page (delivered one by one, in outbox order). */
    webhookBatchSize: z.number().int().min(1).max(500).default(50),
    /** Allow target URLs on private, loopback and link-local addresses (tests and local setups only). */
    webhookAllowPrivateTargets: z.boolean().default(false),
  })
  .strict();

export type IntegrationSettings = z.infer<typeof integrationSettingsSchema>;
