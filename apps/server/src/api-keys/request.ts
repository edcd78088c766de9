import { assertKeyMay, DomainError } from '@platform/api';
import { apiKeyIdentity, bearerApiKey, type Identity } from '@platform/auth';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Platform } from '../platform.ts';
import type { Principal } from '../realtime/principal.ts';
import { requestSession } from '../request-session.ts';
import { RestError } from '../rest/http.ts';
import type { ApiKeyOutcome } from './auth.ts';

/** Where API keys are accepted over HTTP. (/ws takes them at its upgrade: realtime/gateway.ts.) */
const ACCEPTED = /^\/(trpc|api\/v1)\//;

const outcomes = new WeakMap<FastifyRequest, Promise<ApiKeyOutcome>>();

/**
 * The outcome of the request's `Authorization: Bearer sk_...` key, checked and counted once
 * per request; null when it has none. A request with a key is judged by the key alone: a
 * cookie beside it is ignored, so a bad key never falls back to an ambient credential.
 */
export function apiKeyOutcome(
  platform: Platform,
  request: FastifyRequest,
): Promise<ApiKeyOutcome> | null {
  const key = bearerApiKey(request.headers.authorization);
  if (!key) return null;
  let outcome = outcomes.get(request);
  if (!outcome) {
    outcome = platform.apiKeys.check(key);
    outcomes.set(request, outcome);
  }
  return outcome;
}

/**
 * Checks a request's API key up front, where the reply can still take a Retry-After header;
 * the refusal itself is answered by tRPC or the REST route, each in its own error shape.
 */
export function registerApiKeyAuth(app: FastifyInstance, platform: Platform) {
  app.addHook('onRequest', async (request, reply) => {
    if (!ACCEPTED.test(request.url)) return;
    const outcome = await apiKeyOutcome(platform, request);
    if (outcome && !outcome.ok && outcome.retryAfter)
      reply.header('retry-after', String(outcome.retryAfter));
  });
}

/** The tRPC caller: the API key's identity when the request has one, else the session's. */
export async function requestIdentity(
  platform: Platform,
  request: FastifyRequest,
): Promise<Identity | null> {
  const pending = apiKeyOutcome(platform, request);
  if (!pending) return requestSession(platform.identity, request);
  const outcome = await pending;
  if (!outcome.ok)
    throw new DomainError(
      outcome.status === 429 ? 'TOO_MANY_REQUESTS' : 'UNAUTHORIZED',
      outcome.message,
    );
  return apiKeyIdentity(outcome.principal);
}

/**
 * The /api/v1 caller for an API key: a member actor for the key's creator in the key's
 * tenant (named after the key), allowed only what its scopes cover (GET reads, the rest
 * writes). The creator's membership is checked with every conversation transaction.
 */
export async function apiKeyPrincipal(
  pending: Promise<ApiKeyOutcome>,
  request: FastifyRequest,
): Promise<Principal> {
  const outcome = await pending;
  if (!outcome.ok)
    throw new RestError(
      outcome.status,
      outcome.status === 429 ? 'TOO_MANY_REQUESTS' : 'UNAUTHORIZED',
      outcome.message,
    );
  const { principal } = outcome;
  const path = request.url.split('?')[0] ?? '';
  const resource = path.split('/')[3] ?? '';
  const read = request.method === 'GET' || request.method === 'HEAD';
  assertKeyMay(
    { id: principal.keyId, name: principal.name, scopes: principal.scopes },
    resource,
    read ? 'read' : 'write',
    `${request.method} /api/v1/${resource}`,
  );
  return {
    audience: 'member',
    origin: request.headers.origin ?? null,
    actor: {
      kind: 'member',
      tenantId: principal.tenantId,
      userId: principal.userId,
      name: principal.name,
    },
  };
}
