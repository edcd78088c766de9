import type { Database, Tx } from '@platform/db';
import { twoFactor } from 'better-auth/plugins/two-factor';
import { mfaGuard } from './guard.ts';
import { RECOVERY_CODE_COUNT, recoveryCodeHasher } from './recovery-codes.ts';
import type { MfaLockout } from './store.ts';
import { TOTP_DIGITS, TOTP_PERIOD } from './totp.ts';

export type MfaDeps = {
  db: Database;
  run: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
  authSecret: string;
  /** The name authenticator apps show next to the account (MFA_ISSUER). */
  issuer: string;
  /** Wrong codes in a row before the second factor locks, and for how long. */
  lockout: MfaLockout;
  log: { error(obj: object, msg: string): void };
};

/** How long a password-verified sign-in waits for its second factor. */
const CHALLENGE_SECONDS = 5 * 60;

/**
 * TOTP two-factor authentication: Better Auth's two-factor plugin configured for RFC 6238
 * (SHA-1, 6 digits, 30 s, one step of drift), hashed recovery codes, and our guard around it
 * (guard.ts). Flow, all under /api/auth:
 *
 * 1. POST /two-factor/enable {password}: a new secret (pending) and 10 recovery codes; the
 *    answer holds totpURI, qrSvg and backupCodes, shown this once.
 * 2. POST /two-factor/verify-totp {code} with the session: the first valid code turns MFA on.
 * 3. Sign-in then answers {twoFactorRedirect: true} with a two_factor cookie and no session;
 *    POST /two-factor/verify-totp {code} (or /two-factor/verify-backup-code {code}) creates it.
 * 4. POST /two-factor/disable {password}; POST /two-factor/generate-backup-codes {password}.
 */
export function mfaPlugins(deps: MfaDeps) {
  const recoveryCodes = recoveryCodeHasher(deps.authSecret);
  return [
    twoFactor({
      issuer: deps.issuer,
      // The user proves the authenticator works (a valid code) before MFA turns on.
      skipVerificationOnEnable: false,
      totpOptions: { digits: TOTP_DIGITS, period: TOTP_PERIOD },
      backupCodeOptions: {
        amount: RECOVERY_CODE_COUNT,
        length: 10,
        storeBackupCodes: recoveryCodes.store,
      },
      twoFactorCookieMaxAge: CHALLENGE_SECONDS,
      // Wrong codes at sign-in lock the factor (the plugin also allows 5 per challenge).
      accountLockout: {
        enabled: true,
        maxFailedAttempts: deps.lockout.threshold,
        durationSeconds: deps.lockout.minutes * 60,
      },
      schema: { twoFactor: { modelName: 'twoFactors' } },
    }),
    mfaGuard({
      db: deps.db,
      run: deps.run,
      recoveryCodes,
      lockout: deps.lockout,
      log: deps.log,
    }),
  ];
}
