import type { EndpointContext } from './context.ts';
import { STATE_COOKIE, STATE_SECONDS } from './flow-state.ts';

/**
 * Binds a started sign-in to this browser: its state in a signed, httpOnly cookie that only
 * the /api/auth/sso endpoints receive, checked (and cleared) when the answer comes back.
 *
 * - OIDC answers with a top-level GET redirect, which carries SameSite=Lax cookies.
 * - SAML answers with a cross-site top-level POST (HTTP-POST binding), which never carries a
 *   Lax cookie, so there it is SameSite=None; Secure whenever PUBLIC_URL is https. That is
 *   safe: it is no session, only proof of which browser started which sign-in, and an
 *   assertion is only accepted for the request ID this state holds. Over plain http
 *   (development) browsers refuse SameSite=None without Secure; it stays Lax there, which
 *   still works with an IdP on the same site (localhost).
 */
export async function bindStateToBrowser(
  ctx: EndpointContext,
  state: string,
  answer: 'redirect' | 'cross-site-post',
  publicUrl: string,
) {
  const crossSite = answer === 'cross-site-post' && new URL(publicUrl).protocol === 'https:';
  const cookie = ctx.context.createAuthCookie(STATE_COOKIE, { maxAge: STATE_SECONDS });
  await ctx.setSignedCookie(cookie.name, state, ctx.context.secret, {
    ...cookie.attributes,
    sameSite: crossSite ? 'none' : 'lax',
    ...(crossSite ? { secure: true } : {}),
    httpOnly: true,
    path: '/api/auth/sso',
  });
}
