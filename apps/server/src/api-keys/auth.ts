import type { Counters } from '@platform/api';
import { type ApiKeyPrincipal, createApiKeyResolver } from '@platform/auth';
import type { Database } from '@platform/db';

/** A bearer key's fate: its principal, or a refusal with its status (and when to retry). */
export type ApiKeyOutcome =
  | { ok: true; principal: ApiKeyPrincipal }
  | { ok: false; status: 401 | 429; message: string; retryAfter?: number };

/** One message for unknown, malformed, revoked and expired keys alike: which one is not said. */
export const INVALID_API_KEY = 'Invalid API key';

export type ApiKeyAuth = {
  /** Authenticates a key and counts the request against the key's per-minute limit. */
  check(key: string, at?: number): Promise<ApiKeyOutcome>;
  /** Drops a revoked key from this process's cache at once. */
  forget(keyId: string): void;
};

type Log = { warn(obj: object, msg?: string): void };

/**
 * API keys for /trpc and /api/v1: the look-up (cached, see createApiKeyResolver) and each
 * key's request limit, counted per UTC minute in the shared Counters (Redis when configured,
 * so every instance counts against one limit). Over the limit: 429 with the seconds to the
 * next minute. If the counters fail (Redis unreachable) requests pass, like the widgets'
 * limits: an outage of the limiter must not take the API down.
 */
export function createApiKeyAuth(deps: {
  db: Database;
  counters: Counters;
  cacheSeconds: number;
  defaultLimitPerMinute: number;
  log: Log;
}): ApiKeyAuth {
  const resolve = createApiKeyResolver(deps.db, {
    cacheSeconds: deps.cacheSeconds,
    log: deps.log,
  });
  return {
    forget: resolve.forget,
    async check(key, at = Date.now()) {
      const principal = await resolve(key);
      if (!principal) return { ok: false, status: 401, message: INVALID_API_KEY };
      const limit = principal.rateLimitPerMinute ?? deps.defaultLimitPerMinute;
      const minute = Math.floor(at / 60_000);
      let count = 0;
      try {
        count = await deps.counters.increment(`apikey:${principal.keyId}:${minute}`, 120);
      } catch (err) {
        deps.log.warn({ err, apiKeyId: principal.keyId }, 'api key limits unavailable');
      }
      if (count > limit)
        return {
          ok: false,
          status: 429,
          message: `Too many requests: this API key may make ${limit} a minute; retry after the minute`,
          retryAfter: Math.max(1, Math.ceil((60_000 - (at % 60_000)) / 1000)),
        };
      return { ok: true, principal };
    },
  };
}
