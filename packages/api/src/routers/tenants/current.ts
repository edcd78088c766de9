import { schema } from '@platform/db';
import { notFound } from '../../errors.ts';
import { tenantProcedure } from '../../procedures.ts';

const t = schema.tenants;

/** The organisation the caller's session acts for. */
export const current = tenantProcedure.query(async ({ ctx }) => {
  const [tenant] = await ctx.tx
    .select({ id: t.id, name: t.name, slug: t.slug, plan: t.plan, createdAt: t.createdAt })
    .from(t);
  if (!tenant) throw notFound('Organisation');
  return { ...tenant, role: ctx.role };
});
