import { type AppRouter, appRouter, createContext, requestInfo } from '@platform/api';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestIdentity } from './api-keys/request.ts';
import { sendFetchResponse, toFetchRequest } from './fetch-bridge.ts';
import type { Platform } from './platform.ts';

/**
 * tRPC at /trpc through its Fetch adapter. Fastify parses and limits the body first (so
 * malformed JSON and oversized bodies get the same 400/413 as every other route), and the
 * reply is sent buffered, which is cheaper than piping the Response stream.
 */
export function registerTrpcRoutes(app: FastifyInstance, platform: Platform) {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const response = await fetchRequestHandler<AppRouter>({
      endpoint: '/trpc',
      req: toFetchRequest(request, platform.config.PUBLIC_URL),
      router: appRouter,
      createContext: () =>
        createContext({
          db: platform.db,
          knowledge: platform.knowledge,
          ai: platform.ai,
          conversations: platform.conversations,
          limits: platform.limits,
          requestId: request.id,
          log: request.log,
          // A Bearer API key when there is one (cookies then ignored), else the session.
          resolveIdentity: () => requestIdentity(platform, request),
          apiKeys: platform.apiKeys,
          sessions: platform.sessions,
          sso: platform.ssoIssuers,
          privacy: platform.privacy,
          // request.ip honours Fastify's trustProxy, so a client cannot forge it by header.
          request: requestInfo(request.ip, request.headers['user-agent']),
        }),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR')
          request.log.error({ err: error.cause ?? error, path }, 'procedure failed');
      },
    });
    return sendFetchResponse(reply, response);
  };
  app.route({ method: ['GET', 'POST'], url: '/trpc/*', handler });
  // Uploads carry a base64 file: only this procedure gets a body limit to match.
  app.route({
    method: 'POST',
    url: '/trpc/knowledge.upload',
    bodyLimit: Math.ceil((platform.knowledge.maxUploadBytes * 4) / 3) + 64 * 1024,
    handler,
  });
}
