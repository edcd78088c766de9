import { schema } from '@platform/db';
import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../../audit.ts';
import { notFound } from '../../errors.ts';
import { adminProcedure } from '../../procedures.ts';

const r = schema.membershipRemovals;

export const removedInput = z
  .strictObject({ limit: z.number().int().min(1).max(200).default(50) })
  .default({ limit: 50 });

/** People removed from the organisation (whom single sign-on will not provision), newest first. */
export const removed = adminProcedure.input(removedInput).query(async ({ ctx, input }) => {
  const items = await ctx.tx
    .select({
      userId: r.userId,
      name: r.name,
      email: r.email,
      role: r.role,
      removedBy: r.removedBy,
      removedAt: r.removedAt,
    })
    .from(r)
    .where(eq(r.tenantId, ctx.tenantId))
    .orderBy(desc(r.removedAt))
    .limit(input.limit);
  return { items };
});

export const readmitInput = z.strictObject({
  userId: z.uuid({ message: 'must be a UUID' }),
});

/**
 * Lifts a removal: single sign-on provisions the person again at its default role at their
 * next sign-in. It does not make them a member by itself. Audited as `member.readmitted`.
 */
export const readmit = adminProcedure.input(readmitInput).mutation(async ({ ctx, input }) => {
  const [gone] = await ctx.tx
    .delete(r)
    .where(and(eq(r.tenantId, ctx.tenantId), eq(r.userId, input.userId)))
    .returning({ role: r.role });
  if (!gone) throw notFound('Removed member');
  await audit(ctx, {
    action: 'member.readmitted',
    resourceType: 'user',
    resourceId: input.userId,
    metadata: { removedRole: gone.role },
  });
  return { userId: input.userId, readmitted: true };
});
