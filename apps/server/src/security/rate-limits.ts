import rateLimit from '@fastify/rate-limit';
import type { IdentityResolver } from '@platform/auth';
import type { Config } from '@platform/config';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { requestSession } from '../request-session.ts';

type Limits = Pick<
  Config,
  'AUTH_RATE_LIMIT_PER_MINUTE' | 'TENANT_RATE_LIMIT_PER_MINUTE' | 'IP_RATE_LIMIT_PER_MINUTE'
>;

/** Routes that cost nothing worth limiting, or that probes and embedding pages hit often. */
const UNLIMITED = /^\/(health|ready|widget\.js|favicon\.ico)?$/;

/**
 * Request-rate limits (@fastify/rate-limit), per minute: writes to /api/auth per client IP
 * (brute force and credential stuffing), /trpc and /api/v1 per organisation for signed-in
 * members, and everything else with no identity (widget sessions, visitors, the demo page)
 * per client IP. With Redis the counts are shared by every instance; if Redis fails, requests
 * pass rather than the platform going down with it. Over a limit: 429 with Retry-After.
 * (Per API key limits and a visitor's messages have their own counters.)
 */
export async function registerRateLimits(
  app: FastifyInstance,
  opts: { limits: Limits; identity: IdentityResolver; redis: Redis | null },
) {
  const bucket = async (request: FastifyRequest) => {
    const path = request.url.split('?')[0] ?? '';
    if (path.startsWith('/api/auth/') && request.method === 'POST')
      return { key: `auth:${request.ip}`, max: opts.limits.AUTH_RATE_LIMIT_PER_MINUTE };
    if (/^\/(trpc|api\/v1)\//.test(path) && request.headers.cookie) {
      const identity = await requestSession(opts.identity, request);
      if (identity?.tenantId)
        return {
          key: `tenant:${identity.tenantId}`,
          max: opts.limits.TENANT_RATE_LIMIT_PER_MINUTE,
        };
    }
    return { key: `ip:${request.ip}`, max: opts.limits.IP_RATE_LIMIT_PER_MINUTE };
  };
  // The key is computed once per request; max reads the decision stored with it.
  const decided = new WeakMap<FastifyRequest, number>();

  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    ...(opts.redis ? { redis: opts.redis, nameSpace: 'platform:rate:' } : {}),
    skipOnError: true,
    allowList: (request) => UNLIMITED.test(request.url.split('?')[0] ?? ''),
    keyGenerator: async (request) => {
      const { key, max } = await bucket(request);
      decided.set(request, max);
      return key;
    },
    max: async (request) => decided.get(request) ?? opts.limits.IP_RATE_LIMIT_PER_MINUTE,
    errorResponseBuilder: (_request, context) =>
      Object.assign(
        new Error(`Too many requests: at most ${context.max} a minute; retry in ${context.after}`),
        { statusCode: 429, code: 'RATE_LIMITED' },
      ),
  });
}
