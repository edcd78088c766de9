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

/** A SAML sign-in's start: the AuthnRequest's ID, which the response's InResponseTo must name. */
export const pendingSamlSignIn = z.object({
  protocol: z.literal('saml'),
  connectionId: z.string(),
  requestId: z.string(),
  /** When the AuthnRequest was issued (ISO 8601). */
  issuedAt: z.string(),
  returnTo: z.string().nullable(),
});
export type PendingSamlSignIn = z.infer<typeof pendingSamlSignIn>;

/** The stored row's value, or null when it is not one of ours. */
export function readPending(value: string): PendingSignIn | PendingSamlSignIn | null {
  try {
    const json: unknown = JSON.parse(value);
    const saml = pendingSamlSignIn.safeParse(json);
    if (saml.success) return saml.data;
    const parsed = pendingSignIn.safeParse(json);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
