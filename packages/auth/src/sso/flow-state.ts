import { z } from 'zod';

/** How long a started sign-in may take at the identity provider. */
export const STATE_SECONDS = 10 * 60;

/** The browser that started a sign-in carries its state in this (signed) cookie. */
export const STATE_COOKIE = 'sso_state';

/** The verification-table row of a started sign-in, keyed by its `state`. */
export const stateIdentifier = (state: string) => `sso-state:${state}`;

/** What the callback needs from the start, kept server-side (never in the browser). */
export const pendingSignIn = z.object({
  connectionId: z.string(),
  codeVerifier: z.string(),
  nonce: z.string(),
  returnTo: z.string().nullable(),
});
export type PendingSignIn = z.infer<typeof pendingSignIn>;

/** The stored row's value, or null when it is not one of ours. */
export function readPending(value: string): PendingSignIn | null {
  try {
    const parsed = pendingSignIn.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
