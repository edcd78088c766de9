import { randomBytes } from 'node:crypto';

/**
 * A widget's public key: `pk_` and 32 base64url characters (192 random bits). It sits in the
 * customer's page source, so it is an identifier rather than a secret, but unguessable keys
 * keep anyone from enumerating widgets, and a rotated key can never come back.
 */
export function newPublicKey(): string {
  return `pk_${randomBytes(24).toString('base64url')}`;
}
