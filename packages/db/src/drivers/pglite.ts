import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { drizzle } from 'drizzle-orm/pglite';
import lockfile from 'proper-lockfile';
import { apiKeyByHashIn } from '../api-key.ts';
import { purgeAuditLogsIn, purgeOrNull } from '../audit-purge.ts';
import { claimJobsIn } from '../jobs/claim.ts';
import { readMigrationStatus, runMigrations } from '../migrator.ts';
import { documentsToReembedIn } from '../reembed.ts';
import { withAuthOn, withRuntimeOn, withTenantOn } from '../scoped.ts';
import { ssoByDomainIn, ssoConnectionIn } from '../sso.ts';
import type { AnyDrizzle, Database } from '../types.ts';
import { widgetByKeyIn } from '../widget-key.ts';

export type PgliteOptions = {
  /** Directory for the database files; omit for an in-memory database (tests). */
  dataDir?: string;
  /** A data directory dump (from `dumpPglite`) to start from, e.g. a migrated template. */
  loadDataDir?: Blob | File;
};

/**
 * Embedded PostgreSQL (WASM) with pgvector. One process owns a data directory at a time:
 * a lock file keeps a second server from opening (and corrupting) the same files.
 */
export async function openPglite(
  options: PgliteOptions = {},
): Promise<Database & { client: PGlite }> {
  let release: (() => Promise<void>) | undefined;
  let path: string | undefined;
  if (options.dataDir) {
    path = join(options.dataDir, 'pglite');
    mkdirSync(path, { recursive: true });
    try {
      release = await lockfile.lock(path, { stale: 15_000, update: 5_000 });
    } catch {
      throw new Error(
        `The embedded database in ${options.dataDir} is in use by another process. Stop it, or set DATABASE_URL to share a PostgreSQL server.`,
      );
    }
  }
  const client = await PGlite.create({
    ...(path ? { dataDir: path } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    extensions: { vector },
  });
  // No relational schema: building its query helpers for every transaction costs more than
  // the queries; code uses the SQL-like builder only.
  const db = drizzle(client, { casing: 'snake_case' }) as unknown as AnyDrizzle;
  return {
    driver: 'pglite',
    client,
    withTenant: (tenantId, fn, options) => withTenantOn(db, tenantId, fn, options?.memberId),
    withAuth: (fn) => withAuthOn(db, fn),
    claimJobs: (queue, o) => withRuntimeOn(db, (tx) => claimJobsIn(tx, queue, o)),
    documentsToReembed: (model) => withRuntimeOn(db, (tx) => documentsToReembedIn(tx, model)),
    widgetByKey: (key) => withRuntimeOn(db, (tx) => widgetByKeyIn(tx, key)),
    apiKeyByHash: (hash) => withRuntimeOn(db, (tx) => apiKeyByHashIn(tx, hash)),
    ssoByDomain: (domain) => withRuntimeOn(db, (tx) => ssoByDomainIn(tx, domain)),
    ssoConnection: (id) => withRuntimeOn(db, (tx) => ssoConnectionIn(tx, id)),
    purgeAuditLogs: (before) =>
      purgeOrNull(() => withRuntimeOn(db, (tx) => purgeAuditLogsIn(tx, before))),
    migrate: () => runMigrations(db),
    migrationStatus: () => readMigrationStatus(db),
    ping: async () => {
      await client.query('select 1');
    },
    close: async () => {
      await client.close();
      await release?.();
    },
  };
}
