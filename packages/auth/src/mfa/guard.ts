import type { AuditEntry, Database, Tx } from '@platform/db';
import type { BetterAuthPlugin } from 'better-auth';
import { APIError, createAuthMiddleware, isAPIError } from 'better-auth/api';
import { clientInfo } from '../client-info.ts';
import { auditAccountEvent } from '../sign-in-audit.ts';
import { qrSvg } from './qr.ts';
import type { RecoveryCodeHasher } from './recovery-codes.ts';
import {
  claimStep,
  lockedUntil,
  type MfaLockout,
  recordFailure,
  recoveryCodesLeftOf,
  resetFailures,
  revokeOtherSessions,
  twoFactorOf,
} from './store.ts';
import { acceptedStep, decryptTotpSecret } from './totp.ts';

export type MfaGuardDeps = {
  db: Database;
  /** Runs fn as the auth role (in the auth transaction in flight, if any). */
  run: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
  recoveryCodes: RecoveryCodeHasher;
  lockout: MfaLockout;
  log: { error(obj: object, msg: string): void };
};

type HookContext = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0];
type Body = Record<string, unknown>;

/** Who is answering a second-factor check: a signed-in session, or a pending sign-in. */
type Challenger = { userId: string; via: 'session' | 'sign-in' };

/** What a before hook learnt that its after hook needs (keyed by the request's auth context). */
type Pending = Challenger & { enrolment: boolean };

const TWO_FACTOR_COOKIE = 'two_factor';
const VERIFY_TOTP = '/two-factor/verify-totp';
const VERIFY_RECOVERY = '/two-factor/verify-backup-code';

const fail = (
  status: 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN',
  code: string,
  message: string,
  field?: string,
) => new APIError(status, { code, message, ...(field ? { field } : {}) });

/**
 * The same user Better Auth's two-factor plugin will check: the session cookie's (enrolment,
 * re-checks), else the pending sign-in named by the signed two_factor cookie.
 */
async function challengerOf(ctx: HookContext): Promise<Challenger | null> {
  const token = await ctx.getSignedCookie(
    ctx.context.authCookies.sessionToken.name,
    ctx.context.secret,
  );
  if (token) {
    const found = await ctx.context.internalAdapter.findSession(token);
    if (found && new Date(found.session.expiresAt).getTime() > Date.now())
      return { userId: found.user.id, via: 'session' };
  }
  const cookie = ctx.context.createAuthCookie(TWO_FACTOR_COOKIE);
  const identifier = await ctx.getSignedCookie(cookie.name, ctx.context.secret);
  if (!identifier) return null;
  const challenge = await ctx.context.internalAdapter.findVerificationValue(identifier);
  if (!challenge || new Date(challenge.expiresAt).getTime() <= Date.now()) return null;
  return { userId: challenge.value, via: 'sign-in' };
}

/**
 * Hardening around Better Auth's two-factor plugin (which must come before this one in
 * `plugins`), as hooks on its endpoints:
 *
 * - verify-totp: a code is accepted once (RFC 6238 section 5.2): its 30 s step is claimed in
 *   two_factors.last_used_step by a conditional UPDATE, and a code of that step or an earlier
 *   one is refused as reused. Wrong codes from a signed-in session (enrolment, re-checks) count
 *   toward the same lock as the plugin's sign-in checks, so no path guesses without bound.
 * - verify-backup-code: the submitted recovery code is replaced by its hash (codes are stored
 *   hashed, see recovery-codes.ts).
 * - "trust this device" is refused: every sign-in of an MFA account asks for the second factor.
 * - get-totp-uri is refused: the secret is shown once, in the answer to /two-factor/enable
 *   (which needs the password), as its otpauth:// URI and a QR code (`qrSvg`, added here).
 * - enabling (the first valid code), disabling, regenerating and using recovery codes are
 *   audited in every organisation of the user; enabling and disabling end every other session.
 */
