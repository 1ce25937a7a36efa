/** The CloudEvents 1.0 structured-mode envelope every inbound event uses (no I/O). */
import { z } from 'zod';

const isoWithOffset = z.iso.datetime({ offset: true });

const KNOWN_ATTRIBUTES = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'datacontenttype',
  'dataschema',
  'correlationid',
  'data',
]);

/** The envelope's attributes, without the extension attribute check (for documentation). */
export const cloudEventEnvelopeObject = z
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
  // extension attributes (CloudEvents 1.0): lower-case ASCII letters and digits, scalar values
  .loose();

export const cloudEventEnvelopeSchema = cloudEventEnvelopeObject
  .superRefine((envelope, ctx) => {
    for (const [name, value] of Object.entries(envelope)) {
      if (KNOWN_ATTRIBUTES.has(name)) continue;
      if (!/^[a-z0-9]{1,50}$/.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'not a CloudEvents attribute: extension names are lower-case letters and digits',
        });
      } else if (!['string', 'number', 'boolean'].includes(typeof value) && value !== null) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'an extension attribute is a string, number or boolean',
        });
      }
    }
  })
  .meta({ id: 'CloudEvent', description: 'A CloudEvents 1.0 event in structured JSON mode.' });

export type CloudEventEnvelope = z.infer<typeof cloudEventEnvelopeSchema>;
