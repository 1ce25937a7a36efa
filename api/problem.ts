/** RFC 9457 problem+json answers: one shape for every error the API returns. */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';

export interface FieldError {
  path: string;
  message: string;
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = 'Problem';
  }

  toJSON(): Record<string, unknown> {
    return {
      type: `/problems/${this.slug}`,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extra,
    };
  }
}

/** `data.lines[0].quantity` from zod's ['data', 'lines', 0, 'quantity']. */
export function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

export function zodFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((i) => ({ path: fieldPath(prefix, i.path), message: i.message }));
}

export function validationProblem(errors: FieldError[], detail = 'The request has invalid fields.'): Problem {
  return new Problem(400, 'validation-error', 'Validation failed', detail, errors);
}

/** `value` parsed by `schema`, or a 400 naming every failing field (under `prefix`). */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationProblem(zodFieldErrors(parsed.error, prefix));
  return parsed.data;
}

/** The path parameter `name` parsed by `schema`; a 400 names the parameter. */
export function pathParam<T>(req: Request, name: string, schema: z.ZodType<T>): T {
  return parseOr400(schema, req.params[name], name);
}

/** 415 unless the request's Content-Type is one of `types`. */
export function requireContentType(req: Request, types: string[]): void {
  if (!req.is(types)) {
    throw new Problem(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      `Send ${types.join(' or ')}; got ${req.get('content-type') ?? 'no Content-Type'}.`,
    );
  }
}

/** /readyz: 200 with every check when all pass, else 503 problem+json naming each failing one. */
export function sendReadiness(res: Response, checks: Record<string, { ok: boolean; detail?: string }>): void {
  const failing = Object.entries(checks)
    .filter(([, c]) => !c.ok)
    .map(([name, c]) => `${name}: ${c.detail ?? 'failed'}`);
  if (failing.length === 0) {
    res.json({ status: 'ready', checks });
    return;
  }
  sendProblem(res, new Problem(503, 'not-ready', 'Not ready', failing.join('; '), undefined, { checks }));
}

export function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem.toJSON()));
}

/** Unknown routes answer 404 problem+json. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, new Problem(404, 'not-found', 'Not found', `No route for ${req.method} ${req.path}`));
};

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/** Maps thrown errors (ours and body-parser's) to problem+json; anything unexpected is a 500. */
export function errorHandler(onUnexpected: (err: unknown) => void): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof Problem) return sendProblem(res, err);
    const e = err as BodyParserError;
    if (e?.type === 'entity.parse.failed') {
      return sendProblem(
        res,
        validationProblem(
          [{ path: '(body)', message: `not valid JSON: ${e.message}` }],
          'The body is not valid JSON.',
        ),
      );
    }
    if (e?.type === 'entity.too.large') {
      return sendProblem(
        res,
        new Problem(
          413,
          'body-too-large',
          'Body too large',
          `The body exceeds the limit of ${e.limit} bytes.`,
        ),
      );
    }
    if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
      return sendProblem(
        res,
        new Problem(415, 'unsupported-media-type', 'Unsupported media type', e.message),
      );
    }
    onUnexpected(err);
    sendProblem(res, new Problem(500, 'internal-error', 'Internal error', 'The server failed to answer.'));
  };
}
