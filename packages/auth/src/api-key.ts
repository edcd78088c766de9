import { createHash, randomBytes } from 'node:crypto';
import { type ApiKeyRecord, type Database, schema } from '@platform/db';
import { and, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Identity } from './identity.ts';

/** Every key starts with this, so scanners (and people) can recognise a leaked one. */
export const API_KEY_PREFIX = 'sk_live_';
/** Characters of a key shown in lists (`sk_live_` and the first four random ones). */
export const API_KEY_VISIBLE = 12;
const SECRET_BYTES = 32;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 32 random bytes in base62 take 43 characters (62^43 > 2^256). */
const SECRET_CHARS = 43;
const KEY_SHAPE = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${SECRET_CHARS}}$`);

function base62(bytes: Buffer, length: number): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  for (let i = 0; i < length; i++) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out;
}

/** The SHA-256 hex stored in api_keys.key_hash; a fast hash is right for 256 random bits. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/**
 * A new key: `sk_live_` and 43 base62 characters (256 random bits, no punctuation, so it
 * survives double-click selection). Only its hash and visible prefix are ever stored.
 */
export function newApiKey(): { key: string; hash: string; prefix: string } {
  const key = `${API_KEY_PREFIX}${base62(randomBytes(SECRET_BYTES), SECRET_CHARS)}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, API_KEY_VISIBLE) };
}

/**
 * The key in an `Authorization: Bearer sk_...` header, else null. Any `sk_` bearer counts
 * (even a malformed one, which then fails authentication) so such a request is never
 * mistaken for a visitor token or sent on to the session cookie. A request with one carries
 * no ambient credential: CSRF protection need not apply to it.
 */
export function bearerApiKey(authorization: string | undefined): string | null {
  const token = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  return token?.startsWith('sk_') ? token : null;
}

/** An authenticated key: who it acts for and what it may do. */
export type ApiKeyPrincipal = {
  keyId: string;
  tenantId: string;
  name: string;
  scopes: string[];
  /** Requests a minute; null: the server's default. */
  rateLimitPerMinute: number | null;
  /** The member it acts for (its creator). */
  userId: string;
};

/** The tRPC identity of a key: its creator's user id, capped later by the key's scopes. */
export const apiKeyIdentity = (p: ApiKeyPrincipal): Identity => ({
  kind: 'api_key',
  userId: p.userId,
  email: '',
  name: p.name,
  sessionId: '',
  tenantId: p.tenantId,
  apiKey: { id: p.keyId, name: p.name, scopes: p.scopes },
});

export type ApiKeyResolver = {
  /** The key's principal, or null when it is unknown, malformed, revoked or expired. */
  (key: string): Promise<ApiKeyPrincipal | null>;
  /** Drops a key from this process's cache at once (after its revocation). */
  forget(keyId: string): void;
};

type Log = { warn(obj: object, msg?: string): void };

/**
 * Authenticates API keys by hash through the SECURITY DEFINER look-up (a key names its own
 * tenant). Records are cached `cacheSeconds` so a burst costs one look-up; revocation and
 * expiry are checked on every use of a cached record. `forget` (called on revoke) makes a
 * revocation immediate in this process: the key's entries go, and for one cache lifetime the
 * key is looked up afresh on every request and not cached, so a request racing the revoking
 * transaction's commit cannot re-cache the old record. Other instances see a revocation
 * within `cacheSeconds`.
 *
 * last_used_at is written at most once a minute per key (per process) when the key
 * authenticates, without holding the request up; a failed write is only logged.
 */
export function createApiKeyResolver(
  db: Database,
  opts: { cacheSeconds: number; log: Log; now?: () => number },
): ApiKeyResolver {
  const now = opts.now ?? (() => Date.now());
  const ttl = opts.cacheSeconds * 1000;
  const cache = ttl > 0 ? new LRUCache<string, ApiKeyRecord>({ max: 10_000, ttl }) : undefined;
  /** Keys revoked here lately: key id -> until when they bypass the cache. */
  const revoked = new Map<string, number>();
  const touched = new LRUCache<string, true>({ max: 10_000, ttl: 60_000 });
  const k = schema.apiKeys;

  const recentlyRevoked = (keyId: string) => {
    const until = revoked.get(keyId);
    if (until === undefined) return false;
    if (until > now()) return true;
    revoked.delete(keyId);
    return false;
  };

  const touch = (record: ApiKeyRecord) => {
    if (touched.has(record.keyId)) return;
    touched.set(record.keyId, true);
    db.withTenant(record.tenantId, (tx) =>
      tx
        .update(k)
        .set({ lastUsedAt: new Date(now()) })
        .where(and(eq(k.tenantId, record.tenantId), eq(k.id, record.keyId))),
    ).catch((err: unknown) => {
      touched.delete(record.keyId);
      opts.log.warn({ err, apiKeyId: record.keyId }, 'api key last_used_at not recorded');
    });
  };

  const resolve = async (key: string): Promise<ApiKeyPrincipal | null> => {
    if (!KEY_SHAPE.test(key)) return null;
    const hash = hashApiKey(key);
    let record = cache?.get(hash);
    if (!record || recentlyRevoked(record.keyId)) {
      record = (await db.apiKeyByHash(hash)) ?? undefined;
      if (record && !recentlyRevoked(record.keyId)) cache?.set(hash, record);
    }
    if (!record || record.revokedAt || !record.createdBy) return null;
    if (record.expiresAt && record.expiresAt.getTime() <= now()) return null;
    touch(record);
    return {
      keyId: record.keyId,
      tenantId: record.tenantId,
      name: record.name,
      scopes: record.scopes,
      rateLimitPerMinute: record.rateLimitPerMinute,
      userId: record.createdBy,
    };
  };

  const forget = (keyId: string) => {
    for (const [id, until] of revoked) if (until <= now()) revoked.delete(id);
    revoked.set(keyId, now() + Math.max(ttl, 1000));
    // Few keys are revoked at a time and the cache is bounded: a scan is fine.
    if (cache)
      for (const [hash, record] of cache.entries()) if (record.keyId === keyId) cache.delete(hash);
  };

  return Object.assign(resolve, { forget });
}

/**
 * Of these keys of one tenant, the ones that still authenticate, read afresh (no cache) in one
 * query: not revoked, not expired, and their creator still a member of the tenant. For
 * connections that outlive a request (a /ws socket's heartbeat), so a revocation on any
 * instance, or the creator's departure, is seen at the next check.
 */
export async function liveApiKeys(
  db: Database,
  tenantId: string,
  keyIds: readonly string[],
): Promise<Set<string>> {
  if (keyIds.length === 0) return new Set();
  const k = schema.apiKeys;
  const m = schema.memberships;
  const rows = await db.withTenant(tenantId, (tx) =>
    tx
      .select({ id: k.id })
      .from(k)
      .innerJoin(m, and(eq(m.tenantId, k.tenantId), eq(m.userId, k.createdBy)))
      .where(
        and(
          eq(k.tenantId, tenantId),
          inArray(k.id, [...keyIds]),
          isNull(k.revokedAt),
          or(isNull(k.expiresAt), gt(k.expiresAt, sql`now()`)),
        ),
      ),
  );
  return new Set(rows.map((r) => r.id));
}
