import type { Config } from '@platform/config';
import type { AuditEntry, Database, Tx } from '@platform/db';
import { APIError, isAPIError } from 'better-auth/api';
import { type ClientInfo, clientInfo } from './client-info.ts';
import {
  type AttemptStore,
  attemptKey,
  clearAccountAttempts,
  type LockoutPolicy,
  lockedError,
  memoryAttemptStore,
  type Reservation,
  releaseAccountAttempt,
  reserveAccountAttempt,
  reserveUnknownAttempt,
} from './lockout.ts';
import { createPasswordPolicy, type PasswordPolicy } from './password-policy.ts';
import {
  FRESH_SECONDS,
  type LiveSession,
  liveSession,
  type SessionPolicy,
} from './session-policy.ts';
import { auditAccountEvent } from './sign-in-audit.ts';

/** The parts of a Better Auth hook context these checks read. */
export type AuthHookContext = {
  path: string;
  body?: unknown;
  headers?: Headers | undefined;
  request?: Request | undefined;
  getSignedCookie(key: string, secret: string): Promise<string | null | false | undefined>;
  context: {
    secret: string;
    authCookies: { sessionToken: { name: string } };
    newSession?: {
      user: { id: string; twoFactorEnabled?: boolean | null | undefined };
      session: { id: string };
    } | null;
    returned?: unknown;
  };
};

export type AuthSecurityDeps = {
  db: Database;
  /** Runs fn as the auth role (in the auth transaction in flight, if any). */
  run: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
  secret: string;
  lockout: LockoutPolicy;
  sessions: SessionPolicy;
  passwords: PasswordPolicy;
  attempts: AttemptStore;
  log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
  };
};

/** Endpoints that start a session: a cookie sent along is not the caller's session. */
const SESSION_STARTS = new Set(['/sign-in/email', '/sign-up/email']);

/** Carries a sign-in's reservation (`<count> <userId>`) from the before hook to the after hook. */
const ATTEMPT_HEADER = 'x-platform-sign-in-attempt';

/** Which body field holds a new password, by endpoint. */
const NEW_PASSWORD_FIELD: Record<string, 'password' | 'newPassword'> = {
  '/sign-up/email': 'password',
  '/change-password': 'newPassword',
  '/reset-password': 'newPassword',
};

type Body = Record<string, unknown>;

/**
 * No reset email is sent (Better Auth's `sendResetPassword` is not configured), so no reset
 * token can exist: its endpoints answer this instead of Better Auth's 400 and its error log
 * line on every request (which anyone could use to flood the log).
 */
const resetUnavailable = () =>
  new APIError('NOT_FOUND', {
    code: 'PASSWORD_RESET_UNAVAILABLE',
    message: 'Password reset by email is not available on this server',
  });
const headersOf = (ctx: AuthHookContext) => ctx.headers ?? ctx.request?.headers;
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * Sign-in protection and session rules, as Better Auth hooks (called from auth.ts after the
 * strict input validation):
 *
 * - before any endpoint that rides a session cookie: the idle and absolute limits (a dead
 *   session is deleted, so get-session and the hot path agree);
 * - /sign-in/email: the lockout reservation (lockout.ts), audited per outcome afterwards;
 * - sign-up, change-password, reset-password: the password policy on the new password;
 * - password reset by email is not offered: its endpoints answer 404 PASSWORD_RESET_UNAVAILABLE;
 * - /change-password always revokes every other session (Better Auth also rotates the
 *   current one); /change-email needs a session younger than five minutes;
 * - /list-sessions is closed: it hands page scripts every session's token.
 */
