import * as oidc from 'openid-client';
import { z } from 'zod';
import { firstIssue } from '../inputs.ts';
import { misconfigured, openClientSecret } from './client-secret.ts';
import { callbackUrl, type EndpointContext, type SsoDeps } from './context.ts';
import { emailDomain } from './domains.ts';
import { ssoError } from './errors.ts';
import { describeFailure, refusedAddress } from './failures.ts';
import { type PendingSignIn, STATE_COOKIE, STATE_SECONDS, stateIdentifier } from './flow-state.ts';
import { sameOriginReturnTo } from './return-to.ts';

const startInput = z.strictObject({
  email: z
    .string({ message: 'must be an email address' })
    .trim()
    .toLowerCase()
    .pipe(z.email({ message: 'must be a valid email address' }).max(254)),
  /** A page of this site to land on afterwards (same origin only); /account by default. */
  returnTo: z.string({ message: 'must be a string' }).optional(),
});

/** The connection for an email's domain, its client secret opened, or a 404 naming `email`. */
export async function connectionForEmail(deps: SsoDeps, email: string) {
  const domain = emailDomain(email) ?? '';
  const conn = await deps.db.ssoByDomain(domain);
  if (!conn)
    throw ssoError(
      'NOT_FOUND',
      'SSO_NOT_CONFIGURED',
      'email: No single sign-on for this email domain',
      'email',
    );
  // SAML connections can be stored but not used: Better Auth 1.7.25 has no SAML (README).
  if (conn.protocol !== 'oidc' || !conn.clientSecretEncrypted)
    throw ssoError(
      'NOT_FOUND',
      'SSO_NOT_CONFIGURED',
      'email: this domain’s single sign-on is not an OpenID Connect connection this server can use',
      'email',
    );
  const clientSecret = openClientSecret(deps, conn);
  if (clientSecret === null) throw misconfigured().error;
  return { ...conn, clientSecret };
}

/**
 * GET /api/auth/sso/start?email=… (redirects) or POST {email, returnTo?} (answers {url}).
 * Finds the organisation's connection from the email's domain, then sends the browser to its
 * provider with PKCE (S256), a state and a nonce. The verifier and nonce stay server-side in
 * the verification table for STATE_SECONDS; the state also goes into a signed cookie, so the
 * callback only completes in the browser that started it (no login CSRF with a forwarded link).
 */
export async function startSignIn(ctx: EndpointContext, deps: SsoDeps) {
  const isPost = ctx.request?.method === 'POST' || (!ctx.request && ctx.body !== undefined);
  const parsed = startInput.safeParse(isPost ? (ctx.body ?? {}) : (ctx.query ?? {}));
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    throw ssoError('BAD_REQUEST', 'VALIDATION_ERROR', message, field);
  }
  const { email, returnTo: askedReturn } = parsed.data;
  const returnTo =
    askedReturn === undefined ? null : sameOriginReturnTo(askedReturn, deps.publicUrl);
  if (askedReturn !== undefined && !returnTo)
    throw ssoError(
      'BAD_REQUEST',
      'VALIDATION_ERROR',
      'returnTo: must be a page of this site',
      'returnTo',
    );

  const conn = await connectionForEmail(deps, email);
  let config: oidc.Configuration;
  try {
    config = await deps.issuers.configuration({
      connectionId: conn.connectionId,
      issuer: conn.issuer,
      clientId: conn.clientId,
      clientSecret: conn.clientSecret,
    });
  } catch (err) {
    deps.log.warn(
      { connectionId: conn.connectionId, failure: describeFailure(err) },
      refusedAddress(err)
        ? 'sso discovery refused: the issuer resolves to a link-local or cloud metadata address'
        : 'sso discovery failed: the identity provider could not be reached',
    );
    throw ssoError(
      'BAD_GATEWAY',
      'SSO_PROVIDER_UNREACHABLE',
      'The identity provider of this domain could not be reached; try again shortly',
    );
  }

  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const pending: PendingSignIn = {
    connectionId: conn.connectionId,
    codeVerifier,
    nonce,
    returnTo,
  };
  await ctx.context.internalAdapter.createVerificationValue({
    identifier: stateIdentifier(state),
    value: JSON.stringify(pending),
    expiresAt: new Date(Date.now() + STATE_SECONDS * 1000),
  });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: callbackUrl(deps.publicUrl),
    scope: 'openid email profile',
    response_type: 'code',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    // Providers (Google, Entra) pre-select or pre-fill the account with it.
    login_hint: email,
  });
  const cookie = ctx.context.createAuthCookie(STATE_COOKIE, { maxAge: STATE_SECONDS });
  await ctx.setSignedCookie(cookie.name, state, ctx.context.secret, {
    ...cookie.attributes,
    // Sent on the provider's top-level redirect back (a GET), never on cross-site POSTs.
    sameSite: 'lax',
    httpOnly: true,
    path: '/api/auth/sso',
  });
  if (!isPost) throw ctx.redirect(url.href);
  return ctx.json({ url: url.href });
}
