import type { BetterAuthPlugin } from 'better-auth';
import { createAuthEndpoint } from 'better-auth/api';
import { finishSignIn } from './callback.ts';
import { SSO_CALLBACK_PATH, SSO_START_PATH, type SsoDeps } from './context.ts';
import { finishSamlSignIn } from './saml/acs.ts';
import { SAML_ACS_PATH, SAML_METADATA_PATH } from './saml/sp.ts';
import { serveSpMetadata } from './saml/sp-metadata.ts';
import { startSignIn } from './start.ts';

/**
 * Per-organisation single sign-on over OpenID Connect or SAML 2.0, as Better Auth endpoints under
 * /api/auth so its cookies, session hooks (the session acts for the connection's
 * organisation), rate limits and error handling apply:
 *
 * - GET|POST /api/auth/sso/start {email, returnTo?}: start.ts;
 * - GET /api/auth/sso/callback?code&state: callback.ts (OIDC);
 * - POST /api/auth/sso/saml/acs (SAMLResponse, RelayState): saml/acs.ts;
 * - GET /api/auth/sso/saml/metadata/:connectionId: our SP metadata (saml/sp-metadata.ts).
 *
 * openid-client is the relying party, node-saml the SAML service provider; connections are managed by the `sso` tRPC router.
 */
export function ssoPlugin(deps: SsoDeps) {
  return {
    id: 'platform-sso',
    // The SAML ACS is a cross-site POST from the IdP (its Origin is the IdP's) that carries no
    // session: the IdP's signature, InResponseTo and the state cookie protect it, not Origin.
    init: (ctx) => {
      const skip = ctx.skipOriginCheck;
      if (skip === true) return;
      return { context: { skipOriginCheck: [...(skip || []), SAML_ACS_PATH] } };
    },
    endpoints: {
      ssoStart: createAuthEndpoint(SSO_START_PATH, { method: ['GET', 'POST'] }, (ctx) =>
        startSignIn(ctx, deps),
      ),
      ssoCallback: createAuthEndpoint(SSO_CALLBACK_PATH, { method: 'GET' }, (ctx) =>
        finishSignIn(ctx, deps),
      ),
      ssoSamlAcs: createAuthEndpoint(SAML_ACS_PATH, { method: 'POST' }, (ctx) =>
        finishSamlSignIn(ctx, deps),
      ),
      ssoSamlMetadata: createAuthEndpoint(SAML_METADATA_PATH, { method: 'GET' }, (ctx) =>
        serveSpMetadata(ctx, deps),
      ),
    },
  } satisfies BetterAuthPlugin;
}