export function createAuthSecurity(deps: AuthSecurityDeps) {
  /** An audit write that fails is logged; the sign-in it describes has happened regardless. */
  const audited = (what: string, work: () => Promise<unknown>) =>
    work().then(
      () => undefined,
      (err) => deps.log.warn({ err }, `${what} failed`),
    );
  /**
   * A failure's audit runs after the answer: its time must not tell a known account from an
   * unknown one. (A success is written before answering: it reveals nothing new.)
   */
  const background = (what: string, work: () => Promise<unknown>) => {
    void audited(what, work);
  };

  const currentSession = async (ctx: AuthHookContext): Promise<LiveSession | null> => {
    if (!headersOf(ctx)?.get('cookie')) return null;
    const token = await ctx.getSignedCookie(
      ctx.context.authCookies.sessionToken.name,
      ctx.context.secret,
    );
    return token ? deps.run((tx) => liveSession(tx, token, deps.sessions)) : null;
  };

  const checkNewPassword = async (path: string, body: Body, inputs: string[]) => {
    const field = NEW_PASSWORD_FIELD[path];
    if (!field) return;
    const problem = await deps.passwords.problem(str(body[field]), inputs);
    if (problem)
      throw new APIError('BAD_REQUEST', {
        code: 'WEAK_PASSWORD',
        message: `${field}: ${problem}`,
        field,
      });
  };

  const signInBefore = async (ctx: AuthHookContext, email: string, client: ClientInfo) => {
    const reservation =
      (await deps.run((tx) => reserveAccountAttempt(tx, { email }, deps.lockout))) ??
      (await reserveUnknownAttempt(
        deps.attempts,
        attemptKey(deps.secret, email),
        deps.lockout,
      ).catch((err): Reservation => {
        // Counters unreachable (Redis down): an unknown email cannot sign in anyway.
        deps.log.warn({ err }, 'sign-in attempt counters unavailable');
        return { kind: 'proceed', userId: null, count: 0 };
      }));
    if (reservation.kind === 'locked') {
      deps.log.info({ email, ...client, path: ctx.path }, 'sign-in refused: locked out');
      throw lockedError(reservation.retryAfterSeconds);
    }
    // Hands the reservation to the after hook (which sees the same request headers); set
    // here on every sign-in, so a client cannot supply its own.
    const headers = new Headers();
    headers.set(ATTEMPT_HEADER, `${reservation.count} ${reservation.userId ?? ''}`);
    return { context: { headers } };
  };

  const signInAfter = async (ctx: AuthHookContext, email: string, client: ClientInfo) => {
    const signedIn = ctx.context.newSession;
    if (signedIn) {
      const userId = signedIn.user.id;
      await deps.run((tx) => clearAccountAttempts(tx, userId));
      await audited('sign-in audit', () =>
        auditAccountEvent(deps.db, userId, {
          action: 'auth.sign_in',
          actorUserId: userId,
          resourceType: 'session',
          resourceId: signedIn.session.id,
          // With MFA on, the password was right and the second factor is still to come.
          metadata: { secondFactorRequired: signedIn.user.twoFactorEnabled === true },
          ...client,
        }),
      );
      return;
    }
    const returned = ctx.context.returned;
    if (!isAPIError(returned)) return;
    if (returned.statusCode !== 401) {
      // No verdict on the password (the hasher was busy, ...): the attempt does not count.
      const released = await deps.run((tx) => releaseAccountAttempt(tx, { email }, deps.lockout));
      if (!released)
        await deps.attempts
          .release(attemptKey(deps.secret, email), deps.lockout.threshold)
          .catch((err) => deps.log.warn({ err }, 'sign-in attempt counters unavailable'));
      return;
    }
    // Which attempt this was, and whose: from the reservation, not a second read (whose
    // timing could tell a known account from an unknown one).
    const [count, userId] = (headersOf(ctx)?.get(ATTEMPT_HEADER) ?? '').split(' ');
    const failedAttempts = Number(count) || 0;
    if (!userId) {
      // No organisation to audit it in; the server log has it (never the password).
      deps.log.info({ email, ...client, failedAttempts }, 'sign-in failed: unknown email');
      return;
    }
    const entry = (action: string, metadata: Record<string, unknown>): AuditEntry => ({
      action,
      actorUserId: userId,
      resourceType: 'user',
      resourceId: userId,
      metadata,
      ...client,
    });
    background('failed sign-in audit', async () => {
      await auditAccountEvent(
        deps.db,
        userId,
        entry('auth.sign_in_failed', { reason: 'wrong_password', failedAttempts }),
      );
      // The attempt that reached the threshold started the lock (lockout.ts).
      if (failedAttempts === deps.lockout.threshold)
        await auditAccountEvent(
          deps.db,
          userId,
          entry('auth.locked', { failedAttempts, lockedForMinutes: deps.lockout.minutes }),
        );
    });
  };

  return {
    /** After input validation; may answer a context change for Better Auth (a rewritten body). */
    async before(ctx: AuthHookContext) {
      const body = (ctx.body ?? {}) as Body;
      const current = SESSION_STARTS.has(ctx.path) ? null : await currentSession(ctx);
      switch (ctx.path) {
        case '/sign-in/email':
          return signInBefore(ctx, str(body.email).toLowerCase(), clientInfo(headersOf(ctx)));
        case '/sign-up/email':
          return checkNewPassword(ctx.path, body, [
            str(body.email),
            str(body.name),
            str(body.organizationName),
          ]);
        case '/reset-password':
          // The policy still answers first, so it stays wired when reset emails are added.
          await checkNewPassword(ctx.path, body, []);
          throw resetUnavailable();
        case '/request-password-reset':
        case '/reset-password/:token':
          throw resetUnavailable();
        case '/change-password':
          await checkNewPassword(ctx.path, body, current ? [current.email, current.name] : []);
          // A new password ends every other session, whatever the client asked for.
          return { context: { body: { ...body, revokeOtherSessions: true } } };
        case '/change-email':
          if (current && Date.now() - current.createdAt.getTime() >= FRESH_SECONDS * 1000)
            throw new APIError('FORBIDDEN', {
              code: 'SESSION_NOT_FRESH',
              message: 'Sign in again to change your email address',
            });
          return;
        case '/list-sessions':
          // Better Auth's list shows every session's token to page scripts (an XSS would
          // take them all); sessions.list shows ids instead.
          throw new APIError('NOT_FOUND', {
            code: 'NOT_FOUND',
            message: 'Use the sessions.list procedure (it never shows session tokens)',
          });
        default:
          return;
      }
    },

    async after(ctx: AuthHookContext) {
      const body = (ctx.body ?? {}) as Body;
      if (ctx.path === '/sign-in/email')
        return signInAfter(ctx, str(body.email).toLowerCase(), clientInfo(headersOf(ctx)));
      const changed = ctx.context.newSession;
      if (ctx.path === '/sign-up/email' && changed && !isAPIError(ctx.context.returned)) {
        // Who founded the organisation, from where: its audit log's first entry.
        const userId = changed.user.id;
        const tenantId = (changed.session as { activeTenantId?: unknown }).activeTenantId;
        await audited('sign-up audit', () =>
          auditAccountEvent(deps.db, userId, {
            action: 'auth.sign_up',
            actorUserId: userId,
            resourceType: 'tenant',
            ...(typeof tenantId === 'string' ? { resourceId: tenantId } : {}),
            metadata: { organizationName: str(body.organizationName).trim() },
            ...clientInfo(headersOf(ctx)),
          }),
        );
        return;
      }
      if (ctx.path === '/change-password' && changed && !isAPIError(ctx.context.returned)) {
        const userId = changed.user.id;
        await audited('password change audit', () =>
          auditAccountEvent(deps.db, userId, {
            action: 'auth.password_changed',
            actorUserId: userId,
            resourceType: 'user',
            resourceId: userId,
            metadata: { otherSessionsRevoked: true },
            ...clientInfo(headersOf(ctx)),
          }),
        );
      }
    },
  };
}

