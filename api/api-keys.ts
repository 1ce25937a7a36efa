/**
 * API keys over REST (scope admin): create (the key is answered once), list, read, revoke. No
 * answer ever carries a stored key's secret or hash; `npm run keys` does the same from a shell.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { apiKeyView, createApiKey, findApiKey, listApiKeys, revokeApiKey } from '../db/queries/api-keys';
import type { ApiKeyRow } from '../db/schema';
import { SCOPES } from '../domain/access';
import type { AppDeps } from './app';
import { command } from './idempotency';
import { parseOr400, pathParam, Problem, requireContentType } from './problem';

export const apiKeyRequestSchema = z
  .object({
    name: z.string().trim().min(1).max(200).meta({ description: 'Who or what uses the key.' }),
    scopes: z
      .array(z.enum(SCOPES))
      .min(1)
      .max(SCOPES.length)
      .refine((s) => new Set(s).size === s.length, 'each scope at most once')
      .meta({ description: 'What the key may do; admin implies every scope.' }),
  })
  .strict();

export const apiKeyIdSchema = z.string().regex(/^[a-z0-9]{8,32}$/, 'an API key id (8 to 32 of a-z, 0-9)');

const keyPath = (id: string) => `/v1/api-keys/${id}`;
const view = (row: ApiKeyRow) => ({ ...apiKeyView(row), links: { self: keyPath(row.id) } });

export function apiKeysRouter(deps: AppDeps): Router {
  const router = Router();

  async function load(req: Request): Promise<ApiKeyRow> {
    const id = pathParam(req, 'id', apiKeyIdSchema);
    const row = await findApiKey(deps.db, id);
    if (!row) throw new Problem(404, 'not-found', 'API key not found', `No API key ${id}.`);
    return row;
  }

  /** Creates a key; the answer holds the key itself, the only time it is shown. */
  router.post(
    '/v1/api-keys',
    command(
      deps,
      'POST /v1/api-keys',
      async (req) => {
        requireContentType(req, ['application/json']);
        const input = parseOr400(apiKeyRequestSchema, req.body);
        const { row, key } = await createApiKey(deps.db, input);
        deps.logger.info({ apiKeyId: row.id, name: row.name, scopes: row.scopes }, 'api key created');
        return { status: 201, body: { ...view(row), key }, headers: { Location: keyPath(row.id) } };
      },
      // a replay of the creation answers the key without its secret, which is kept nowhere
      {
        stored: (response) => {
          const { key: _shownOnce, ...rest } = response.body as Record<string, unknown>;
          return { ...response, body: rest };
        },
      },
    ),
  );

  /** Every key, newest last; never a secret. */
  router.get('/v1/api-keys', async (_req, res) => {
    res.json({ items: (await listApiKeys(deps.db)).map(view), nextCursor: null });
  });

  router.get('/v1/api-keys/:id', async (req, res) => {
    res.json(view(await load(req)));
  });

  /** Revokes a key: from now on it answers 401. Revoking it again changes nothing. */
  router.delete('/v1/api-keys/:id', async (req, res) => {
    const row = await load(req);
    const revoked = (await revokeApiKey(deps.db, row.id)) as ApiKeyRow;
    deps.logger.info({ apiKeyId: row.id, name: row.name }, 'api key revoked');
    res.json(view(revoked));
  });

  return router;
}
