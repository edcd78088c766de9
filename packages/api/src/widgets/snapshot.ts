import { type Database, schema } from '@platform/db';
import { eq } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { resolveWidgetSettings, type WidgetSettings } from './settings.ts';

/** What the public side needs of a widget: whether it serves, with which key, scope and limits. */
export interface WidgetSnapshot {
  publicKey: string;
  isActive: boolean;
  collectionId: string | null;
  settings: WidgetSettings;
}

/**
 * A widget as its visitors' requests see it, read once per `ttlMs` per instance: every visitor
 * request checks the widget still serves its key, every message counts against its limits and
 * searches its collection, and one cached read answers all three. Changes made through the
 * widgets router reach every instance within `ttlMs`. Null for a widget that does not exist
 * (in that tenant: the read runs under its row-level security). Must not be called inside
 * another tenant transaction (PGlite has one connection).
 */
export function createWidgetSnapshots(db: Database, ttlMs = 5_000) {
  const cache = new LRUCache<string, WidgetSnapshot | false>({ max: 10_000, ttl: ttlMs });
  return async (tenantId: string, widgetId: string): Promise<WidgetSnapshot | null> => {
    const key = `${tenantId}|${widgetId}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached || null;
    const w = schema.widgets;
    const [row] = await db.withTenant(tenantId, (tx) =>
      tx
        .select({
          publicKey: w.publicKey,
          isActive: w.isActive,
          collectionId: w.collectionId,
          settings: w.settings,
        })
        .from(w)
        .where(eq(w.id, widgetId)),
    );
    const snapshot = row ? { ...row, settings: resolveWidgetSettings(row.settings) } : null;
    cache.set(key, snapshot ?? false);
    return snapshot;
  };
}

export type WidgetSnapshots = ReturnType<typeof createWidgetSnapshots>;
