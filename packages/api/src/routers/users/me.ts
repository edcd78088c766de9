import { schema } from '@platform/db';
import { eq } from 'drizzle-orm';
import { notFound } from '../../errors.ts';
import { tenantProcedure } from '../../procedures.ts';

const u = schema.users;

/** The signed-in person, with their role in the current organisation. */
export const me = tenantProcedure.query(async ({ ctx }) => {
  const [user] = await ctx.tx
    .select({
      id: u.id,
      name: u.name,
      email: u.email,
      emailVerified: u.emailVerified,
      image: u.image,
      createdAt: u.createdAt,
    })
    .from(u)
    .where(eq(u.id, ctx.identity.userId));
  if (!user) throw notFound('User');
  return { ...user, tenantId: ctx.tenantId, role: ctx.role };
});
