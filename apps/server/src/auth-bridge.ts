import { type Auth, CLIENT_IP_HEADER, type IdentityResolver } from '@platform/auth';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendFetchResponse, toFetchHeaders, toFetchRequest } from './fetch-bridge.ts';

/**
 * Browsers mark every request with Sec-Fetch-Site and send Origin (or Referer) on POST, so a
 * request with none of them is not from a browser and cannot be a CSRF. Better Auth demands
 * an Origin whenever it sees any Sec-Fetch-* header, which Node's fetch sends alone; such
 * scripted clients are treated like curl, as same-origin calls. Browser requests keep the
 * full origin check.
 */
function asServerCallIfNotBrowser(headers: Headers, publicUrl: string) {
  if (headers.has('origin') || headers.has('referer') || headers.has('sec-fetch-site')) return;
  headers.delete('sec-fetch-mode');
  headers.delete('sec-fetch-dest');
  if (headers.has('cookie')) headers.set('origin', new URL(publicUrl).origin);
}

/** Endpoints that only create sessions (or start SSO); every other successful POST may end one. */
const SESSION_STARTS = new Set([
  '/api/auth/sign-in/email',
  '/api/auth/sign-up/email',
  '/api/auth/sso/start',
  '/api/auth/sso/saml/acs',
]);

/** The SAML ACS: the IdP's HTTP-POST binding sends a form, not JSON. */
const SAML_ACS = '/api/auth/sso/saml/acs';

/** Mounts Better Auth's fetch handler at /api/auth/* on Fastify. */
export function registerAuthRoutes(
  app: FastifyInstance,
  auth: Auth,
  identity: IdentityResolver,
  publicUrl: string,
) {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const headers = toFetchHeaders(request);
    // A form body was parsed into an object (below); it goes on as JSON, like every body.
    if (headers.get('content-type')?.startsWith('application/x-www-form-urlencoded'))
      headers.set('content-type', 'application/json');
    asServerCallIfNotBrowser(headers, publicUrl);
    // The client IP as Fastify resolved it (TRUST_PROXY hops only), replacing any value a
    // client sent under this name: Better Auth reads the IP from this header alone.
    headers.set(CLIENT_IP_HEADER, request.ip);
    const response = await auth.handler(toFetchRequest(request, publicUrl, headers));
    // Sign-out, revocations and password changes end sessions: forget cached identities.
    const path = request.url.split('?')[0] ?? '';
    if (request.method === 'POST' && response.status < 400 && !SESSION_STARTS.has(path))
      identity.invalidate();
    return sendFetchResponse(reply, response);
  };
  app.route({ method: ['GET', 'POST'], url: '/api/auth/*', handler });
  // Form bodies only here (an encapsulated scope): every other route stays JSON-only.
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) =>
        done(null, Object.fromEntries(new URLSearchParams(body as string).entries())),
    );
    scope.post(SAML_ACS, handler);
  });
}
