import { type AuditEntry, appendAudit, type Database } from '@platform/db';
import { sql } from 'drizzle-orm';

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/**
 * Appends an entry about a person's account (a sign-in, a failure, a lock) to the audit log of
 * every organisation they belong to: identity is global, audit logs are per tenant, and each
 * organisation's admins should see what happens to their members' accounts. Memberships are
 * read through the auth role's SECURITY DEFINER look-up; each entry is written as the runtime
 * role inside that tenant (the auth role has no grant on audit_logs). Answers how many tenants
 * got the entry.
 */
export async function auditAccountEvent(
  db: Database,
  userId: string,
  entry: AuditEntry,
): Promise<number> {
  const tenants = rowsOf<{ tenant_id: string }>(
    await db.withAuth((tx) =>
      tx.execute(sql`select tenant_id from platform_user_memberships(${userId})`),
    ),
  );
  for (const { tenant_id } of tenants)
    await db.withTenant(tenant_id, (tx) => appendAudit(tx, tenant_id, entry));
  return tenants.length;
}
