import type { SsoConnectionRecord } from '@platform/db';
import * as oidc from 'openid-client';
import { profileOf, type SsoProfile } from './claims.ts';
import { misconfigured, openClientSecret } from './client-secret.ts';
import { callbackUrl, type EndpointContext, type SsoDeps } from './context.ts';
import { refuse, ssoError } from './errors.ts';
import { describeFailure, providerUnreachable, refusedAddress } from './failures.ts';
import type { PendingSignIn } from './flow-state.ts';
import { completeSignIn, pendingConnection, takePending } from './sign-in.ts';

const param = (query: unknown, name: string): string | undefined => {
  const v = (query as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
};
/** A provider's error text, bounded and printable, to show back. */
const shown = (v: string | undefined) => (v ?? '').replace(/[^\x20-\x7e]/g, '').slice(0, 200);

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

/**
 * GET /api/auth/sso/callback?code&state (the provider's redirect). Validates the state, code
 * and ID token, then completes the sign-in (sign-in.ts). Every refusal is a 4xx naming the
 * problem (502 when the provider is unreachable, 503 when the connection's client secret
 * cannot be read), audited in the organisation's log once the state is known.
 */
export async function finishSignIn(ctx: EndpointContext, deps: SsoDeps) {
  const state = param(ctx.query, 'state');
  const pending = await takePending(ctx, state);
  if (!('codeVerifier' in pending))
    throw ssoError(
      'BAD_REQUEST',
      'SSO_STATE_INVALID',
      'state: this sign-in was started for SAML; its answer goes to /api/auth/sso/saml/acs',
      'state',
    );
  const conn = await pendingConnection(deps, pending.connectionId, 'oidc');
  await completeSignIn(ctx, deps, conn, pending.returnTo, async () => {
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
    return exchange(ctx, deps, conn, pending, state ?? '');
  });
}
