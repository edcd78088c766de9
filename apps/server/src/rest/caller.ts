import { type ConversationView, visitorConversation } from '@platform/api';
import type { FastifyRequest } from 'fastify';
import { apiKeyOutcome, apiKeyPrincipal } from '../api-keys/request.ts';
import type { Platform } from '../platform.ts';
import { createPrincipalResolver, isRefusal, type Principal } from '../realtime/principal.ts';
import { RestError } from './http.ts';

/** Who calls /api/v1: the principal, or a RestError with the refusal's status and message. */
export function createCaller(platform: Platform) {
  const resolve = createPrincipalResolver(platform);
  return async (request: FastifyRequest): Promise<Principal> => {
    // A Bearer API key comes first and alone: no visitor token or cookie is tried after it.
    const key = apiKeyOutcome(platform, request);
    if (key) return apiKeyPrincipal(key, request);
    const principal = await resolve({
      cookie: request.headers.cookie,
      authorization: request.headers.authorization,
      origin: request.headers.origin,
      safe: request.method === 'GET' || request.method === 'HEAD',
      tenantSlug: request.headers['x-platform-tenant'] as string | undefined,
    });
    if (isRefusal(principal))
      throw new RestError(principal.status, principal.code.toUpperCase(), principal.message);
    return principal;
  };
}

export type Caller = ReturnType<typeof createCaller>;

/** A conversation as its caller may see it (visitors through the views' own redaction). */
export const conversationFor = (view: ConversationView, audience: Principal['audience']) =>
  audience === 'member' ? view : visitorConversation(view);
