import { sql } from 'drizzle-orm';
import type { Tx } from './types.ts';

/** What admitting a widget visitor needs to know, before any tenant is known. */
export type WidgetAdmission = {
  widgetId: string;
  tenantId: string;
  allowedOrigins: string[];
  personalityId: string | null;
  settings: Record<string, unknown>;
};

/** An active widget by its public key (SECURITY DEFINER look-up), or null. */
export async function widgetByKeyIn(tx: Tx, publicKey: string): Promise<WidgetAdmission | null> {
  const result = await tx.execute(sql`select * from platform_widget_by_key(${publicKey})`);
  const row = (result as unknown as { rows: Record<string, unknown>[] }).rows[0];
  if (!row) return null;
  return {
    widgetId: String(row.widget_id),
    tenantId: String(row.tenant_id),
    allowedOrigins: (row.allowed_origins as string[] | null) ?? [],
    personalityId: row.personality_id ? String(row.personality_id) : null,
    settings: (row.settings as Record<string, unknown> | null) ?? {},
  };
}
