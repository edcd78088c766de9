import { type AuditEntry, appendAudit, type Database, schema } from '@platform/db';
import { and, eq } from 'drizzle-orm';
import { refuse } from './errors.ts';

type Client = Pick<AuditEntry, 'ipAddress' | 'userAgent'>;

/** Whether the user is a member of the organisation (read as the runtime role, in its tenant). */
export const isMember = (db: Database, tenantId: string, userId: string) =>
  db.withTenant(tenantId, async (_tx, member) => member !== null, { memberId: userId });

/**
 * Just-in-time provisioning: makes the user a member of the connection's organisation at its
 * default role unless they already are one (any role stays as it is), audited as
 * `member.provisioned` in the same transaction. Answers whether a membership was created.
 * Someone an admin removed (users.remove) is refused until readmitted: they still exist at
 * the provider, and removing them must not last only until their next sign-in.
 */
export function ensureMembership(
  db: Database,
  conn: { tenantId: string; connectionId: string; defaultRole: 'viewer' | 'member' | 'admin' },
  userId: string,
  client: Client,
): Promise<boolean> {
  return db.withTenant(
    conn.tenantId,
    async (tx, member) => {
      if (member) return false;
      const r = schema.membershipRemovals;
      const [removed] = await tx
        .select({ at: r.removedAt })
        .from(r)
        .where(and(eq(r.tenantId, conn.tenantId), eq(r.userId, userId)));
      if (removed)
        throw refuse(
          'removed_by_admin',
          'FORBIDDEN',
          'SSO_MEMBER_REMOVED',
          'An administrator removed you from this organisation; ask them to readmit you',
        );
      const created = await tx
        .insert(schema.memberships)
        .values({ tenantId: conn.tenantId, userId, role: conn.defaultRole })
        // Two sign-ins of one person racing: the second finds the first's row.
        .onConflictDoNothing()
        .returning({ id: schema.memberships.id });
      if (created.length === 0) return false;
      await appendAudit(tx, conn.tenantId, {
        action: 'member.provisioned',
        actorUserId: userId,
        resourceType: 'user',
        resourceId: userId,
        metadata: { via: 'sso', connectionId: conn.connectionId, role: conn.defaultRole },
        ...client,
      });
      return true;
    },
    { memberId: userId },
  );
}

/** An entry in the connection's organisation's log (sign-ins and refusals through its SSO). */
export const auditInTenant = (db: Database, tenantId: string, entry: AuditEntry) =>
  db.withTenant(tenantId, (tx) => appendAudit(tx, tenantId, entry));
