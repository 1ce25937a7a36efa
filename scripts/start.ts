/**
 * `npm start`: the whole system on this machine. Postgres (DATABASE_URL, or an embedded one),
 * migrations, a Temporal dev server (TEMPORAL_ADDRESS, or the `temporal` binary with a SQLite
 * file and its Web UI), a worker and the API. Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { childEnv, loadConfigOrExit, temporalUiUrl } from '../lib/config';
import { startEmbeddedPostgres, type PostgresHandle } from '../db/embedded';
import { runMigrations } from '../db/migrate';
import { createDatabase } from '../db/client';
import { ensureDevKey, type DevKey } from '../lib/dev-key';
import { startDevServer, type DevServer } from './lib/temporal-dev-server';

const ROOT = path.resolve(__dirname, '..');
const say = (line: string) => console.log(`[start] ${line}`);
/** A path as the user types it from here: relative below the working directory, else absolute. */
const shownPath = (file: string) => {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
};

async function waitForHttp(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && alive()) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const dataDir = path.resolve(ROOT, config.DATA_DIR);
  const children: { name: string; proc: ChildProcess }[] = [];
  let pg: PostgresHandle | undefined;
  let temporal: DevServer | undefined;
  let stopping = false;

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping ...');
    // the native teardown below holds no event-loop handle; keep the process alive until it is done
    const keepAlive = setInterval(() => undefined, 1000);
    await Promise.all(
      children.map(
        ({ proc }) =>
          new Promise<void>((resolve) => {
            if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
            const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
            proc.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            proc.kill('SIGTERM');
          }),
      ),
    );
    await temporal?.stop().catch((err: unknown) => say(`temporal stop: ${(err as Error).message}`));
    await pg?.stop().catch((err: unknown) => say(`postgres stop: ${(err as Error).message}`));
    clearInterval(keepAlive);
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    let databaseUrl = config.DATABASE_URL;
    if (databaseUrl) {
      say('Postgres: DATABASE_URL');
    } else {
      say(
        `Postgres: embedded, port ${config.EMBEDDED_PG_PORT}, data in ${path.relative(ROOT, dataDir)}/postgres`,
      );
      pg = await startEmbeddedPostgres({
        dataDir: path.join(dataDir, 'postgres'),
        port: config.EMBEDDED_PG_PORT,
        database: 'erp',
        persistent: true,
      });
      databaseUrl = pg.url;
    }
    await runMigrations(databaseUrl);
    say('migrations applied');

    // a development API key, so the first run just works (never in production)
    let devKey: DevKey = { kind: 'none', reason: 'AUTH_MODE=off: no key needed' };
    if (config.AUTH_MODE === 'keys' && config.NODE_ENV !== 'production') {
      const keyDb = createDatabase(databaseUrl, { max: 1, applicationName: 'erp-start' });
      try {
        devKey = await ensureDevKey(keyDb.db, dataDir);
      } finally {
        await keyDb.close();
      }
      if (devKey.kind === 'created')
        say(`development API key created (all scopes), kept in ${shownPath(devKey.file)}`);
    } else if (config.AUTH_MODE === 'keys') {
      devKey = { kind: 'none', reason: 'NODE_ENV=production: create keys with npm run keys' };
    }

    let temporalAddress = config.TEMPORAL_ADDRESS;
    let uiUrl = temporalUiUrl(config);
    if (temporalAddress) {
      say(`Temporal: TEMPORAL_ADDRESS ${temporalAddress}`);
    } else {
      temporal = await startDevServer({
        config,
        port: config.TEMPORAL_DEV_PORT,
        uiPort: config.TEMPORAL_DEV_UI_PORT,
        dbFilename: path.join(dataDir, 'temporal.sqlite'),
        namespace: config.TEMPORAL_NAMESPACE,
        log: say,
      });
      temporalAddress = temporal.address;
      uiUrl = config.TEMPORAL_UI_URL ?? temporal.uiUrl ?? uiUrl;
      say(
        `Temporal: dev server on ${temporalAddress}, history in ${path.relative(ROOT, dataDir)}/temporal.sqlite`,
      );
    }

    const env = childEnv({
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_UI_URL: uiUrl,
    });
    for (const [name, entry] of [
      ['worker', 'workers/main.ts'],
      ['api', 'api/server.ts'],
    ] as const) {
      const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
        cwd: ROOT,
        env,
        stdio: 'inherit',
      });
      proc.on('exit', (code, signal) => {
        if (stopping) return;
        say(`${name} exited (${signal ?? code}); stopping the rest`);
        void stop(1);
      });
      children.push({ name, proc });
    }
    const apiUrl = `http://${config.API_HOST === '0.0.0.0' ? 'localhost' : config.API_HOST}:${config.API_PORT}`;
    const healthHost = config.WORKER_HEALTH_HOST === '0.0.0.0' ? 'localhost' : config.WORKER_HEALTH_HOST;
    const workerUrl = `http://${healthHost}:${config.WORKER_HEALTH_PORT}`;
    await waitForHttp(`${apiUrl}/readyz`, 90_000, () => !stopping);
    await waitForHttp(`${workerUrl}/readyz`, 90_000, () => !stopping);
    console.log(
      [
        '',
        'The ERP is up:',
        `  API           ${apiUrl}`,
        `  API docs      ${apiUrl}/docs   (OpenAPI: ${apiUrl}/openapi.json)`,
        `  Console       ${apiUrl}/console/   (paste the API key below)`,
        `  Temporal UI   ${uiUrl}`,
        `  Temporal      ${temporalAddress} (namespace ${config.TEMPORAL_NAMESPACE})`,
        `  Worker        ${workerUrl}/readyz, task queues ${config.WORKER_DOMAINS.map((d) => `${config.TEMPORAL_TASK_QUEUE}-${d}`).join(', ')}`,
        `  Metrics       ${apiUrl}/metrics and ${workerUrl}/metrics`,
        `  Postgres      ${pg ? `embedded on port ${config.EMBEDDED_PG_PORT}` : 'DATABASE_URL'}`,
        ...(devKey.kind === 'none'
          ? [`  API key       none printed: ${devKey.reason}`]
          : [
              `  API key       ${devKey.key}   (development key, all scopes)`,
              `                export ERP_KEY=$(cat ${shownPath(devKey.file)})`,
            ]),
        'Press Ctrl-C to stop everything.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    console.error(`[start] ${(err as Error).message}`);
    await stop(1);
  }
}

void main();
