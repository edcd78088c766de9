import { symmetricDecrypt } from 'better-auth/crypto';
import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as every authenticator app reads it: HMAC-SHA-1, 6 digits, 30 s steps. */
export const TOTP_ALGORITHM = 'SHA1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD = 30;
/** One step of clock drift either side (RFC 6238 section 5.2), as Better Auth's own check. */
export const TOTP_WINDOW = 1;

/** Better Auth's key for its encrypted columns (`ctx.context.secretConfig`). */
export type SecretConfig = Parameters<typeof symmetricDecrypt>[0]['key'];

/**
 * The shared secret as Better Auth stores it: encrypted with AUTH_SECRET, the plain value used
 * as raw UTF-8 bytes (or `base32:<secret>` when imported from another provider).
 */
export async function decryptTotpSecret(key: SecretConfig, stored: string): Promise<Secret> {
  const plain = await symmetricDecrypt({ key, data: stored });
  return plain.startsWith('base32:')
    ? Secret.fromBase32(plain.slice('base32:'.length).toUpperCase())
    : Secret.fromUTF8(plain);
}

const totpOf = (secret: Secret) =>
  new TOTP({ secret, algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, period: TOTP_PERIOD });

/**
 * The 30 s step (counter) a code belongs to when it is valid now within the drift window, or
 * null. The step is what makes a code single-use: once accepted, no code of that step or an
 * earlier one is accepted again (two_factors.last_used_step).
 */
export function acceptedStep(secret: Secret, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = totpOf(secret);
  const delta = totp.validate({ token: code, timestamp: now, window: TOTP_WINDOW });
  return delta === null ? null : totp.counter({ timestamp: now }) + delta;
}