export type AuthSecurity = ReturnType<typeof createAuthSecurity>;

/** The settings these checks read (packages/config). */
export type SecurityConfig = Pick<
  Config,
  | 'AUTH_SECRET'
  | 'SESSION_IDLE_MINUTES'
  | 'SESSION_ABSOLUTE_HOURS'
  | 'LOCKOUT_THRESHOLD'
  | 'LOCKOUT_MINUTES'
  | 'PASSWORD_MIN_SCORE'
  | 'HIBP_ENABLED'
  | 'HIBP_URL'
  | 'HIBP_TIMEOUT_MS'
>;

export const sessionPolicyOf = (config: SecurityConfig): SessionPolicy => ({
  idleMinutes: config.SESSION_IDLE_MINUTES,
  absoluteHours: config.SESSION_ABSOLUTE_HOURS,
});

/**
 * Better Auth's session options under the policy: a session (and its cookie) expires at the
 * absolute limit and never slides; the idle limit is enforced by liveSession. Its own "fresh
 * session" check (listing sessions, deleting the account) asks for a sign-in within 5 minutes.
 */
export const sessionLifetime = (config: SecurityConfig) => ({
  expiresIn: config.SESSION_ABSOLUTE_HOURS * 3600,
  updateAge: config.SESSION_ABSOLUTE_HOURS * 3600,
  disableSessionRefresh: true,
  freshAge: FRESH_SECONDS,
});

/** The checks wired from configuration; `attempts` is Redis-backed when the server has Redis. */
export function authSecurityFor(deps: {
  db: Database;
  config: SecurityConfig;
  run: AuthSecurityDeps['run'];
  log: AuthSecurityDeps['log'];
  attempts?: AttemptStore | undefined;
}): AuthSecurity {
  const { config, log } = deps;
  return createAuthSecurity({
    db: deps.db,
    run: deps.run,
    secret: config.AUTH_SECRET,
    lockout: { threshold: config.LOCKOUT_THRESHOLD, minutes: config.LOCKOUT_MINUTES },
    sessions: sessionPolicyOf(config),
    passwords: createPasswordPolicy({
      minScore: config.PASSWORD_MIN_SCORE,
      hibp: {
        enabled: config.HIBP_ENABLED,
        url: config.HIBP_URL,
        timeoutMs: config.HIBP_TIMEOUT_MS,
      },
      log,
    }),
    attempts: deps.attempts ?? memoryAttemptStore(),
    log,
  });
}
