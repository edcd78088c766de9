import { sql } from 'drizzle-orm';
import { AUTH_ROLE, assertTenantId, RUNTIME_ROLE } from './roles.ts';
import type { AnyDrizzle, Tx } from './types.ts';

/**
 * Opens a transaction, drops to a least-privilege role and pins the tenant, all with
 * transaction-local settings so nothing leaks to the next user of a pooled connection
 * (safe behind PgBouncer in transaction mode).
 */
async function scoped<T>(
  db: AnyDrizzle,
  role: string,
  tenantId: string,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select set_config('role', ${role}, true), set_config('app.current_tenant_id', ${tenantId}, true)`,
    );
    return fn(tx as Tx);
  });
}

export async function withTenantOn<T>(
  db: AnyDrizzle,
  tenantId: string,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  assertTenantId(tenantId);
  return scoped(db, RUNTIME_ROLE, tenantId, fn);
}

export function withAuthOn<T>(db: AnyDrizzle, fn: (tx: Tx) => Promise<T>) {
  return scoped(db, AUTH_ROLE, '', fn);
}

/** Runtime role with no tenant: sees no tenant rows; used for readiness checks. */
export function withRuntimeOn<T>(db: AnyDrizzle, fn: (tx: Tx) => Promise<T>) {
  return scoped(db, RUNTIME_ROLE, '', fn);
}
