import { randomBytes } from 'node:crypto';
import type { SsoConnectionRecord } from '@platform/db';
import type { EndpointContext, SsoDeps } from '../context.ts';
import { ssoError } from '../errors.ts';
import { type PendingSamlSignIn, STATE_SECONDS, stateIdentifier } from '../flow-state.ts';
import { bindStateToBrowser } from '../state-cookie.ts';
import { type IdpSettings, readIdpMetadata } from './idp-metadata.ts';
import { newRequestId, serviceProvider } from './sp.ts';

/** The IdP's settings stored with a SAML connection; 503 when they cannot be read. */
export function idpOf(deps: SsoDeps, conn: SsoConnectionRecord): IdpSettings {
  const read = readIdpMetadata(conn.samlMetadata ?? '');
  if ('problem' in read) {
    deps.log.warn(
      { connectionId: conn.connectionId, problem: read.problem },
      'sso saml metadata unusable; an administrator must enter it again',
    );
    throw ssoError(
      'SERVICE_UNAVAILABLE',
      'SSO_MISCONFIGURED',
      'This organisation’s single sign-on is misconfigured (its SAML metadata cannot be read); an administrator must enter it again. Until then, sign in another way',
    );
  }
  return read;
}

/**
 * A SAML sign-in's start: an AuthnRequest to the IdP's HTTP-Redirect SingleSignOnService,
 * with RelayState = a fresh state. As for OIDC, the state keys a single-use server-side row
 * (here holding the AuthnRequest's ID, which the response's InResponseTo must name) and goes
 * into a signed cookie, so the assertion is only accepted in the browser that started it.
 */
export async function startSamlSignIn(
  ctx: EndpointContext,
  deps: SsoDeps,
  conn: SsoConnectionRecord,
  returnTo: string | null,
  isPost: boolean,
) {
  const idp = idpOf(deps, conn);
  const state = randomBytes(32).toString('base64url');
  const issuedAt = new Date();
  const requestId = newRequestId();
  const pending: PendingSamlSignIn = {
    protocol: 'saml',
    connectionId: conn.connectionId,
    requestId,
    issuedAt: issuedAt.toISOString(),
    returnTo,
  };
  const sp = serviceProvider(deps.publicUrl, conn.connectionId, idp, {
    id: requestId,
    createdAt: issuedAt,
  });
  const url = await sp.getAuthorizeUrlAsync(state, undefined, {});
  await ctx.context.internalAdapter.createVerificationValue({
    identifier: stateIdentifier(state),
    value: JSON.stringify(pending),
    expiresAt: new Date(Date.now() + STATE_SECONDS * 1000),
  });
  await bindStateToBrowser(ctx, state, 'cross-site-post', deps.publicUrl);
  if (!isPost) throw ctx.redirect(url);
  return ctx.json({ url });
}
