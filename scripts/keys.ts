/**
 * `npm run keys -- <command>`: API keys from a shell, against DATABASE_URL or the embedded Postgres
 * (the running one of `npm start`, else started for the command).
 *
 *   create --name <name> --scopes <scope,...> [--json]   prints the key, the only time it is shown
 *   list [--json]                                        every key, never a secret
 *   revoke <id>                                          the key answers 401 from now on
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../lib/config';
import { createDatabase } from '../db/client';
import { embeddedRunning, embeddedUrl, startEmbeddedPostgres, type PostgresHandle } from '../db/embedded';
import { runMigrations } from '../db/migrate';
import { apiKeyView, createApiKey, findApiKey, listApiKeys, revokeApiKey } from '../db/queries/api-keys';
import { SCOPES, type Scope } from '../domain/access';

const USAGE = `usage:
  npm run keys -- create --name <name> --scopes <scope,...> [--json]
  npm run keys -- list [--json]
  npm run keys -- revoke <id>
scopes: ${SCOPES.join(', ')} (admin implies every scope)`;

class UsageError extends Error {}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: {
      name: { type: 'string' },
      scopes: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  const [commandName, ...rest] = positionals;
  if (values.help || !commandName) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (!['create', 'list', 'revoke'].includes(commandName))
    throw new UsageError(`unknown command ${commandName}`);

  let scopes: Scope[] = [];
  let name = '';
  if (commandName === 'create') {
    name = (values.name ?? '').trim();
    if (!name || name.length > 200) throw new UsageError('--name: 1 to 200 characters');
    const given = (values.scopes ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = given.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (!given.length || unknown.length) {
      throw new UsageError(
        `--scopes: one or more of ${SCOPES.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`,
      );
    }
    scopes = given as Scope[];
  }
  if (commandName === 'revoke' && rest.length !== 1) throw new UsageError('revoke takes one key id');

  const config = loadConfigOrExit();
  let pg: PostgresHandle | undefined;
  let url = config.DATABASE_URL;
  if (!url) {
    const dataDir = path.resolve(__dirname, '..', config.DATA_DIR, 'postgres');
    if (embeddedRunning(dataDir)) {
      url = embeddedUrl(config.EMBEDDED_PG_PORT, 'erp');
    } else {
      pg = await startEmbeddedPostgres({
        dataDir,
        port: config.EMBEDDED_PG_PORT,
        database: 'erp',
        persistent: true,
      });
      url = pg.url;
      await runMigrations(url);
    }
  }
  const database = createDatabase(url, { max: 1, applicationName: 'erp-keys' });
  try {
    const { db } = database;
    if (commandName === 'create') {
      const { row, key } = await createApiKey(db, { name, scopes });
      if (values.json) {
        console.log(JSON.stringify({ ...apiKeyView(row), key }));
      } else {
        console.log(`Created API key ${row.id} "${row.name}" with scopes ${row.scopes.join(', ')}.`);
        console.log('The key (shown only now; send it as Authorization: Bearer <key>):');
        console.log(key);
      }
      return 0;
    }
    if (commandName === 'list') {
      const views = (await listApiKeys(db)).map(apiKeyView);
      if (values.json) {
        console.log(JSON.stringify(views));
      } else if (!views.length) {
        console.log('No API keys.');
      } else {
        for (const v of views) {
          console.log(
            [
              v.id,
              v.status.padEnd(7),
              `"${v.name}"`,
              v.scopes.join(','),
              `created ${v.createdAt}`,
              `last used ${v.lastUsedAt ?? 'never'}`,
              ...(v.revokedAt ? [`revoked ${v.revokedAt}`] : []),
            ].join('  '),
          );
        }
      }
      return 0;
    }
    const id = rest[0] as string;
    if (!(await findApiKey(db, id))) {
      console.error(`No API key ${id}.`);
      return 1;
    }
    const row = await revokeApiKey(db, id);
    console.log(`Revoked API key ${id} (at ${row?.revokedAt?.toISOString()}).`);
    return 0;
  } finally {
    await database.close();
    await pg?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(err as Error).message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);
