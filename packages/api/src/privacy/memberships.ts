import { type Database, schema } from '@platform/db';
import { and, count, eq, sql } from 'drizzle-orm';
import { DomainError } from '../errors.ts';
import type { MemberRole } from '../procedures.ts';

export type TenantMembership = {
  tenantId: string;
  role: MemberRole;
  tenantName: string;
  tenantSlug: string;
  joinedAt: Date;
};

type Row = {
  tenant_id: string;
  role: MemberRole;
  tenant_name: string;
  tenant_slug: string;
  joined_at: Date | string;
};

/**
 * Every organisation a person belongs to, newest first. Identity is global and membership
 * rows are tenant-scoped, so this goes through the auth role's SECURITY DEFINER look-up
 * (platform_user_memberships), the one way to see them across tenants.
 */
export async function membershipsOf(db: Database, userId: string): Promise<TenantMembership[]> {
  const result = await db.withAuth((tx) =>
    tx.execute(
      sql`select tenant_id, role, tenant_name, tenant_slug, joined_at from platform_user_memberships(${userId})`,
    ),
  );
  return (result as unknown as { rows: Row[] }).rows.map((row) => ({
    tenantId: row.tenant_id,
    role: row.role,
    tenantName: row.tenant_name,
    tenantSlug: row.tenant_slug,
    joinedAt: new Date(row.joined_at),
  }));
}

/** The organisations among `memberships` in which the person is the only owner. */
export async function soleOwnerships(
  db: Database,
  memberships: readonly TenantMembership[],
): Promise<TenantMembership[]> {
  const m = schema.memberships;
  const sole: TenantMembership[] = [];
  for (const membership of memberships) {
    if (membership.role !== 'owner') continue;
    const [row] = await db.withTenant(membership.tenantId, (tx) =>
      tx
        .select({ owners: count() })
        .from(m)
        .where(and(eq(m.tenantId, membership.tenantId), eq(m.role, 'owner'))),
    );
    if ((row?.owners ?? 0) <= 1) sole.push(membership);
  }
  return sole;
}

/** Why a last owner cannot be erased: the organisation would be left without one. */
export function lastOwnerMessage(tenants: readonly TenantMembership[]): string {
  const names = tenants.map((t) => `"${t.tenantName}"`).join(', ');
  return `You are the last owner of ${names}: make another member an owner first, or delete the organisation (privacy.requestTenantDeletion)`;
}

/** Refuses (409) the erasure of someone who is the last owner of an organisation. */
export async function assertNotLastOwner(db: Database, userId: string): Promise<void> {
  const sole = await soleOwnerships(db, await membershipsOf(db, userId));
  if (sole.length) throw new DomainError('CONFLICT', lastOwnerMessage(sole));
}
