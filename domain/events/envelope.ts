/** The CloudEvents 1.0 structured-mode envelope every inbound event uses (no I/O). */
import { z } from 'zod';

const isoWithOffset = z.iso.datetime({ offset: true });

export const cloudEventEnvelopeSchema = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string().min(1).max(200),
    source: z.string().min(1).max(500),
    type: z.string().min(1).max(200),
    time: isoWithOffset.optional(),
    subject: z.string().min(1).max(500).optional(),
    datacontenttype: z.literal('application/json').optional(),
    dataschema: z.string().min(1).max(500).optional(),
    /** Extension attribute: the business flow this event belongs to. Defaults to the event id. */
    correlationid: z.string().min(1).max(200).optional(),
    data: z.unknown(),
  })
  .meta({ id: 'CloudEvent', description: 'A CloudEvents 1.0 event in structured JSON mode.' });

export type CloudEventEnvelope = z.infer<typeof cloudEventEnvelopeSchema>;
