import {
  bearerApiKey,
  CSRF_HEADER,
  csrfTokenFor,
  csrfTokenMatches,
  type IdentityResolver,
} from '@platform/auth';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestSession } from '../request-session.ts';

/**
 * Session starts: no session is ridden, and Better Auth checks their Origin itself. SSO start
 * only answers the provider's URL (bound to this browser by a cookie the callback checks).
 * The SAML ACS is the IdP's cross-site POST: its proofs are the signed assertion and the state
 * cookie (packages/auth/src/sso/saml/acs.ts); it never acts with a session it finds.
 */
const EXEMPT = new Set([
  '/api/auth/sign-in/email',
  '/api/auth/sign-up/email',
  '/api/auth/sso/start',
  '/api/auth/sso/saml/acs',
]);
const GUARDED = /^\/(trpc|api\/v1|api\/auth)\//;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The page origin of a request: Origin, else Referer's (browsers send one on every POST). */
function originOf(request: FastifyRequest): string | null {
  const origin = request.headers.origin;
  if (origin && origin !== 'null') return origin;
  try {
    return request.headers.referer ? new URL(request.headers.referer).origin : null;
  } catch {
    return null;
  }
}

/**
 * CSRF protection for writes riding a session cookie (OWASP: synchroniser token plus Origin
 * verification). A write to /trpc, /api/v1 or /api/auth that arrives with a valid session
 * cookie must come from an allowed origin AND carry the session's token in x-csrf-token.
 * Requests without a live session cookie carry no ambient credential and pass (a bearer API
 * key, a widget's visitor token, sign-in itself): the route authenticates them on its own.
 */
export function registerCsrf(
  app: FastifyInstance,
  opts: { secret: string; identity: IdentityResolver; allowedOrigins: Set<string> },
) {
  app.get('/api/csrf', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const identity = await requestSession(opts.identity, request);
    if (!identity)
      return reply.status(401).send({ code: 'UNAUTHORIZED', message: 'Sign in first' });
    return { token: csrfTokenFor(opts.secret, identity.sessionId), header: CSRF_HEADER };
  });

  app.addHook('onRequest', async (request, reply) => {
    if (SAFE_METHODS.has(request.method)) return;
    const path = request.url.split('?')[0] ?? '';
    if (!GUARDED.test(path) || EXEMPT.has(path) || !request.headers.cookie) return;
    // A bearer API key is the credential then (the cookie is ignored), and no page can forge
    // an Authorization header on another site's behalf.
    if (bearerApiKey(request.headers.authorization)) return;
    const identity = await requestSession(opts.identity, request);
    if (!identity) return;
    const origin = originOf(request);
    if (!origin || !opts.allowedOrigins.has(origin))
      return reply.status(403).send({
        code: 'CSRF',
        message: `origin: ${origin ?? 'missing'} may not act with this session`,
        field: 'origin',
      });
    if (!csrfTokenMatches(opts.secret, identity.sessionId, request.headers[CSRF_HEADER]))
      return reply.status(403).send({
        code: 'CSRF',
        message: `${CSRF_HEADER}: missing or not this session's token (GET /api/csrf)`,
        field: CSRF_HEADER,
      });
  });
}
