/** Customer follow-up settings (DOMAIN.md: customer follow-up). */
import { z } from 'zod';
import { durationSchema } from './duration';

export const crmSettingsSchema = z
  .object({
    /** How long after resolution the satisfaction survey goes out. */
    surveyDelay: durationSchema.default('3 days'),
  })
  .strict();

export type CrmSettings = z.infer<typeof crmSettingsSchema>;
