/** Applies the committed drizzle-kit migrations. */
import path from 'node:path';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { createDatabase } from './client';

export const MIGRATIONS_FOLDER = path.join(__dirname, 'migrations');

export async function runMigrations(url: string): Promise<void> {
  const database = createDatabase(url, { max: 1, applicationName: 'erp-migrate' });
  try {
    await migrate(database.db, { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await database.close();
  }
}
