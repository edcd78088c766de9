import { defineConfig } from 'drizzle-kit';

// Only used to generate migrations from the schema; the app applies them itself.
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/db/src/schema/index.ts',
  out: './packages/db/migrations',
  casing: 'snake_case',
});
