/**
 * The real services a test run uses, started once: Postgres (DATABASE_URL, or an embedded one in a
 * temporary folder), a migrated template database every test file clones, a Temporal dev server
 * (TEMPORAL_ADDRESS, or an in-memory one), and the workflow bundle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../lib/net';
import { loadConfig, temporalUiUrl } from '../../lib/config';
import { ensureDatabase, startEmbeddedPostgres, withDatabase, type PostgresHandle } from '../../db/embedded';
import { runMigrations } from '../../db/migrate';
import { writeWorkflowBundle } from '../../workers/bundle';
import { startDevServer, type DevServer } from '../../scripts/lib/temporal-dev-server';

/** Per jest run, so two runs in one checkout do not read each other's services. */
export function contextFile(): string {
  return (
    process.env.ERP_TEST_CONTEXT_FILE ??
    path.resolve(__dirname, '..', '..', '.tmp', `test-context-${process.pid}.json`)
  );
}

export interface TestContext {
  /** A database on the test server to connect to for CREATE/DROP DATABASE. */
  adminUrl: string;
  templateDatabase: string;
  temporalAddress: string;
  namespace: string;
  uiUrl: string;
  workflowBundlePath: string;
}

export interface Infrastructure {
  context: TestContext;
  stop(): Promise<void>;
}

export { freePort };

export async function startInfrastructure(log: (line: string) => void): Promise<Infrastructure> {
  const config = loadConfig();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-test-'));
  // as root, Postgres runs as the 'postgres' user, which must be able to reach its data folder
  fs.chmodSync(scratch, 0o755);
  let pg: PostgresHandle | undefined;
  let temporal: DevServer | undefined;
  try {
    let adminUrl: string;
    if (config.DATABASE_URL) {
      adminUrl = config.DATABASE_URL;
      log('tests use Postgres at DATABASE_URL');
    } else {
      const port = await freePort();
      pg = await startEmbeddedPostgres({
        dataDir: path.join(scratch, 'pg'),
        port,
        database: 'postgres',
        persistent: false,
      });
      adminUrl = pg.url;
      log(`tests use an embedded Postgres on port ${port}`);
    }
    const templateDatabase = `erp_test_template_${process.pid}`;
    await ensureDatabase(adminUrl, templateDatabase);
    await runMigrations(withDatabase(adminUrl, templateDatabase));

    let temporalAddress: string;
    if (config.TEMPORAL_ADDRESS) {
      temporalAddress = config.TEMPORAL_ADDRESS;
      log(`tests use Temporal at TEMPORAL_ADDRESS ${temporalAddress}`);
    } else {
      temporal = await startDevServer({ config, namespace: config.TEMPORAL_NAMESPACE, log });
      temporalAddress = temporal.address;
      log(`tests use a Temporal dev server on ${temporalAddress}`);
    }

    const workflowBundlePath = path.join(scratch, 'workflow-bundle.js');
    await writeWorkflowBundle(workflowBundlePath);

    const context: TestContext = {
      adminUrl,
      templateDatabase,
      temporalAddress,
      namespace: config.TEMPORAL_NAMESPACE,
      uiUrl: temporalUiUrl(config),
      workflowBundlePath,
    };
    return {
      context,
      async stop() {
        await temporal?.stop().catch(() => undefined);
        if (!pg) {
          // an external server: drop what this run created
          const client = new Client({ connectionString: adminUrl });
          await client.connect();
          await client.query(`drop database if exists "${templateDatabase}" with (force)`);
          await client.end();
        }
        await pg?.stop().catch(() => undefined);
        fs.rmSync(scratch, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await temporal?.stop().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
    throw err;
  }
}

export function readContext(): TestContext {
  return JSON.parse(fs.readFileSync(contextFile(), 'utf8')) as TestContext;
}
