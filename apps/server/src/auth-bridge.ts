import { type Auth, CLIENT_IP_HEADER, type IdentityResolver } from '@platform/auth';
import type { FastifyInstance } from 'fastify';
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
]);

/** Mounts Better Auth's fetch handler at /api/auth/* on Fastify. */
export function registerAuthRoutes(
  app: FastifyInstance,
  auth: Auth,
  identity: IdentityResolver,
  publicUrl: string,
) {
  app.route({
    method: ['GET', 'POST'],
    url: '/api/auth/*',
    handler: async (request, reply) => {
      const headers = toFetchHeaders(request);
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
    },
  });
}
