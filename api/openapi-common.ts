/** Building blocks shared by the OpenAPI path modules: problems, headers, links, JSON bodies. */
import { z } from 'zod';
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN } from './idempotency';
import { CORRELATION_HEADER } from './ingest';

export const json = (schema: z.ZodType) => ({ 'application/json': { schema } });

// ---- errors -------------------------------------------------------------------------------------

export const problemSchema = z
  .object({
    type: z.string().meta({ description: 'A relative URI naming the kind of problem: /problems/<slug>.' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z
      .array(
        z.object({
          path: z.string().meta({ description: 'The failing field, e.g. data.lines[0].quantity.' }),
          message: z.string(),
        }),
      )
      .optional()
      .meta({ description: 'Every failing field (validation errors only).' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

// ---- headers ------------------------------------------------------------------------------------

/** The request header of every command route (the routes wrapped in `command(...)`). */
export const idempotencyHeaders = z.object({
  [IDEMPOTENCY_HEADER]: z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN)
    .optional()
    .meta({
      description:
        'Optional. 1 to 255 visible ASCII characters (a UUID, say). The same key with the same request ' +
        '(method, path with query, body) answers the first response again, with `Idempotent-Replayed: true`; ' +
        'with a different request 422; while the first request is still running 409 with Retry-After. Keys ' +
        'are kept IDEMPOTENCY_KEY_TTL_HOURS (default 24 h); a 5xx answer is not kept, so a retry runs again.',
      example: '5b0c7a9e-2f7e-4b4e-9d0e-8f1a6f3c2d11',
    }),
});

export const masterDataHeaders = idempotencyHeaders.extend({
  [CORRELATION_HEADER]: z
    .string()
    .min(1)
    .optional()
    .meta({
      description:
        'Optional business flow id stored as the upsert event’s correlationid (first 200 characters); ' +
        'defaults to the event id.',
    }),
});

export const replayedHeader = z
  .literal('true')
  .optional()
  .meta({ description: 'Present when this is the stored answer to an earlier request with the same key.' });

export const commandResponseHeaders = z.object({ 'Idempotent-Replayed': replayedHeader });

export const locationHeaders = (what: string) =>
  z.object({
    Location: z.string().meta({ description: what }),
    'Idempotent-Replayed': replayedHeader,
  });

export const problem = (description: string, headers?: z.ZodObject) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: problemSchema } },
});

/** The problems every command route (Idempotency-Key) can answer besides its own. */
export const commandProblems = {
  409: problem(
    'A request with this Idempotency-Key is still running; retry after the Retry-After seconds.',
    z.object({ 'Retry-After': z.string().meta({ description: 'Seconds to wait.' }) }),
  ),
  413: problem('Body too large.'),
};

// ---- workflows ----------------------------------------------------------------------------------

export const workflowRefSchema = z
  .object({
    id: z.string(),
    runId: z.string().nullable(),
    status: z.string().meta({
      description: "Temporal's execution status, NOT_FOUND, or UNKNOWN when Temporal did not answer.",
    }),
  })
  .meta({ id: 'WorkflowRef' });
