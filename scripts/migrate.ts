/** `npm run db:migrate`: applies the migrations to DATABASE_URL, or to the embedded Postgres. */
import path from 'node:path';
import { loadConfigOrExit } from '../lib/config';
import { startEmbeddedPostgres } from '../db/embedded';
import { runMigrations } from '../db/migrate';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (config.DATABASE_URL) {
    await runMigrations(config.DATABASE_URL);
  } else {
    const pg = await startEmbeddedPostgres({
      dataDir: path.resolve(__dirname, '..', config.DATA_DIR, 'postgres'),
      port: config.EMBEDDED_PG_PORT,
      database: 'erp',
      persistent: true,
    });
    try {
      await runMigrations(pg.url);
    } finally {
      await pg.stop();
    }
  }
  console.log('migrations applied');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
