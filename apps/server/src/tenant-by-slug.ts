import type { Database } from '@platform/db';
import { sql } from 'drizzle-orm';

const rowsOf = (result: unknown) => (result as { rows: Record<string, unknown>[] }).rows;

/**
 * The tenant id for a slug. On the embedded database an unknown slug is created (owner-less,
 * like a fresh demo); on a production database it must exist (see create-tenant).
 */
export async function tenantBySlug(
  db: Database,
  slug: string,
  opts: { createIfMissing: boolean },
): Promise<{ id: string; created: boolean } | undefined> {
  const found = rowsOf(
    await db.withAuth((tx) => tx.execute(sql`select id, slug from platform_list_tenants()`)),
  ).find((r) => r.slug === slug);
  if (found) return { id: String(found.id), created: false };
  if (!opts.createIfMissing) return undefined;
  const [row] = rowsOf(
    await db.withAuth((tx) =>
      tx.execute(sql`select * from platform_create_tenant(${slug}, ${slug}, null)`),
    ),
  );
  return row ? { id: String(row.tenant_id), created: true } : undefined;
}
