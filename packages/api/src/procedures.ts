import type { Identity } from '@platform/auth';
import type { Database, schema, Tx } from '@platform/db';
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
 * Runs fn inside `withTenant` for the caller's tenant (from the session, never from input),
 * with their membership checked in the same transaction.
 */
export async function inCallerTenant<T>(
  db: Database,
  identity: Identity,
  fn: (tx: Tx, tenantId: string, role: MemberRole) => Promise<T>,
): Promise<T> {
  const tenantId = identity.tenantId;
  if (!tenantId) throw new DomainError('FORBIDDEN', 'This account belongs to no organisation');
  return db.withTenant(
    tenantId,
    (tx, member) => {
      if (!member) throw new DomainError('FORBIDDEN', 'You are not a member of this organisation');
      return fn(tx, tenantId, member.role);
    },
    { memberId: identity.userId },
  );
}

/** The rest of the call runs in the caller's tenant transaction; a failed procedure rolls it back. */
export const tenantProcedure = authedProcedure.use(async ({ ctx, next }) => {
  const proceed = (tx: Tx, tenantId: string, role: MemberRole) =>
    next({ ctx: { tx, tenantId, role } });
  let outcome: Awaited<ReturnType<typeof proceed>> | undefined;
  try {
    return await inCallerTenant(ctx.db, ctx.identity, async (tx, tenantId, role) => {
      outcome = await proceed(tx, tenantId, role);
      if (!outcome.ok) throw new Rollback();
      return outcome;
    });
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
