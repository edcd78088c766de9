import type { Identity } from '@platform/auth';
import type { Database, schema, Tx } from '@platform/db';
import { apiKeyRole, assertKeyMayCall } from './api-key-scopes.ts';
import { DomainError } from './errors.ts';
import { assertMfaPolicy, isMfaExempt } from './mfa-gate.ts';
import { PERMISSIONS, roleAllows } from './permissions.ts';
import { baseProcedure } from './trpc.ts';

export type MemberRole = (typeof schema.memberRoles)[number];

/**
 * The permission matrix (permissions.ts), applied to every procedure before its input is read:
 * an undeclared procedure is refused outright (fail closed), a non-public one needs a caller,
 * and a member, admin or owner one the role, read here so that nothing of the procedure runs
 * for a caller below it (one short read; the procedure checks again in its own transaction).
 * `viewer` procedures, open to every member, check membership in their own transaction.
 */
export const publicProcedure = baseProcedure.use(async ({ ctx, next, path, type }) => {
  const needed = PERMISSIONS[path];
  if (!needed) throw new DomainError('FORBIDDEN', `${path} declares no permission`);
  if (needed === 'public') return next();
  const identity = await ctx.identity();
  if (!identity) throw new DomainError('UNAUTHORIZED', 'Sign in first');
  // A key's scopes first: what it may not touch is refused as such, whatever its role.
  if (identity.apiKey) assertKeyMayCall(identity.apiKey, path, type);
  if (needed === 'member' || needed === 'admin' || needed === 'owner') {
    const role = await inCallerTenant(ctx.db, identity, async (_tx, _tenantId, r) => r, {
      mfaExempt: true,
    });
    if (!roleAllows(role, needed))
      throw new DomainError('FORBIDDEN', `Requires the ${needed} role or higher`);
  }
  return next();
});

/** Signed in, tenant or not; an API key only within its scopes (api-key-scopes.ts). */
export const authedProcedure = publicProcedure.use(async ({ ctx, next, path, type }) => {
  const identity = await ctx.identity();
  if (!identity) throw new DomainError('UNAUTHORIZED', 'Sign in first');
  if (identity.apiKey) assertKeyMayCall(identity.apiKey, path, type);
  return next({ ctx: { identity } });
});

/** Thrown inside the tenant transaction to roll it back when the procedure failed. */
class Rollback extends Error {}

/**
 * Runs fn inside `withTenant` for the caller's tenant (from the session, never from input),
 * with their membership checked in the same transaction, and the tenant's MFA policy
 * (mfa-gate.ts) unless `mfaExempt` (the procedures a member needs to enrol).
 */
export async function inCallerTenant<T>(
  db: Database,
  identity: Identity,
  fn: (tx: Tx, tenantId: string, role: MemberRole) => Promise<T>,
  opts: { mfaExempt?: boolean } = {},
): Promise<T> {
  const tenantId = identity.tenantId;
  if (!tenantId) throw new DomainError('FORBIDDEN', 'This account belongs to no organisation');
  return db.withTenant(
    tenantId,
    async (tx, member) => {
      if (!member) throw new DomainError('FORBIDDEN', 'You are not a member of this organisation');
      if (!opts.mfaExempt) assertMfaPolicy(member);
      // An API key acts for its creator (checked here as a member), with a role its scopes cap.
      const role = identity.apiKey ? apiKeyRole(identity.apiKey, member.role) : member.role;
      return fn(tx, tenantId, role);
    },
    { memberId: identity.userId },
  );
}

/** The rest of the call runs in the caller's tenant transaction; a failed procedure rolls it back. */
export const tenantProcedure = authedProcedure.use(async ({ ctx, next, path }) => {
  const proceed = (tx: Tx, tenantId: string, role: MemberRole) => {
    // Again with the role as this transaction reads it (it may have changed since).
    if (!roleAllows(role, PERMISSIONS[path] ?? 'owner'))
      throw new DomainError('FORBIDDEN', `Requires the ${PERMISSIONS[path]} role or higher`);
    return next({ ctx: { tx, tenantId, role } });
  };
  let outcome: Awaited<ReturnType<typeof proceed>> | undefined;
  try {
    return await inCallerTenant(
      ctx.db,
      ctx.identity,
      async (tx, tenantId, role) => {
        outcome = await proceed(tx, tenantId, role);
        if (!outcome.ok) throw new Rollback();
        return outcome;
      },
      { mfaExempt: isMfaExempt(path) },
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
