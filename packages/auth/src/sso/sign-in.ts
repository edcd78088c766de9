import { timingSafeEqual } from 'node:crypto';
import type { SsoConnectionRecord } from '@platform/db';
import { setSessionCookie } from 'better-auth/cookies';
import { z } from 'zod';
import { clientInfo } from '../client-info.ts';
import type { SsoProfile } from './claims.ts';
import { type EndpointContext, headersOf, type SsoDeps } from './context.ts';
import { emailDomain } from './domains.ts';
import { refuse, SsoRefusal, ssoError } from './errors.ts';
import { readPending, STATE_COOKIE, stateIdentifier } from './flow-state.ts';
import { auditInTenant, ensureMembership } from './membership.ts';
import { DEFAULT_RETURN_PATH } from './return-to.ts';
import { resolveSsoUser } from './users.ts';

const email = z.email().max(254);
const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * The started sign-in a callback (OIDC) or assertion (SAML, state = RelayState) belongs to:
 * the state must match the signed cookie of the browser that started it, and is consumed
 * (single use, expires after STATE_SECONDS).
 */
export async function takePending(ctx: EndpointContext, state: string | undefined) {
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

/** The connection a pending sign-in started with, if it is still on and of this protocol. */
export async function pendingConnection(
  deps: SsoDeps,
  connectionId: string,
  protocol: 'oidc' | 'saml',
): Promise<SsoConnectionRecord> {
  const conn = await deps.db.ssoConnection(connectionId);
  if (conn?.protocol !== protocol)
    throw ssoError(
      'BAD_REQUEST',
      'SSO_NOT_CONFIGURED',
      'This organisation’s single sign-on was turned off or removed; sign in another way',
    );
  return conn;
}

/** The email the provider asserted, if this connection may sign it in. */
function acceptedEmail(conn: SsoConnectionRecord, profile: SsoProfile): string {
  const address = profile.email?.toLowerCase() ?? '';
  if (!email.safeParse(address).success)
    throw refuse(
      'no_email',
      'FORBIDDEN',
      'SSO_NO_EMAIL',
      conn.protocol === 'saml'
        ? 'email: the identity provider sent no usable email address (an emailAddress NameID, or a mail/email attribute)'
        : 'email: the identity provider sent no usable email address (grant the "email" scope)',
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
 * The part of every sign-in after the provider's answer: `verify` validates that answer
 * (OIDC: code and ID token; SAML: the signed assertion) and says who it is; then the email is
 * checked against the connection's domains, the person found or provisioned (users.ts), made
 * a member at the connection's default role if they are not one, and signed in with a session
 * acting for the connection's organisation, then sent to `returnTo`. Audited as
 * auth.sso_sign_in; a refusal (SsoRefusal) as auth.sso_sign_in_failed with its reason.
 */
export async function completeSignIn(
  ctx: EndpointContext,
  deps: SsoDeps,
  conn: SsoConnectionRecord,
  returnTo: string | null,
  verify: () => Promise<SsoProfile>,
) {
  const client = clientInfo(headersOf(ctx));
  try {
    const profile = await verify();
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
        protocol: conn.protocol,
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
  throw ctx.redirect(returnTo ?? `${new URL(deps.publicUrl).origin}${DEFAULT_RETURN_PATH}`);
}
