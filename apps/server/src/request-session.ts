import type { Identity, IdentityResolver } from '@platform/auth';
import type { FastifyRequest } from 'fastify';

const resolved = new WeakMap<FastifyRequest, Promise<Identity | null>>();

/**
 * The session behind a request's cookie, resolved once per request however many steps ask
 * (the rate limit, the CSRF check, the route itself): with SESSION_CACHE_SECONDS=0 each ask
 * would otherwise be a database read.
 */
export function requestSession(
  identity: IdentityResolver,
  request: FastifyRequest,
): Promise<Identity | null> {
  let pending = resolved.get(request);
  if (!pending) {
    pending = identity(request.headers.cookie);
    resolved.set(request, pending);
  }
  return pending;
}
