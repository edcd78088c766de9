import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** What a member's page on another allowed origin calls with its session cookie. */
const MEMBER_API = /^\/(trpc\/|api\/csrf$)/;

/**
 * CORS for the platform's own pages served from other origins (ALLOWED_ORIGINS, e.g. an admin
 * dashboard on admin.example.com): tRPC and the CSRF token may be read with credentials by
 * exactly those origins, never by any other. (The widget's REST has its own CORS, without
 * credentials, in rest/cors.ts.) Writes still need the session's CSRF token (csrf.ts).
 */
export function registerMemberCors(app: FastifyInstance, allowedOrigins: Set<string>) {
  const allowed = (request: FastifyRequest): string | null => {
    const origin = request.headers.origin;
    const path = request.url.split('?')[0] ?? '';
    return origin && MEMBER_API.test(path) && allowedOrigins.has(origin) ? origin : null;
  };
  const allow = (reply: FastifyReply, origin: string) => {
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    reply.header('access-control-expose-headers', 'x-request-id, retry-after');
  };

  app.addHook('onRequest', async (request, reply) => {
    if (request.headers.origin) reply.header('vary', 'Origin');
    const origin = allowed(request);
    if (origin && request.method !== 'OPTIONS') allow(reply, origin);
  });

  const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = allowed(request);
    if (origin) {
      allow(reply, origin);
      reply.header('access-control-allow-methods', 'GET, POST');
      reply.header('access-control-allow-headers', 'content-type, x-csrf-token');
      reply.header('access-control-max-age', '600');
    }
    return reply.status(204).send();
  };
  app.options('/trpc/*', preflight);
  app.options('/api/csrf', preflight);
}
