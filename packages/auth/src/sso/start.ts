import type { SsoConnectionRecord } from '@platform/db';
import * as oidc from 'openid-client';
import { z } from 'zod';
import { firstIssue } from '../inputs.ts';
import { misconfigured, openClientSecret } from './client-secret.ts';
import { callbackUrl, type EndpointContext, type SsoDeps } from './context.ts';
import { emailDomain } from './domains.ts';
import { ssoError } from './errors.ts';
import { describeFailure, refusedAddress } from './failures.ts';
import { type PendingSignIn, STATE_SECONDS, stateIdentifier } from './flow-state.ts';
import { sameOriginReturnTo } from './return-to.ts';
import { startSamlSignIn } from './saml/start.ts';
import { bindStateToBrowser } from './state-cookie.ts';

const startInput = z
  .strictObject({
    email: z
      .string({ message: 'must be an email address' })
      .trim()
      .toLowerCase()
      .pipe(z.email({ message: 'must be a valid email address' }).max(254))
      .optional(),
    /**
     * Instead of an email, the organisation's email domain: the link an IdP's app tile opens
     * ("initiate login URI"), so a sign-in started from the IdP's dashboard is still one this
     * browser started (SP-initiated), with its state and InResponseTo checks.
     */
    domain: z
      .string({ message: 'must be an email domain' })
      .trim()
      .toLowerCase()
      .max(253, { message: 'must be an email domain' })
      .optional(),
    /** A page of this site to land on afterwards (same origin only); /account by default. */
    returnTo: z.string({ message: 'must be a string' }).optional(),
  })
  .refine((v) => (v.email === undefined) !== (v.domain === undefined), {
    message: 'give an email address, or else a domain',
    path: ['email'],
  });

/** The enabled connection for the email's (or the given) domain, or a 404 naming the field. */
async function connectionFor(deps: SsoDeps, input: { email?: string; domain?: string }) {
  const field = input.email !== undefined ? 'email' : 'domain';
  const domain =
    input.email !== undefined ? (emailDomain(input.email) ?? '') : (input.domain ?? '');
  const conn = await deps.db.ssoByDomain(domain);
  if (!conn)
    throw ssoError(
      'NOT_FOUND',
      'SSO_NOT_CONFIGURED',
      `${field}: No single sign-on for this email domain`,
      field,
    );
  return conn;
}

/** An OpenID Connect connection's client secret, opened (503 when it cannot be). */
function openedSecret(deps: SsoDeps, conn: SsoConnectionRecord) {
  if (!conn.clientSecretEncrypted)
    throw ssoError(
      'NOT_FOUND',
      'SSO_NOT_CONFIGURED',
      'email: this domain’s single sign-on has no client secret; an administrator must enter it',
      'email',
    );
  const clientSecret = openClientSecret(deps, conn);
  if (clientSecret === null) throw misconfigured().error;
  return clientSecret;
}

/**
 * GET /api/auth/sso/start?email=… or ?domain=… (redirects) or POST {email | domain, returnTo?}
 * (answers {url}).
 * Finds the organisation's connection from the email's domain; a SAML one goes on in
 * saml/start.ts. An OpenID Connect one sends the browser to its provider with PKCE (S256), a state and a nonce. The verifier and nonce stay server-side in
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
  const { email, domain, returnTo: askedReturn } = parsed.data;
  const returnTo =
    askedReturn === undefined ? null : sameOriginReturnTo(askedReturn, deps.publicUrl);
  if (askedReturn !== undefined && !returnTo)
    throw ssoError(
      'BAD_REQUEST',
      'VALIDATION_ERROR',
      'returnTo: must be a page of this site',
      'returnTo',
    );

  const found = await connectionFor(deps, { email, domain });
  if (found.protocol === 'saml') return startSamlSignIn(ctx, deps, found, returnTo, isPost);
  const conn = { ...found, clientSecret: openedSecret(deps, found) };
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
    ...(email ? { login_hint: email } : {}),
  });
  await bindStateToBrowser(ctx, state, 'redirect', deps.publicUrl);
  if (!isPost) throw ctx.redirect(url.href);
  return ctx.json({ url: url.href });
}
