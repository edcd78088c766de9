import { type Database, schema, type Tx } from '@platform/db';
import { and, eq, sql } from 'drizzle-orm';
import { deleteIdentity } from './erase-user.ts';
import { membershipsOf } from './memberships.ts';
import { DELETED_TENANT } from './queue.ts';

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/**
 * The tenant tables the runtime may delete from, found in the catalog rather than listed, so
 * a table added later is erased too. Every foreign key between them cascades or sets null,
 * so the order does not matter.
 */
async function erasableTables(tx: Tx): Promise<string[]> {
  const result = await tx.execute(sql`
    select c.relname as name
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
     where n.nspname = 'public' and c.relkind in ('r', 'p')
       and has_table_privilege(c.oid, 'DELETE')
     order by c.relname`);
  return rowsOf<{ name: string }>(result).map((row) => row.name);
}

/**
 * What erasing an organisation leaves, because the runtime role may not delete it: the
 * tenants row (no DELETE grant; it is renamed and emptied instead), and the append-only
 * tables (audit_logs, cost_events, routing_decisions). Deleting those needs a SECURITY
 * DEFINER function (a migration); until then they hold no member's name or email, only ids
 * that name nobody once the people are erased, IP addresses and user agents in the audit log
 * (purged by AUDIT_RETENTION_DAYS), and metering figures.
 */
export const TENANT_RESIDUE = ['tenants', 'audit_logs', 'cost_events', 'routing_decisions'];

export type TenantErasure = { usersDeleted: number; membersKept: number; tables: number };

/**
 * Erases an organisation (GDPR art. 17 for the whole tenant), idempotently:
 * 1. each member who belongs to no other organisation is deleted (their identity: see
 *    deleteIdentity); the others keep their account, and their sessions acting for this
 *    organisation move to their newest other one;
 * 2. in one tenant transaction, every row of every tenant table the runtime can delete goes
 *    (memberships, knowledge, conversations, widgets, keys, jobs, requests...), except this
 *    request (kept, completed, as the record) and the running job; the tenants row is
 *    renamed, its slug freed and its settings emptied.
 */
export async function eraseTenant(
  db: Database,
  tenantId: string,
  keep: { requestId: string; jobId: string },
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
  const tables = await db.withTenant(tenantId, async (tx) => {
    const names = await erasableTables(tx);
    for (const name of names) {
      const except =
        name === 'jobs'
          ? sql` and id <> ${keep.jobId}`
          : name === 'data_requests'
            ? sql` and id <> ${keep.requestId}`
            : sql``;
      await tx.execute(
        sql`delete from ${sql.identifier(name)} where tenant_id = ${tenantId}${except}`,
      );
    }
    const t = schema.tenants;
    await tx
      .update(t)
      .set({
        name: DELETED_TENANT,
        slug: sql`'deleted-' || ${t.id}::text`,
        plan: 'free',
        settings: { deleted: true, deletedAt: new Date().toISOString() },
      })
      .where(eq(t.id, tenantId));
    const r = schema.dataRequests;
    await tx
      .update(r)
      .set({
        status: 'completed',
        completedAt: new Date(),
        userId: null,
        requestedBy: null,
        archive: null,
        error: null,
      })
      .where(and(eq(r.tenantId, tenantId), eq(r.id, keep.requestId)));
    return names.length;
  });
  return { usersDeleted, membersKept, tables };
}
