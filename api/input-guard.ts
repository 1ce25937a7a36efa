/**
 * Input no route should see: text Postgres cannot store (NUL characters, unpaired UTF-16
 * surrogates, from `\u0000` or `\ud800` in JSON or `%00` in a URL), JSON nested deeper than any
 * schema, and bodies that are not UTF-8. Each is a 400 naming where it is, before any route runs.
 */
import { isUtf8 } from 'node:buffer';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import { fieldPath, INVALID_UTF8, validationProblem, type FieldError } from './problem';

/** No request body the API takes is nested this deep; deeper JSON is refused before validation. */
export const MAX_JSON_DEPTH = 32;
/** At most this many bad places are named in one answer. */
const MAX_REPORTED = 10;

// a NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function textProblem(value: string): string | null {
  if (!UNSTORABLE.test(value)) return null;
  return value.includes('\0')
    ? 'contains a NUL character (\\u0000), which text cannot hold'
    : 'contains an unpaired UTF-16 surrogate, which is not valid Unicode';
}

/** Bad strings (and keys) and too-deep nesting in a parsed JSON value, with their paths. */
export function findUnstorable(value: unknown, prefix = ''): FieldError[] {
  const errors: FieldError[] = [];
  // iterative, so a body nested thousands deep costs no stack
  const stack: { value: unknown; path: PropertyKey[]; depth: number }[] = [{ value, path: [], depth: 0 }];
  while (stack.length > 0 && errors.length < MAX_REPORTED) {
    const { value: v, path, depth } = stack.pop() as (typeof stack)[number];
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) errors.push({ path: fieldPath(prefix, path), message: problem });
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_JSON_DEPTH) {
      errors.push({
        path: fieldPath(prefix, path),
        message: `nested deeper than ${MAX_JSON_DEPTH} levels`,
      });
      continue;
    }
    const entries: [PropertyKey, unknown][] = Array.isArray(v)
      ? v.map((item, index) => [index, item])
      : Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i] as [PropertyKey, unknown];
      if (typeof key === 'string') {
        const problem = textProblem(key);
        if (problem)
          errors.push({ path: fieldPath(prefix, [...path, key]), message: `field name ${problem}` });
      }
      stack.push({ value: item, path: [...path, key], depth: depth + 1 });
    }
  }
  return errors.slice(0, MAX_REPORTED);
}

/** express.json's `verify`: a body that is not UTF-8 is refused rather than decoded with U+FFFD. */
export function verifyUtf8(_req: unknown, _res: unknown, body: Buffer, encoding: string): void {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(body)) {
    throw Object.assign(new Error('not valid UTF-8'), { type: INVALID_UTF8, status: 400 });
  }
}

/** Checks the path, the query and the parsed JSON body; runs after express.json. */
export const inputGuard: RequestHandler = (req, _res, next) => {
  const errors: FieldError[] = [];
  if (/%00/.test(req.path)) errors.push({ path: '(path)', message: 'contains a NUL character (%00)' });
  for (const [name, value] of Object.entries(req.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) {
      const problem = typeof v === 'string' ? textProblem(v) : null;
      if (problem) errors.push({ path: name, message: problem });
    }
  }
  if (req.body !== undefined) errors.push(...findUnstorable(req.body));
  if (errors.length > 0) {
    next(
      validationProblem(
        errors.slice(0, MAX_REPORTED),
        'The request holds text or nesting the API cannot store.',
      ),
    );
    return;
  }
  next();
};

const CLIENT_ERROR_TITLES: Record<number, string> = {
  400: 'Bad request',
  408: 'Request timeout',
  431: 'Request header fields too large',
};

/**
 * The HTTP server's `clientError` handler: a request Node refuses before Express sees it (headers
 * over the size limit, malformed HTTP) is answered with problem+json too, then the connection closes.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // the client is gone: nothing to answer (as Node's documentation advises)
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const title = CLIENT_ERROR_TITLES[status] as string;
  const body = JSON.stringify({
    type: '/problems/bad-request',
    title,
    status,
    detail:
      status === 431
        ? 'The request line and headers exceed the server’s limit.'
        : `The request could not be read as HTTP (${err.code ?? err.message}).`,
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
