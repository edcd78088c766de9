import { keyFingerprint, type VisitorClaims } from '@platform/auth';
import { schema } from '@platform/db';
import { eq } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Platform } from '../platform.ts';

/**
 * Whether the widget a visitor token was issued for still serves it: it exists, is active, and
 * still has the public key the token was issued for. Deleting, switching off or rotating a
 * widget's key so ends its visitors' sessions too, on every instance within `ttlMs` (the
 * answer is cached that long, so a chatty visitor costs no query per request).
 */
export function createWidgetLiveness(platform: Pick<Platform, 'db'>, ttlMs = 5_000) {
  const cache = new LRUCache<string, boolean>({ max: 10_000, ttl: ttlMs });
  return async (claims: VisitorClaims): Promise<boolean> => {
    const key = `${claims.widgetId}|${claims.keyId}`;
    const known = cache.get(key);
    if (known !== undefined) return known;
    const w = schema.widgets;
    const [widget] = await platform.db.withTenant(claims.tenantId, (tx) =>
      tx
        .select({ publicKey: w.publicKey, isActive: w.isActive })
        .from(w)
        .where(eq(w.id, claims.widgetId)),
    );
    const live = Boolean(widget?.isActive && keyFingerprint(widget.publicKey) === claims.keyId);
    cache.set(key, live);
    return live;
  };
}
