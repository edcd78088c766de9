import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { apiKeyByHashIn } from '../api-key.ts';
import { purgeAuditLogsIn, purgeOrNull } from '../audit-purge.ts';
import { claimJobsIn } from '../jobs/claim.ts';
import { readMigrationStatus, runMigrations } from '../migrator.ts';
import { documentsToReembedIn } from '../reembed.ts';
import { AUTH_ROLE, assertTenantId, RUNTIME_ROLE } from '../roles.ts';
import { ssoByDomainIn, ssoConnectionIn } from '../sso.ts';
import type { AnyDrizzle, Database } from '../types.ts';
import { widgetByKeyIn } from '../widget-key.ts';
import { pgScopedTransaction } from './pg-transaction.ts';

export type PostgresOptions = { url: string; poolSize?: number };

/** PostgreSQL 15+ (directly or through PgBouncer in transaction mode) via node-postgres. */
export function openPostgres(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // Fail fast instead of hanging a request when the server is gone.
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection (server restart) must not crash the process;
  // the pool drops it and the next checkout reconnects.
  pool.on('error', () => {});
  // No relational schema (see the PGlite driver): cheaper transactions.
  const db = drizzle(pool, { casing: 'snake_case' }) as unknown as AnyDrizzle;
  return {
    driver: 'postgres',
    withTenant: async (tenantId, fn, options) => {
      assertTenantId(tenantId);
      return pgScopedTransaction(pool, RUNTIME_ROLE, tenantId, fn, options?.memberId);
    },
    withAuth: (fn) => pgScopedTransaction(pool, AUTH_ROLE, '', fn),
    claimJobs: (queue, o) =>
      pgScopedTransaction(pool, RUNTIME_ROLE, '', (tx) => claimJobsIn(tx, queue, o)),
    documentsToReembed: (model) =>
      pgScopedTransaction(pool, RUNTIME_ROLE, '', (tx) => documentsToReembedIn(tx, model)),
    widgetByKey: (key) =>
      pgScopedTransaction(pool, RUNTIME_ROLE, '', (tx) => widgetByKeyIn(tx, key)),
    apiKeyByHash: (hash) =>
      pgScopedTransaction(pool, RUNTIME_ROLE, '', (tx) => apiKeyByHashIn(tx, hash)),
    ssoByDomain: (domain) =>
      pgScopedTransaction(pool, RUNTIME_ROLE, '', (tx) => ssoByDomainIn(tx, domain)),
    ssoConnection: (id) =>
      pgScopedTransaction(pool, RUNTIME_ROLE, '', (tx) => ssoConnectionIn(tx, id)),
    purgeAuditLogs: (before) =>
      purgeOrNull(() =>
        pgScopedTransaction(pool, RUNTIME_ROLE, '', (tx) => purgeAuditLogsIn(tx, before)),
      ),
    migrate: () => runMigrations(db),
    migrationStatus: () => readMigrationStatus(db),
    ping: async () => {
      await pool.query('select 1');
    },
    close: () => pool.end(),
  };
}
