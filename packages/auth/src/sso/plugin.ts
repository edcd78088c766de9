import type { BetterAuthPlugin } from 'better-auth';
import { createAuthEndpoint } from 'better-auth/api';
import { finishSignIn } from './callback.ts';
import { SSO_CALLBACK_PATH, SSO_START_PATH, type SsoDeps } from './context.ts';
import { startSignIn } from './start.ts';

/**
 * Per-organisation single sign-on over OpenID Connect, as Better Auth endpoints under
 * /api/auth so its cookies, session hooks (the session acts for the connection's
 * organisation), rate limits and error handling apply:
 *
 * - GET|POST /api/auth/sso/start {email, returnTo?}: start.ts;
 * - GET /api/auth/sso/callback?code&state: callback.ts.
 *
 * openid-client is the relying party; connections are managed by the `sso` tRPC router.
 */
export function ssoPlugin(deps: SsoDeps) {
  return {
    id: 'platform-sso',
    endpoints: {
      ssoStart: createAuthEndpoint(SSO_START_PATH, { method: ['GET', 'POST'] }, (ctx) =>
        startSignIn(ctx, deps),
      ),
      ssoCallback: createAuthEndpoint(SSO_CALLBACK_PATH, { method: 'GET' }, (ctx) =>
        finishSignIn(ctx, deps),
      ),
    },
  } satisfies BetterAuthPlugin;
}
