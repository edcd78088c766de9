import { schema } from '@platform/db';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../../audit.ts';
import { DomainError, notFound } from '../../errors.ts';
import { authedProcedure, inCallerTenant, type MemberRole } from '../../procedures.ts';

const m = schema.memberships;
const ADMIN_ROLES: readonly MemberRole[] = ['owner', 'admin'];

export const revokeSessionsInput = z.strictObject({
  userId: z.uuid({ message: 'must be a UUID' }),
});

/**
 * Signs a member out everywhere they act for this organisation (a lost laptop, a departure):
 * their sessions whose tenant is the caller's end; sessions acting for other organisations
 * they belong to are not this admin's to end. Owners and admins only; only an owner can do
 * it to an owner. Audited as `member.sessions_revoked`.
 *
 * Not an adminProcedure: sessions are identity rows the auth role owns, and its transaction
 * cannot open inside the tenant's (the embedded database runs one at a time). So: the
 * membership check in the tenant, then the revocation, then the audit entry.
 */
export const revokeSessions = authedProcedure
  .input(revokeSessionsInput)
  .mutation(async ({ ctx, input }) => {
    const tenantId = await inCallerTenant(ctx.db, ctx.identity, async (tx, tenantId, role) => {
      if (!ADMIN_ROLES.includes(role))
        throw new DomainError('FORBIDDEN', 'Requires the owner or admin role');
      const [target] = await tx
        .select({ role: m.role })
        .from(m)
        .where(and(eq(m.tenantId, tenantId), eq(m.userId, input.userId)));
      if (!target) throw notFound('Member');
      if (target.role === 'owner' && role !== 'owner')
        throw new DomainError('FORBIDDEN', "Only an owner can end an owner's sessions", 'userId');
      return tenantId;
    });
    if (input.userId === ctx.identity.userId)
      throw new DomainError(
        'BAD_REQUEST',
        'To end your own other sessions use sessions.revokeOthers',
        'userId',
      );
    const revoked = await ctx.sessions.revokeInTenant(input.userId, tenantId);
    await ctx.db.withTenant(tenantId, (tx) =>
      audit(
        { tx, tenantId, identity: ctx.identity, request: ctx.request },
        {
          action: 'member.sessions_revoked',
          resourceType: 'user',
          resourceId: input.userId,
          metadata: { revoked },
        },
      ),
    );
    return { userId: input.userId, revoked };
  });