export function mfaGuard(deps: MfaGuardDeps): BetterAuthPlugin {
  const pending = new WeakMap<object, Pending>();

  const audit = async (ctx: HookContext, userId: string, action: string, metadata: Body = {}) => {
    const entry: AuditEntry = {
      action,
      actorUserId: userId,
      resourceType: 'user',
      resourceId: userId,
      metadata,
      ...clientInfo(ctx.headers ?? ctx.request?.headers),
    };
    try {
      await auditAccountEvent(deps.db, userId, entry);
    } catch (err) {
      // The change itself is done; a lost entry is an operator's problem, not the user's.
      deps.log.error({ err, action, userId }, 'mfa audit entry not written');
    }
  };

  /** Enabling or disabling: every other session ends (ASVS V7), then the change is audited. */
  const changed = async (ctx: HookContext, action: 'mfa.enabled' | 'mfa.disabled') => {
    const kept = ctx.context.newSession;
    if (!kept) return;
    const userId = kept.user.id;
    const revoked = await deps.run((tx) => revokeOtherSessions(tx, userId, kept.session.id));
    await audit(ctx, userId, action, {
      method: 'totp',
      otherSessionsRevoked: revoked,
      ...(action === 'mfa.enabled' ? { recoveryCodes: await codesLeft(userId) } : {}),
    });
  };

  const codesLeft = (userId: string) => deps.run((tx) => recoveryCodesLeftOf(tx, userId));

  const refuseTrustDevice = (body: Body) => {
    if (body.trustDevice === true)
      throw fail(
        'BAD_REQUEST',
        'VALIDATION_ERROR',
        'trustDevice: not offered; every sign-in asks for the second factor',
        'trustDevice',
      );
  };

  const beforeVerifyTotp = async (ctx: HookContext) => {
    const body = (ctx.body ?? {}) as Body;
    refuseTrustDevice(body);
    if (typeof body.code !== 'string' || !/^\d{6}$/.test(body.code))
      throw fail(
        'BAD_REQUEST',
        'VALIDATION_ERROR',
        'code: must be the 6 digits your app shows',
        'code',
      );
    const who = await challengerOf(ctx);
    if (!who) return; // the plugin answers 401
    const row = await deps.run((tx) => twoFactorOf(tx, who.userId));
    if (!row) return;
    const step = acceptedStep(
      await decryptTotpSecret(ctx.context.secretConfig, row.secret),
      body.code,
    );
    // Checked before a valid code's step is claimed, so a locked factor does not burn it.
    if (await deps.run((tx) => lockedUntil(tx, row)))
      throw new APIError('TOO_MANY_REQUESTS', {
        code: 'ACCOUNT_TEMPORARILY_LOCKED',
        message: 'Too many wrong codes; try again later',
      });
    // The plugin bounds guesses only at sign-in; a session's checks count toward the same lock.
    if (who.via === 'session' && step === null) {
      await deps.run((tx) => recordFailure(tx, row.id, deps.lockout));
      throw fail('UNAUTHORIZED', 'INVALID_CODE', 'code: not a valid code', 'code');
    }
    pending.set(ctx.context, { ...who, enrolment: who.via === 'session' && !row.verified });
    if (step === null) return; // a wrong code at sign-in: the plugin counts and refuses it
    if (!(await deps.run((tx) => claimStep(tx, row.id, step)))) {
      if (who.via === 'sign-in')
        await audit(ctx, who.userId, 'mfa.verification_failed', {
          method: 'totp',
          reason: 'CODE_ALREADY_USED',
        });
      throw fail(
        'UNAUTHORIZED',
        'CODE_ALREADY_USED',
        'code: already used; wait for the next code from your authenticator app',
        'code',
      );
    }
    if (who.via === 'session') await deps.run((tx) => resetFailures(tx, row.id));
  };

  const beforeVerifyRecovery = async (ctx: HookContext) => {
    const body = (ctx.body ?? {}) as Body;
    refuseTrustDevice(body);
    if (typeof body.code !== 'string' || body.code.length < 1 || body.code.length > 64)
      throw fail(
        'BAD_REQUEST',
        'VALIDATION_ERROR',
        'code: must be one of your recovery codes',
        'code',
      );
    const who = await challengerOf(ctx);
    if (who) pending.set(ctx.context, { ...who, enrolment: false });
    return { context: { body: { ...body, code: deps.recoveryCodes.hash(body.code) } } };
  };

  const afterVerify = async (ctx: HookContext, method: 'totp' | 'recovery_code') => {
    const who = pending.get(ctx.context);
    if (!who) return;
    const returned = ctx.context.returned;
    if (isAPIError(returned)) {
      if (who.via === 'sign-in')
        await audit(ctx, who.userId, 'mfa.verification_failed', {
          method,
          reason: String(returned.body?.code ?? returned.status),
        });
      return;
    }
    if (who.enrolment) return changed(ctx, 'mfa.enabled');
    if (method === 'recovery_code')
      return audit(ctx, who.userId, 'mfa.recovery_code_used', {
        recoveryCodesLeft: await codesLeft(who.userId),
      });
    if (who.via === 'sign-in') await audit(ctx, who.userId, 'mfa.verified', { method });
  };

  const on = (path: string) => (ctx: { path?: string }) => ctx.path === path;

  return {
    id: 'platform-mfa-guard',
    hooks: {
      before: [
        { matcher: on(VERIFY_TOTP), handler: createAuthMiddleware(beforeVerifyTotp) },
        { matcher: on(VERIFY_RECOVERY), handler: createAuthMiddleware(beforeVerifyRecovery) },
        {
          matcher: on('/two-factor/get-totp-uri'),
          handler: createAuthMiddleware(async () => {
            throw fail(
              'FORBIDDEN',
              'TOTP_SECRET_SHOWN_ONCE',
              'The authenticator secret is shown only at enrolment; to move to a new device, disable two-factor authentication and enrol again',
            );
          }),
        },
        {
          matcher: on('/two-factor/enable'),
          handler: createAuthMiddleware(async (ctx) => {
            if ((ctx.body as Body | undefined)?.issuer !== undefined)
              throw fail(
                'BAD_REQUEST',
                'VALIDATION_ERROR',
                'issuer: not accepted; the platform names itself (MFA_ISSUER)',
                'issuer',
              );
          }),
        },
      ],
      after: [
        {
          matcher: on(VERIFY_TOTP),
          handler: createAuthMiddleware((ctx) => afterVerify(ctx, 'totp')),
        },
        {
          matcher: on(VERIFY_RECOVERY),
          handler: createAuthMiddleware((ctx) => afterVerify(ctx, 'recovery_code')),
        },
        {
          matcher: on('/two-factor/enable'),
          handler: createAuthMiddleware(async (ctx) => {
            const returned = ctx.context.returned as Body | undefined;
            if (isAPIError(returned) || typeof returned?.totpURI !== 'string') return;
            // The QR code rides with the URI and the recovery codes: all shown this once.
            return ctx.json({ ...returned, qrSvg: await qrSvg(returned.totpURI) });
          }),
        },
        {
          matcher: on('/two-factor/disable'),
          handler: createAuthMiddleware(async (ctx) => {
            if (!isAPIError(ctx.context.returned)) await changed(ctx, 'mfa.disabled');
          }),
        },
        {
          matcher: on('/two-factor/generate-backup-codes'),
          handler: createAuthMiddleware(async (ctx) => {
            const userId = ctx.context.session?.user.id;
            if (isAPIError(ctx.context.returned) || !userId) return;
            await audit(ctx, userId, 'mfa.recovery_codes_regenerated', {
              recoveryCodes: await codesLeft(userId),
            });
          }),
        },
      ],
    },
  };
}
