import { schema } from '@platform/db';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../../audit.ts';
import { DomainError, notFound } from '../../errors.ts';
import { authedProcedure, inCallerTenant, type MemberRole } from '../../procedures.ts';

const m = schema.memberships;
const u = schema.users;
const k = schema.apiKeys;
const removals = schema.membershipRemovals;
const ADMIN_ROLES: readonly MemberRole[] = ['owner', 'admin'];

export const removeInput = z.strictObject({
  userId: z.uuid({ message: 'must be a UUID' }),
});

/**
 * Removes a person from the organisation (offboarding): their membership goes, the API keys
 * they created here are revoked, their sessions acting for the organisation end, and single
 * sign-on will not provision them again until an admin readmits them (users.readmit). Their
 * account, other organisations, and what they wrote here (transcripts keep their name: the
 * organisation's record) stay. Owners and admins only; only an owner removes an owner; the
 * last owner cannot be removed (nor leave). Audited as `member.removed`.
 *
 * Not an adminProcedure, like revokeSessions: the sessions are the auth role's rows, ended
 * after the tenant transaction commits.
 */
export const remove = authedProcedure.input(removeInput).mutation(async ({ ctx, input }) => {
  const done = await inCallerTenant(ctx.db, ctx.identity, async (tx, tenantId, role) => {
    if (!ADMIN_ROLES.includes(role))
      throw new DomainError('FORBIDDEN', 'Requires the owner or admin role');
    // Owner rows first, in one order, as updateRole does: two owners removing each other at
    // once must not both succeed.
    const owners = await tx
      .select({ userId: m.userId })
      .from(m)
      .where(and(eq(m.tenantId, tenantId), eq(m.role, 'owner')))
      .orderBy(asc(m.id))
      .for('update');
    const [target] = await tx
      .select({ id: m.id, role: m.role, name: u.name, email: u.email })
      .from(m)
      .innerJoin(u, eq(u.id, m.userId))
      .where(and(eq(m.tenantId, tenantId), eq(m.userId, input.userId)))
      .for('update', { of: m });
    if (!target) throw notFound('Member');
    if (target.role === 'owner' && role !== 'owner')
      throw new DomainError('FORBIDDEN', 'Only an owner can remove an owner', 'userId');
    if (target.role === 'owner' && owners.length <= 1)
      throw new DomainError(
        'CONFLICT',
        'The last owner cannot be removed; make another member an owner first',
        'userId',
      );
    await tx.delete(m).where(and(eq(m.tenantId, tenantId), eq(m.id, target.id)));
    const record = {
      name: target.name,
      email: target.email,
      role: target.role,
      removedBy: ctx.identity.userId,
      removedAt: new Date(),
    };
    await tx
      .insert(removals)
      .values({ tenantId, userId: input.userId, ...record })
      .onConflictDoUpdate({ target: [removals.tenantId, removals.userId], set: record });
    const keys = await tx
      .update(k)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(k.tenantId, tenantId), eq(k.createdBy, input.userId), isNull(k.revokedAt)))
      .returning({ id: k.id });
    await audit(
      { tx, tenantId, identity: ctx.identity, request: ctx.request },
      {
        action: 'member.removed',
        resourceType: 'user',
        resourceId: input.userId,
        metadata: { before: { role: target.role }, apiKeysRevoked: keys.length },
      },
    );
    return { tenantId, keyIds: keys.map((key) => key.id) };
  });
  for (const id of done.keyIds) ctx.apiKeys?.forget(id);
  const sessionsEnded = await ctx.sessions.revokeInTenant(input.userId, done.tenantId);
  return { userId: input.userId, removed: true, apiKeysRevoked: done.keyIds.length, sessionsEnded };
});
