import { createWidget } from '@platform/api';
import type { Config } from '@platform/config';
import { type Database, schema, type Tx } from '@platform/db';
import { and, asc, eq, sql } from 'drizzle-orm';
import { tenantBySlug } from '../tenant-by-slug.ts';
import { DEMO } from './constants.ts';

const w = schema.widgets;

/**
 * Where the demo page is opened from: PUBLIC_URL, and this machine by name and by address,
 * since `npm start` prints one and people type the other.
 */
export function demoWidgetOrigins(config: Pick<Config, 'PUBLIC_URL' | 'PORT'>): string[] {
  const origins = [
    config.PUBLIC_URL,
    `http://localhost:${config.PORT}`,
    `http://127.0.0.1:${config.PORT}`,
  ].map((u) => new URL(u).origin);
  return [...new Set(origins)];
}

/** Made like any widget (key, settings, audit), by the platform rather than an admin. */
async function insertDemoWidget(tx: Tx, tenantId: string, allowedOrigins: string[]) {
  const widget = await createWidget(
    tx,
    tenantId,
    { name: DEMO.widgetName, allowedOrigins, settings: { greeting: DEMO.greeting } },
    null,
  );
  return widget.publicKey;
}

/** The demo widget's public key, creating the widget once (a second instance waits, then finds it). */
export function ensureDemoWidget(
  db: Database,
  tenantId: string,
  allowedOrigins: string[],
): Promise<string> {
  return db.withTenant(tenantId, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`demo-widget:${tenantId}`}))`);
    const [found] = await tx
      .select({ publicKey: w.publicKey })
      .from(w)
      .where(eq(w.name, DEMO.widgetName))
      .orderBy(asc(w.createdAt))
      .limit(1);
    return found?.publicKey ?? insertDemoWidget(tx, tenantId, allowedOrigins);
  });
}

/** The demo tenant's active demo widget key, or null when there is no (finished) demo. */
export async function findDemoWidget(db: Database): Promise<string | null> {
  const tenant = await tenantBySlug(db, DEMO.slug, { createIfMissing: false });
  if (!tenant) return null;
  const [row] = await db.withTenant(tenant.id, (tx) =>
    tx
      .select({ publicKey: w.publicKey })
      .from(w)
      .where(and(eq(w.name, DEMO.widgetName), eq(w.isActive, true)))
      .orderBy(asc(w.createdAt))
      .limit(1),
  );
  return row?.publicKey ?? null;
}
