import type { Tx } from '@platform/db';
import { sql } from 'drizzle-orm';
import { slugify } from './slug.ts';

type Row = Record<string, unknown>;
const firstRow = (result: unknown): Row | undefined => (result as { rows: Row[] }).rows[0];

export type TenantRef = { tenantId: string; slug: string };

/**
 * Founds a tenant owned by `ownerId` through the SECURITY DEFINER function (the auth role
 * cannot write tenant tables itself). The slug derives from the name, suffixed when taken.
 */
export async function foundTenant(tx: Tx, name: string, ownerId: string): Promise<TenantRef> {
  const clean = name.trim();
  const row = firstRow(
    await tx.execute(
      sql`select tenant_id, slug from platform_create_tenant(${clean}, ${slugify(clean)}, ${ownerId})`,
    ),
  );
  if (typeof row?.tenant_id !== 'string')
    throw new Error('platform_create_tenant returned no tenant');
  return { tenantId: row.tenant_id, slug: String(row.slug) };
}

/** The tenant of the user's most recent membership, or null when they belong to none. */
export async function latestMembership(tx: Tx, userId: string): Promise<TenantRef | null> {
  const row = firstRow(
    await tx.execute(
      sql`select tenant_id, tenant_slug from platform_user_memberships(${userId}) limit 1`,
    ),
  );
  return typeof row?.tenant_id === 'string'
    ? { tenantId: row.tenant_id, slug: String(row.tenant_slug) }
    : null;
}
