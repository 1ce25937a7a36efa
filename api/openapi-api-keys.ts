/**
 * OpenAPI of access control: the API key routes, and the security of every operation (the bearer
 * scheme with the scope the route needs from domain/access.ts, and its 401, 403 and 429 answers).
 */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { requiredScope, SCOPE_DESCRIPTIONS, SCOPES } from '../domain/access';
import { apiKeyIdSchema, apiKeyRequestSchema } from './api-keys';
import {
  commandProblems,
  commandResponseHeaders,
  idempotencyHeaders,
  json,
  locationHeaders,
  problem,
} from './openapi-common';

const TAG = 'system';

const apiKeySchema = z
  .object({
    id: z.string().meta({ description: 'The public key id, the `<id>` of `erp_<id>_<secret>`.' }),
    prefix: z.string().meta({ description: '`erp_<id>_`: how the key begins, to recognise it.' }),
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    status: z.enum(['active', 'revoked']),
    createdAt: z.string(),
    lastUsedAt: z
      .string()
      .nullable()
      .meta({ description: 'Last successful use (to the minute); null if never used.' }),
    revokedAt: z.string().nullable(),
    links: z.object({ self: z.string() }),
  })
  .meta({ id: 'ApiKey', description: 'An API key, never with its secret (only a hash of it is stored).' });

const createdSchema = apiKeySchema
  .extend({
    key: z
      .string()
      .optional()
      .meta({
        description:
          'The key, `erp_<id>_<secret>`: send it as `Authorization: Bearer <key>`. Shown only in this answer; ' +
          'an Idempotency-Key replay answers the key without it.',
      }),
  })
  .meta({ id: 'ApiKeyCreated' });

const idParams = z.object({ id: apiKeyIdSchema });

export function registerApiKeyPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/api-keys',
    tags: [TAG],
    summary: 'Create an API key; the answer shows the key once.',
    description: `Scopes: ${SCOPES.map((s) => `\`${s}\` (${SCOPE_DESCRIPTIONS[s]})`).join('; ')}.`,
    request: { headers: idempotencyHeaders, body: { required: true, content: json(apiKeyRequestSchema) } },
    responses: {
      201: { description: 'Created.', headers: locationHeaders('The key.'), content: json(createdSchema) },
      400: problem('Invalid name or scopes; `errors` names each.', commandResponseHeaders),
      ...commandProblems,
      415: problem('Not application/json.', commandResponseHeaders),
      422: problem('Idempotency-Key already used for a different request.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/api-keys',
    tags: [TAG],
    summary: 'Every API key (active and revoked), without secrets.',
    responses: {
      200: {
        description: 'Oldest first.',
        content: json(z.object({ items: z.array(apiKeySchema), nextCursor: z.string().nullable() })),
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/api-keys/{id}',
    tags: [TAG],
    summary: 'One API key, without its secret.',
    request: { params: idParams },
    responses: {
      200: { description: 'The key.', content: json(apiKeySchema) },
      400: problem('Invalid key id.'),
      404: problem('No such key.'),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/api-keys/{id}',
    tags: [TAG],
    summary: 'Revoke an API key: from now on it answers 401.',
    request: { params: idParams },
    responses: {
      200: { description: 'The key, revoked (again: unchanged).', content: json(apiKeySchema) },
      400: problem('Invalid key id.'),
      404: problem('No such key.'),
    },
  });
}

type Json = Record<string, unknown>;
const problemRef = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

/**
 * Declares the security schemes and, on every operation, the scope it needs (OpenAPI 3.1 allows
 * role names in a security requirement) and its 401, 403 and 429 answers; public ones get `[]`.
 */
export function withSecurity<D extends { paths?: unknown; components?: unknown }>(doc: D): D {
  const components = (doc.components ?? {}) as Json;
  components.securitySchemes = {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      description:
        'An API key `erp_<id>_<secret>` (POST /v1/api-keys or `npm run keys -- create`), as ' +
        '`Authorization: Bearer <key>`. Unused when the server runs with AUTH_MODE=off.',
    },
    apiKeyHeader: {
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
      description: 'The same key, in X-API-Key.',
    },
  };
  (doc as Json).components = components;
  const info = (doc as Json).info as Json | undefined;
  if (info) {
    info.description =
      `${String(info.description ?? '')} Every route but /healthz, /readyz, /metrics and this document ` +
      'needs an API key (`Authorization: Bearer <key>` or `X-API-Key`) with the scope its security names ' +
      '(`admin` implies every scope): `401` without a valid key, `403` naming the scope needed, `429` with ' +
      '`Retry-After` over the rate limit.';
  }
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item) as [string, Json][]) {
      if (!['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue;
      const scope = requiredScope(method, path) ?? 'admin';
      if (scope === 'public') {
        op.security = [];
        continue;
      }
      op.security = [{ bearerAuth: [scope] }, { apiKeyHeader: [scope] }];
      const responses = op.responses as Json;
      responses['401'] ??= {
        description: 'No API key, or an unknown or revoked one (with `WWW-Authenticate: Bearer`).',
        content: problemRef,
      };
      responses['403'] ??= {
        description: `The key lacks the scope ${scope}; \`requiredScope\` names it.`,
        content: problemRef,
      };
      responses['429'] ??= {
        description: 'The key made more requests than its rate limit; retry after `Retry-After` seconds.',
        headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait.' } },
        content: problemRef,
      };
    }
  }
  return doc;
}
