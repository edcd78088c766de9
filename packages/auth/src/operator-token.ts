import { hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * The operator's credential for the server's own API, derived from AUTH_SECRET: whoever holds
 * AUTH_SECRET (the operator, the CLI on the server's machine) can already sign sessions, so this
 * grants nothing new. It lets the CLI act through a running server when the embedded database
 * is held by that server.
 */
export function operatorToken(secret: string): string {
  return Buffer.from(hkdfSync('sha256', secret, 'platform', 'operator-token-v1', 32)).toString(
    'base64url',
  );
}

export function isOperatorToken(secret: string, given: string): boolean {
  const expected = Buffer.from(operatorToken(secret));
  const candidate = Buffer.from(given);
  return expected.length === candidate.length && timingSafeEqual(expected, candidate);
}
