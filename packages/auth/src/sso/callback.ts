import { timingSafeEqual } from 'node:crypto';
import type { SsoConnectionRecord } from '@platform/db';
import { setSessionCookie } from 'better-auth/cookies';
import * as oidc from 'openid-client';
import { z } from 'zod';
import { clientInfo } from '../client-info.ts';
import { profileOf, type SsoProfile } from './claims.ts';
import { misconfigured, openClientSecret } from './client-secret.ts';
import { callbackUrl, type EndpointContext, headersOf, type SsoDeps } from './context.ts';
import { emailDomain } from './domains.ts';
import { refuse, SsoRefusal, ssoError } from './errors.ts';
import { describeFailure, providerUnreachable, refusedAddress } from './failures.ts';
import { type PendingSignIn, readPending, STATE_COOKIE, stateIdentifier } from './flow-state.ts';
import { auditInTenant, ensureMembership } from './membership.ts';
import { DEFAULT_RETURN_PATH } from './return-to.ts';
import { resolveSsoUser } from './users.ts';

const email = z.email().max(254);
const param = (query: unknown, name: string): string | undefined => {
  const v = (query as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
};
const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
/** A provider's error text, bounded and printable, to show back. */
const shown = (v: string | undefined) => (v ?? '').replace(/[^\x20-\x7e]/g, '').slice(0, 200);

/**
 * The started sign-in this callback belongs to: the state must match the signed cookie of
 * the browser that started it, and is consumed (single use, expires after STATE_SECONDS).
 */
async function takePending(ctx: EndpointContext, state: string | undefined) {
  if (!state)
    throw ssoError(
      'BAD_REQUEST',
      'SSO_STATE_INVALID',
      'state: missing; start the sign-in again',
      'state',
    );
  const cookie = ctx.context.createAuthCookie(STATE_COOKIE);
  const inCookie = await ctx.getSignedCookie(cookie.name, ctx.context.secret);
  ctx.setCookie(cookie.name, '', { ...cookie.attributes, path: '/api/auth/sso', maxAge: 0 });
  if (!inCookie || !sameText(inCookie, state))
    throw ssoError(
      'BAD_REQUEST',
      'SSO_STATE_INVALID',
      'state: this sign-in was not started in this browser, or it expired; start it again',
      'state',
    );
  const row = await ctx.context.internalAdapter.consumeVerificationValue(stateIdentifier(state));
  const pending = row ? readPending(row.value) : null;
  if (!pending)
    throw ssoError(
      'BAD_REQUEST',
      'SSO_STATE_INVALID',
      'state: unknown, already used or expired; start the sign-in again',
      'state',
    );
  return pending;
}

const unreachable = () =>
  refuse(
    'provider_unreachable',
    'BAD_GATEWAY',
    'SSO_PROVIDER_UNREACHABLE',
    'The identity provider could not be reached; try again shortly',
  );

/** The code exchanged and the ID token validated (issuer, audience, expiry, nonce, PKCE). */
async function exchange(
  ctx: EndpointContext,
  deps: SsoDeps,
  conn: SsoConnectionRecord,
  pending: PendingSignIn,
  state: string,
): Promise<SsoProfile> {
  const clientSecret = openClientSecret(deps, conn);
  if (clientSecret === null) throw misconfigured();
  // Logged at warn for operators: which connection, and the errors' names, codes and messages.
  const logFailure = (err: unknown, step: string) =>
    deps.log.warn(
      { connectionId: conn.connectionId, step, failure: describeFailure(err) },
      refusedAddress(err)
        ? `sso ${step} refused: the issuer resolves to a link-local or cloud metadata address`
        : step === 'discovery' || providerUnreachable(err)
          ? `sso ${step} failed: the identity provider could not be reached`
          : `sso ${step} failed: the identity provider refused, or its answer failed verification`,
    );
  let config: oidc.Configuration;
  try {
    config = await deps.issuers.configuration({
      connectionId: conn.connectionId,
      issuer: conn.issuer,
      clientId: conn.clientId,
      clientSecret,
    });
  } catch (err) {
    logFailure(err, 'discovery');
    throw unreachable();
  }
  // The URL the provider redirected to, with its parameters as received (code, state, iss).
  const current = new URL(callbackUrl(deps.publicUrl));
  current.search = ctx.request ? new URL(ctx.request.url).search : '';
  try {
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    return await profileOf(config, tokens);
  } catch (err) {
    logFailure(err, 'code exchange');
    if (providerUnreachable(err)) throw unreachable();
    if (err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError)
      throw refuse(
        `provider_error:${shown(err.error)}`,
        'BAD_REQUEST',
        'SSO_PROVIDER_ERROR',
        `code: the identity provider refused the sign-in (${shown(err.error)}); start it again`,
        'code',
      );
    if (err instanceof oidc.ClientError)
      throw refuse(
        'invalid_response',
        'BAD_REQUEST',
        'SSO_INVALID_RESPONSE',
        'The identity provider’s answer failed verification (ID token, nonce or issuer); start the sign-in again',
      );
    throw unreachable();
  }
}

/** The email the provider asserted, if this connection may sign it in. */
function acceptedEmail(conn: SsoConnectionRecord, profile: SsoProfile): string {
  const address = profile.email?.toLowerCase() ?? '';
  if (!email.safeParse(address).success)
    throw refuse(
      'no_email',
      'FORBIDDEN',
      'SSO_NO_EMAIL',
      'email: the identity provider sent no usable email address (grant the "email" scope)',
      'email',
    );
  const domain = emailDomain(address) ?? '';
  if (!conn.domains.includes(domain))
    throw refuse(
      'domain_mismatch',
      'FORBIDDEN',
      'SSO_DOMAIN_MISMATCH',
      `email: ${domain} is not a domain of this organisation’s single sign-on`,
      'email',
    );
  // Absent (Entra sends none) is accepted for the connection's own domains; false never is.
  if (profile.emailVerified === false)
    throw refuse(
      'email_not_verified',
      'FORBIDDEN',
      'SSO_EMAIL_NOT_VERIFIED',
      'email: the identity provider has not verified this email address',
      'email',
    );
  return address;
}

/**
 * GET /api/auth/sso/callback?code&state (the provider's redirect). Validates the state, code,
 * ID token and email, finds or provisions the person (users.ts), makes them a member of the
 * connection's organisation at its default role if they are not one, and signs them in with
 * a session acting for that organisation. Every refusal is a 4xx naming the problem (502 when
 * the provider is unreachable, 503 when the connection's client secret cannot be read),
 * audited in the organisation's log once the state is known.
 */
export async function finishSignIn(ctx: EndpointContext, deps: SsoDeps) {
  const state = param(ctx.query, 'state');
  const pending = await takePending(ctx, state);
  const client = clientInfo(headersOf(ctx));
  const conn = await deps.db.ssoConnection(pending.connectionId);
  if (conn?.protocol !== 'oidc')
    throw ssoError(
      'BAD_REQUEST',
      'SSO_NOT_CONFIGURED',
      'This organisation’s single sign-on was turned off or removed; sign in another way',
    );
  try {
    const error = param(ctx.query, 'error');
    if (error)
      throw refuse(
        `provider_error:${shown(error)}`,
        'BAD_REQUEST',
        'SSO_PROVIDER_ERROR',
        `error: the identity provider refused the sign-in (${shown(error)}${
          param(ctx.query, 'error_description')
            ? `: ${shown(param(ctx.query, 'error_description'))}`
            : ''
        })`,
        'error',
      );
    if (!param(ctx.query, 'code'))
      throw refuse('no_code', 'BAD_REQUEST', 'SSO_PROVIDER_ERROR', 'code: missing', 'code');
    const profile = await exchange(ctx, deps, conn, pending, state ?? '');
    const address = acceptedEmail(conn, profile);
    const who = await resolveSsoUser(ctx, deps.db, conn, { ...profile, email: address });
    const provisioned = await ensureMembership(deps.db, conn, who.user.id, client);
    const session = await ctx.context.internalAdapter.createSession(who.user.id, false, {
      // The session acts for the connection's organisation (auth.ts's session hook keeps it).
      activeTenantId: conn.tenantId,
    });
    await setSessionCookie(ctx, { session, user: who.user });
    // As for password sign-ins: an audit write that fails is logged; the sign-in happened.
    await auditInTenant(deps.db, conn.tenantId, {
      action: 'auth.sso_sign_in',
      actorUserId: who.user.id,
      resourceType: 'session',
      resourceId: session.id,
      metadata: {
        connectionId: conn.connectionId,
        created: who.created,
        linked: who.linked,
        provisioned,
      },
      ...client,
    }).catch((err) => deps.log.warn({ err }, 'sso sign-in audit failed'));
  } catch (e) {
    if (!(e instanceof SsoRefusal)) throw e;
    deps.log.info(
      { connectionId: conn.connectionId, reason: e.reason, ...client },
      'sso sign-in refused',
    );
    await auditInTenant(deps.db, conn.tenantId, {
      action: 'auth.sso_sign_in_failed',
      resourceType: 'sso_connection',
      resourceId: conn.connectionId,
      metadata: { reason: e.reason },
      ...client,
    }).catch((err) => deps.log.warn({ err }, 'sso refusal audit failed'));
    throw e.error;
  }
  throw ctx.redirect(pending.returnTo ?? `${new URL(deps.publicUrl).origin}${DEFAULT_RETURN_PATH}`);
}
