import { defineConfig } from 'drizzle-kit';

// `drizzle-kit generate` compares the schema with the committed migrations; it needs no database.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/index.ts',
  out: './db/migrations',
  casing: 'snake_case',
});
