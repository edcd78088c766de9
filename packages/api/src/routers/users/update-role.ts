import { schema } from '@platform/db';
import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../../audit.ts';
import { DomainError, notFound } from '../../errors.ts';
import { adminProcedure } from '../../procedures.ts';

const m = schema.memberships;

export const updateRoleInput = z.strictObject({
  userId: z.uuid({ message: 'must be a UUID' }),
  role: z.enum(schema.memberRoles),
});

/**
 * Changes a member's role. Admins manage members and admins; only owners grant or remove
 * ownership, and the last owner cannot step down. Every change is audited.
 */
export const updateRole = adminProcedure.input(updateRoleInput).mutation(async ({ ctx, input }) => {
  // Every owner's row first, always in one order. Locking only the target let two owners who
  // demoted each other at the same moment each count two owners, leaving the organisation
  // with none; now the second waits, then counts one.
  await ctx.tx
    .select({ id: m.id })
    .from(m)
    .where(and(eq(m.tenantId, ctx.tenantId), eq(m.role, 'owner')))
    .orderBy(asc(m.id))
    .for('update');
  const [target] = await ctx.tx
    .select({ id: m.id, role: m.role })
    .from(m)
    .where(and(eq(m.tenantId, ctx.tenantId), eq(m.userId, input.userId)))
    .for('update');
  if (!target) throw notFound('Member');
  if (target.role === input.role) return { userId: input.userId, role: target.role };

  const touchesOwner = target.role === 'owner' || input.role === 'owner';
  if (touchesOwner && ctx.role !== 'owner')
    throw new DomainError('FORBIDDEN', 'Only an owner can grant or remove the owner role', 'role');
  if (target.role === 'owner') {
    const [owners] = await ctx.tx
      .select({ n: sql<number>`count(*)::int` })
      .from(m)
      .where(and(eq(m.tenantId, ctx.tenantId), eq(m.role, 'owner')));
    if ((owners?.n ?? 0) <= 1)
      throw new DomainError('CONFLICT', 'The last owner cannot be demoted', 'role');
  }

  await ctx.tx
    .update(m)
    .set({ role: input.role })
    .where(and(eq(m.tenantId, ctx.tenantId), eq(m.id, target.id)));
  await audit(ctx, {
    action: 'member.role_changed',
    resourceType: 'user',
    resourceId: input.userId,
    metadata: { before: { role: target.role }, after: { role: input.role } },
  });
  return { userId: input.userId, role: input.role };
});
