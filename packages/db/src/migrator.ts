import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { RUNTIME_ROLE } from './roles.ts';
import { withRuntimeOn } from './scoped.ts';
import type { AnyDrizzle, MigrationStatus } from './types.ts';

export const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));

// Any constant works; it only has to be the same for every process migrating this database.
const MIGRATION_LOCK = 7_423_118_001;

type Row = Record<string, unknown>;
const rowsOf = (result: unknown): Row[] => (result as { rows: Row[] }).rows;

/**
 * Applies pending migrations in one transaction holding a transaction-scoped advisory lock,
 * so concurrent starters serialise (the second finds nothing to do) and it works through
 * PgBouncer in transaction mode. Bookkeeping matches drizzle-kit's table, so either tool
 * sees the same state.
 */
export async function runMigrations(db: AnyDrizzle): Promise<{ applied: number }> {
  const migrations = readMigrationFiles({ migrationsFolder });
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.execute(sql`create schema if not exists drizzle`);
    await tx.execute(sql`create table if not exists drizzle.__drizzle_migrations (
      id serial primary key, hash text not null, created_at bigint)`);
    const done = new Set(
      rowsOf(await tx.execute(sql`select hash from drizzle.__drizzle_migrations`)).map((r) =>
        String(r.hash),
      ),
    );
    let applied = 0;
    for (const m of migrations) {
      if (done.has(m.hash)) continue;
      for (const stmt of m.sql) if (stmt.trim()) await tx.execute(sql.raw(stmt));
      await tx.execute(
        sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${m.hash}, ${m.folderMillis})`,
      );
      applied++;
    }
    // Lets the runtime role answer /ready without owner rights.
    await tx.execute(sql.raw(`grant usage on schema drizzle to ${RUNTIME_ROLE}`));
    await tx.execute(sql.raw(`grant select on drizzle.__drizzle_migrations to ${RUNTIME_ROLE}`));
    return { applied };
  });
}

/** The shipped migrations' hashes; the files do not change while the process runs. */
let shipped: string[] | undefined;

export async function readMigrationStatus(db: AnyDrizzle): Promise<MigrationStatus> {
  shipped ??= readMigrationFiles({ migrationsFolder }).map((m) => m.hash);
  const expected = shipped;
  try {
    const rows = await withRuntimeOn(db, (tx) =>
      tx.execute(sql`select hash from drizzle.__drizzle_migrations`),
    );
    const have = new Set(rowsOf(rows).map((r) => String(r.hash)));
    const applied = expected.filter((h) => have.has(h)).length;
    return { applied, expected: expected.length, current: applied === expected.length };
  } catch {
    // No bookkeeping table or roles yet: nothing applied.
    return { applied: 0, expected: expected.length, current: false };
  }
}
