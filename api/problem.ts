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

/** One error per failing field; an unknown field is named by its own path (`data.colour`). */
export function zodFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({
          path: fieldPath(prefix, [...i.path, key]),
          message: `unknown field "${key}"`,
        }))
      : [{ path: fieldPath(prefix, i.path), message: i.message }],
  );
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
  statusCode?: number;
  limit?: number;
}

/** The `type` of the error express.json's `verify` throws for a body that is not UTF-8. */
export const INVALID_UTF8 = 'entity.encoding.invalid';

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  411: 'Length required',
  413: 'Body too large',
  415: 'Unsupported media type',
};

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
    if (e?.type === INVALID_UTF8) {
      return sendProblem(
        res,
        validationProblem([{ path: '(body)', message: e.message }], 'The body is not valid UTF-8.'),
      );
    }
    // the router's undecodable path parameter (`/v1/orders/%ff`)
    if (e instanceof URIError) {
      return sendProblem(
        res,
        validationProblem(
          [{ path: '(path)', message: e.message }],
          'The path is not valid percent-encoding.',
        ),
      );
    }
    // any other client error of the HTTP layer (a corrupt gzip body, an aborted request)
    const status = e?.status ?? e?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendProblem(
        res,
        new Problem(status, 'bad-request', STATUS_TITLES[status] ?? 'Bad request', e.message),
      );
    }
    onUnexpected(err);
    sendProblem(res, new Problem(500, 'internal-error', 'Internal error', 'The server failed to answer.'));
  };
}
