import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Database, schema } from '@platform/db';
import { and, eq, gt } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Auth } from './auth.ts';

/** Who is calling: from the session cookie, never from request input. */
export type Identity = {
  userId: string;
  email: string;
  name: string;
  sessionId: string;
  /** The tenant the session acts for; null when the user belongs to none. */
  tenantId: string | null;
};

/** Resolves the caller from a request's Cookie header. */
export type IdentityResolver = {
  (cookieHeader: string | undefined): Promise<Identity | null>;
  /** Drops every cached identity (after sign-out, revocations, password changes). */
  invalidate(): void;
};

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
 * hooks, sliding refresh) at several times the CPU; its /api/auth/get-session endpoint still
 * slides the expiry for clients that call it.
 */
export async function createIdentityResolver(
  auth: Auth,
  db: Database,
  opts: { cacheSeconds: number },
): Promise<IdentityResolver> {
  const ctx = await auth.$context;
  const cookieName = ctx.authCookies.sessionToken.name;
  const secret = ctx.secret;
  const s = schema.authSessions;
  const u = schema.users;
  // A burst of requests from one session (a dashboard loading) costs one look-up. Entries
  // live `cacheSeconds`; this process drops them all on any session change it serves, and
  // other processes see a revocation within that bound.
  const cache =
    opts.cacheSeconds > 0
      ? new LRUCache<string, Identity>({ max: 10_000, ttl: opts.cacheSeconds * 1000 })
      : undefined;
  const lookUp = async (token: string): Promise<Identity | null> => {
    const [row] = await db.withAuth((tx) =>
      tx
        .select({
          sessionId: s.id,
          tenantId: s.activeTenantId,
          userId: u.id,
          email: u.email,
          name: u.name,
        })
        .from(s)
        .innerJoin(u, eq(u.id, s.userId))
        .where(and(eq(s.token, token), gt(s.expiresAt, new Date()))),
    );
    return row ?? null;
  };
  const resolve = async (cookieHeader: string | undefined) => {
    const raw = readCookie(cookieHeader, cookieName);
    if (!raw) return null;
    // Keyed by the signed value: only verified cookies are ever stored, so a hit needs no HMAC.
    const cached = cache?.get(raw);
    if (cached) return cached;
    const token = verifiedToken(raw, secret);
    if (!token) return null;
    const identity = await lookUp(token);
    if (identity) cache?.set(raw, identity);
    return identity;
  };
  return Object.assign(resolve, { invalidate: () => cache?.clear() });
}
