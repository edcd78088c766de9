import type { FastifyReply } from 'fastify';

/**
 * Lets a page origin read the response. Never with credentials: widget clients send a visitor
 * token in a header, so no browser ever attaches a member's cookie cross-site.
 */
export function allowOrigin(reply: FastifyReply, origin: string) {
  reply.header('access-control-allow-origin', origin);
  reply.header('access-control-expose-headers', 'x-request-id');
}

/** The answer to a CORS preflight from `origin`. */
export function allowPreflight(reply: FastifyReply, origin: string, methods: string) {
  allowOrigin(reply, origin);
  reply.header('access-control-allow-methods', methods);
  reply.header('access-control-allow-headers', 'content-type, authorization');
  reply.header('access-control-max-age', '600');
}
