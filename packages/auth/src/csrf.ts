import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a cookie-authenticated write must carry (the token from GET /api/csrf). */
export const CSRF_HEADER = 'x-csrf-token';

/** A session's CSRF token: bound to it, so a token taken with one session fits no other. */
export const csrfTokenFor = (secret: string, sessionId: string) =>
  createHmac('sha256', secret).update(`csrf:${sessionId}`).digest('base64url');

/** Whether `given` is the session's token (compared in constant time). */
export function csrfTokenMatches(secret: string, sessionId: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(csrfTokenFor(secret, sessionId));
  return a.length === b.length && timingSafeEqual(a, b);
}
