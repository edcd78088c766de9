import { configDefaults, defineConfig } from 'vitest/config';

// The PgBouncer suite needs a PgBouncer (CI starts one and sets PGBOUNCER_URL).
const needsServices = process.env.PGBOUNCER_URL ? [] : ['**/pgbouncer.e2e.test.ts'];

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...needsServices],
    globalSetup: ['./tests/global-setup.ts'],
    pool: 'forks',
    // Each file opens its own databases; two at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
