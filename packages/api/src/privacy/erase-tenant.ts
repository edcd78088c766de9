import { type Database, schema } from '@platform/db';
import { and, eq, sql } from 'drizzle-orm';
import { deleteIdentity } from './erase-user.ts';
import { membershipsOf } from './memberships.ts';

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

export type TenantErasure = { usersDeleted: number; membersKept: number; tenantDeleted: boolean };

/**
 * Erases an organisation (GDPR art. 17 for the whole tenant), idempotently:
 * 1. each member who belongs to no other organisation is deleted (their identity: see
 *    deleteIdentity); the others keep their account, and their sessions acting for this
 *    organisation move to their newest other one;
 * 2. the tenants row is deleted through platform_erase_tenant (migration 0011), which the
 *    runtime may call only for its own tenant while this due request is processing. Every
 *    tenant table references tenants ON DELETE CASCADE, so every row of the organisation goes
 *    with it in that one statement: knowledge, conversations, keys, and also the append-only
 *    audit_logs, cost_events and routing_decisions the runtime can never delete itself, and
 *    this request and the job running it (the worker's final update then matches nothing).
 *    Nothing is left to say the organisation existed but the server log.
 *
 * A crash between the steps is safe: the job runs again, finds the members already gone, and
 * deletes the row.
 */
export async function eraseTenant(
  db: Database,
  tenantId: string,
  requestId: string,
): Promise<TenantErasure> {
  const ms = schema.memberships;
  const members = await db.withTenant(tenantId, (tx) =>
    tx.select({ userId: ms.userId }).from(ms).where(eq(ms.tenantId, tenantId)),
  );
  let usersDeleted = 0;
  let membersKept = 0;
  for (const { userId } of members) {
    const elsewhere = (await membershipsOf(db, userId)).filter((m) => m.tenantId !== tenantId);
    const next = elsewhere[0];
    if (!next) {
      if (await deleteIdentity(db, userId)) usersDeleted++;
      continue;
    }
    membersKept++;
    await db.withAuth((tx) =>
      tx
        .update(schema.authSessions)
        .set({ activeTenantId: next.tenantId })
        .where(
          and(
            eq(schema.authSessions.userId, userId),
            eq(schema.authSessions.activeTenantId, tenantId),
          ),
        ),
    );
  }
  const tenantDeleted = await db.withTenant(tenantId, async (tx) => {
    const result = await tx.execute(
      sql`select platform_erase_tenant(${tenantId}::uuid, ${requestId}::uuid) as erased`,
    );
    return rowsOf<{ erased: boolean }>(result)[0]?.erased === true;
  });
  return { usersDeleted, membersKept, tenantDeleted };
}
