import { sql } from 'drizzle-orm';
import { AUTH_ROLE, assertTenantId, membershipSql, RUNTIME_ROLE } from './roles.ts';
import type { AnyDrizzle, Membership, Tx } from './types.ts';

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
  fn: (tx: Tx, member: Membership | null) => Promise<T>,
  memberId?: string,
): Promise<T> {
  assertTenantId(tenantId);
  return scoped(db, RUNTIME_ROLE, tenantId, async (tx) => {
    if (!memberId) return fn(tx, null);
    const result = await tx.execute(sql.raw(membershipSql(tenantId, memberId)));
    const row = (
      result as unknown as { rows: { role: Membership['role']; mfa_blocked: boolean }[] }
    ).rows[0];
    return fn(tx, row ? { role: row.role, mfaBlocked: row.mfa_blocked === true } : null);
  });
}

export function withAuthOn<T>(db: AnyDrizzle, fn: (tx: Tx) => Promise<T>) {
  return scoped(db, AUTH_ROLE, '', fn);
}

/** Runtime role with no tenant: sees no tenant rows; used for readiness checks. */
export function withRuntimeOn<T>(db: AnyDrizzle, fn: (tx: Tx) => Promise<T>) {
  return scoped(db, RUNTIME_ROLE, '', fn);
}
