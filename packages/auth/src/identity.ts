import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Database } from '@platform/db';
import { LRUCache } from 'lru-cache';
import type { Auth } from './auth.ts';
import { liveSession, liveTokens, type SessionPolicy } from './session-policy.ts';

/** Who is calling: from the session cookie or an API key, never from request input. */
export type Identity = {
  /** A signed-in session, or a tenant API key (Authorization: Bearer sk_live_...). */
  kind: 'session' | 'api_key';
  /** A key acts for the member who created it (its role capped by the key's scopes). */
  userId: string;
  /** Empty for an API key. */
  email: string;
  /** An API key's name. */
  name: string;
  /** Empty for an API key: it has no session (session procedures must refuse it). */
  sessionId: string;
  /** The tenant the session (or key) acts for; null when the user belongs to none. */
  tenantId: string | null;
  /** Set exactly when kind is 'api_key'. */
  apiKey?: ApiKeyGrant;
};

/** What an API key may do; checked per procedure (see @platform/api api-key-scopes.ts). */
export type ApiKeyGrant = { id: string; name: string; scopes: string[] };

/** Resolves the caller from a request's Cookie header. */
export type IdentityResolver = {
  (cookieHeader: string | undefined): Promise<Identity | null>;
  /** Drops every cached identity (after sign-out, revocations, password changes). */
  invalidate(): void;
  /**
   * Whether the session behind a cookie is still alive, read afresh and without counting as
   * activity (it does not move the idle timeout): for connections that outlive a request.
   */
  alive(cookieHeader: string | undefined): Promise<boolean>;
  /**
   * Which of these Cookie headers still carry a live session: `alive` for many at once, in one
   * auth transaction (one statement per SESSION_BATCH sessions), each session read once however
   * many headers name it. For the heartbeat of every socket an instance holds.
   */
  aliveAll(cookieHeaders: readonly string[]): Promise<Set<string>>;
};

/** Sessions checked per statement by aliveAll (bounded bind parameters per query). */
const SESSION_BATCH = 1_000;

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** `token.signature` as Better Auth signs it: base64 HMAC-SHA256 of the token. */
function verifiedToken(raw: string, secret: string): string | undefined {
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  const dot = value.lastIndexOf('.');
  if (dot < 1) return undefined;
  const token = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), 'base64');
  const expected = createHmac('sha256', secret).update(token).digest();
  return given.length === expected.length && timingSafeEqual(given, expected) ? token : undefined;
}

/**
 * The per-request session check on the hot path: verifies the signed cookie with the same
 * secret and cookie name Better Auth uses, then reads session and user in one auth-role
 * transaction. Better Auth's own getSession does the same and more (cookie caches, plugin
 * hooks) at several times the CPU; both apply the same idle and absolute limits.
 */
export async function createIdentityResolver(
  auth: Auth,
  db: Database,
  opts: { cacheSeconds: number; policy: SessionPolicy },
): Promise<IdentityResolver> {
  const ctx = await auth.$context;
  const cookieName = ctx.authCookies.sessionToken.name;
  const secret = ctx.secret;
  // A burst of requests from one session (a dashboard loading) costs one look-up. Entries
  // live `cacheSeconds`; this process drops them all on any session change it serves, and
  // other processes see a revocation within that bound.
  const cache =
    opts.cacheSeconds > 0
      ? new LRUCache<string, Identity>({ max: 10_000, ttl: opts.cacheSeconds * 1000 })
      : undefined;
  const cacheMs = opts.cacheSeconds * 1000;
  // Also enforces the idle and absolute limits, and keeps last_seen_at (session-policy.ts).
  const lookUp = (token: string) => db.withAuth((tx) => liveSession(tx, token, opts.policy));
  const resolve = async (cookieHeader: string | undefined) => {
    const raw = readCookie(cookieHeader, cookieName);
    if (!raw) return null;
    // Keyed by the signed value: only verified cookies are ever stored, so a hit needs no HMAC.
    const cached = cache?.get(raw);
    if (cached) return cached;
    const token = verifiedToken(raw, secret);
    if (!token) return null;
    const session = await lookUp(token);
    if (!session) return null;
    const { sessionId, tenantId, userId, email, name } = session;
    const identity: Identity = { kind: 'session', sessionId, tenantId, userId, email, name };
    // A cached identity never outlives its session's idle or absolute limit.
    const ttl = Math.floor(Math.min(cacheMs, session.deadline.getTime() - Date.now()));
    if (ttl > 0) cache?.set(raw, identity, { ttl });
    return identity;
  };
  const alive = async (cookieHeader: string | undefined) => {
    const raw = readCookie(cookieHeader, cookieName);
    const token = raw ? verifiedToken(raw, secret) : undefined;
    if (!token) return false;
    return !!(await db.withAuth((tx) => liveSession(tx, token, opts.policy, { touch: false })));
  };
  const aliveAll = async (cookieHeaders: readonly string[]) => {
    const tokenOf = new Map<string, string>();
    for (const header of new Set(cookieHeaders)) {
      const raw = readCookie(header, cookieName);
      const token = raw ? verifiedToken(raw, secret) : undefined;
      if (token) tokenOf.set(header, token);
    }
    const tokens = [...new Set(tokenOf.values())];
    if (tokens.length === 0) return new Set<string>();
    const live = await db.withAuth(async (tx) => {
      const out = new Set<string>();
      for (let i = 0; i < tokens.length; i += SESSION_BATCH)
        for (const t of await liveTokens(tx, tokens.slice(i, i + SESSION_BATCH), opts.policy))
          out.add(t);
      return out;
    });
    return new Set([...tokenOf].filter(([, token]) => live.has(token)).map(([header]) => header));
  };
  return Object.assign(resolve, { invalidate: () => cache?.clear(), alive, aliveAll });
}
