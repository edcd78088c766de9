import type { schema, Tx } from '@platform/db';
import { DomainError } from './errors.ts';
import { baseProcedure } from './trpc.ts';

export type MemberRole = (typeof schema.memberRoles)[number];

export const publicProcedure = baseProcedure;

/** Signed in, tenant or not. */
export const authedProcedure = baseProcedure.use(async ({ ctx, next }) => {
  const identity = await ctx.identity();
  if (!identity) throw new DomainError('UNAUTHORIZED', 'Sign in first');
  return next({ ctx: { identity } });
});

/** Thrown inside the tenant transaction to roll it back when the procedure failed. */
class Rollback extends Error {}

/**
 * Runs the rest of the call inside `withTenant`, with the tenant taken from the session
 * (never from input) and the caller's membership checked in the same transaction. A failed
 * procedure rolls the transaction back.
 */
export const tenantProcedure = authedProcedure.use(async ({ ctx, next }) => {
  const { identity } = ctx;
  const tenantId = identity.tenantId;
  if (!tenantId) throw new DomainError('FORBIDDEN', 'This account belongs to no organisation');
  const proceed = (tx: Tx, role: MemberRole) => next({ ctx: { tx, tenantId, role } });
  let outcome: Awaited<ReturnType<typeof proceed>> | undefined;
  try {
    return await ctx.db.withTenant(
      tenantId,
      async (tx, member) => {
        if (!member)
          throw new DomainError('FORBIDDEN', 'You are not a member of this organisation');
        outcome = await proceed(tx, member.role);
        if (!outcome.ok) throw new Rollback();
        return outcome;
      },
      { memberId: identity.userId },
    );
  } catch (e) {
    if (e instanceof Rollback && outcome) return outcome;
    throw e;
  }
});

const ADMIN_ROLES: readonly MemberRole[] = ['owner', 'admin'];

/** Owners and admins of the current tenant. */
export const adminProcedure = tenantProcedure.use(async ({ ctx, next }) => {
  if (!ADMIN_ROLES.includes(ctx.role))
    throw new DomainError('FORBIDDEN', 'Requires the owner or admin role');
  return next();
});
