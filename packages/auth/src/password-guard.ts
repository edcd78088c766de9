import type { Database, Tx } from '@platform/db';
import type { BetterAuthPlugin } from 'better-auth';
import { APIError, createAuthMiddleware, isAPIError } from 'better-auth/api';
import { clientInfo } from './client-info.ts';
import {
  clearAccountAttempts,
  type LockoutPolicy,
  lockedError,
  releaseAccountAttempt,
  reserveAccountAttempt,
} from './lockout.ts';
import { auditAccountEvent } from './sign-in-audit.ts';

/**
 * Better Auth endpoints that check a signed-in person's current password, and the body field
 * holding it. `optional`: the endpoint also works without one (then it checks nothing).
 */
const PASSWORD_CHECKS: Record<string, { field: string; optional?: boolean }> = {
  '/change-password': { field: 'currentPassword' },
  // Hidden from Better Auth's OpenAPI listing, but served over HTTP like any endpoint.
  '/verify-password': { field: 'password' },
  '/two-factor/enable': { field: 'password' },
  '/two-factor/disable': { field: 'password' },
  '/two-factor/generate-backup-codes': { field: 'password' },
  // Refused outright by the MFA guard today; guarded all the same should that change.
  '/two-factor/get-totp-uri': { field: 'password' },
  // Off (Better Auth answers 404); guarded should account deletion be enabled.
  '/delete-user': { field: 'password', optional: true },
};

/** Better Auth's answer to a wrong current password, on every endpoint above. */
const WRONG_PASSWORD = 'INVALID_PASSWORD';

export type PasswordGuardDeps = {
  db: Database;
  /** Runs fn as the auth role (in the auth transaction in flight, if any). */
  run: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
  lockout: LockoutPolicy;
  log: { warn(obj: object, msg: string): void };
  /** A session was ended here (the one that guessed into a lock): drop cached identities. */
  onSessionEnded?: () => void;
};

type HookContext = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0];
type Reserved = { userId: string; sessionId: string; token: string; count: number };

/** The live session the cookie names (the one the endpoint will act for), if any. */
async function sessionOf(ctx: HookContext) {
  const token = await ctx.getSignedCookie(
    ctx.context.authCookies.sessionToken.name,
    ctx.context.secret,
  );
  if (!token) return null;
  const found = await ctx.context.internalAdapter.findSession(token);
  if (!found || new Date(found.session.expiresAt).getTime() <= Date.now()) return null;
  return { userId: found.user.id, sessionId: found.session.id, token };
}

/**
 * One guard for every endpoint that asks a signed-in person for their current password
 * (PASSWORD_CHECKS): without it, whoever holds a stolen session cookie could guess the
 * password there without bound. Each check is counted against the account's sign-in lockout
 * before the password is verified (lockout.ts, the same row-locking reservation sign-in
 * uses), so wrong passwords here and at sign-in add up to one lock, and a locked account is
 * refused here (429 TOO_MANY_ATTEMPTS, Retry-After) exactly as at sign-in, right password
 * or not. A right password clears the count; an answer with no verdict on the password
 * (a validation error, the hasher busy, MFA already on) hands the attempt back.
 *
 * Registered as the last plugin, so its before hook runs after every other hook has accepted
 * the request: a request refused earlier never reaches the reservation, which only the after
 * hook (which such a refusal skips) could hand back. Wrong passwords are audited in every
 * organisation of the person (`auth.password_check_failed`, then `auth.locked`).
 *
 * The session whose wrong password started the lock is ended with it: a session that guesses
 * its own password five times is more likely a stolen cookie than a forgetful owner, and the
 * owner's other sessions (other devices) keep working, refused here until the lock is over.
 */
export function passwordGuard(deps: PasswordGuardDeps): BetterAuthPlugin {
  const reserved = new WeakMap<object, Reserved>();
  const guarded = (ctx: { path?: string }) => Boolean(ctx.path && PASSWORD_CHECKS[ctx.path]);

  const before = async (ctx: HookContext) => {
    const check = PASSWORD_CHECKS[ctx.path] as { field: string; optional?: boolean };
    const password = (ctx.body as Record<string, unknown> | undefined)?.[check.field];
    if (password === undefined && check.optional) return;
    // A missing password is a malformed request, not a wrong guess: refused before counting.
    if (typeof password !== 'string' || password.length === 0)
      throw new APIError('BAD_REQUEST', {
        code: 'VALIDATION_ERROR',
        message: `${check.field}: is required (your current password)`,
        field: check.field,
      });
    const session = await sessionOf(ctx);
    if (!session) return; // the endpoint answers 401 and checks no password
    const reservation = await deps.run((tx) =>
      reserveAccountAttempt(tx, { userId: session.userId }, deps.lockout),
    );
    if (!reservation) return; // the account is gone; the endpoint refuses the session
    if (reservation.kind === 'locked') throw lockedError(reservation.retryAfterSeconds);
    reserved.set(ctx.context, { ...session, count: reservation.count });
  };

  const after = async (ctx: HookContext) => {
    const attempt = reserved.get(ctx.context);
    if (!attempt) return;
    const { userId } = attempt;
    const returned = ctx.context.returned;
    if (!isAPIError(returned)) {
      await deps.run((tx) => clearAccountAttempts(tx, userId));
      return;
    }
    if (returned.body?.code !== WRONG_PASSWORD) {
      await deps.run((tx) => releaseAccountAttempt(tx, { userId }, deps.lockout));
      return;
    }
    // The attempt that reached the threshold started the lock (lockout.ts).
    const startedLock = attempt.count === deps.lockout.threshold;
    if (startedLock) {
      await ctx.context.internalAdapter.deleteSession(attempt.token);
      deps.onSessionEnded?.();
    }
    const client = clientInfo(ctx.headers ?? ctx.request?.headers);
    const entry = (action: string, metadata: Record<string, unknown>) => ({
      action,
      actorUserId: userId,
      resourceType: 'user',
      resourceId: userId,
      // Which endpoint, and which session (sessions.revoke takes this id) was guessing.
      metadata: { endpoint: ctx.path, sessionId: attempt.sessionId, ...metadata },
      ...client,
    });
    try {
      await auditAccountEvent(
        deps.db,
        userId,
        entry('auth.password_check_failed', { failedAttempts: attempt.count }),
      );
      if (startedLock)
        await auditAccountEvent(
          deps.db,
          userId,
          entry('auth.locked', {
            failedAttempts: attempt.count,
            lockedForMinutes: deps.lockout.minutes,
            sessionEnded: true,
          }),
        );
    } catch (err) {
      // The answer stands (and the attempt is counted); a lost entry is an operator's problem.
      deps.log.warn({ err, userId }, 'password check audit failed');
    }
  };

  return {
    id: 'platform-password-guard',
    hooks: {
      before: [{ matcher: guarded, handler: createAuthMiddleware(before) }],
      after: [{ matcher: guarded, handler: createAuthMiddleware(after) }],
    },
  };
}
