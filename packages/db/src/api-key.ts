import { sql } from 'drizzle-orm';
import type { Tx } from './types.ts';

/** What authenticating an API key needs to know, before any tenant is known. */
export type ApiKeyRecord = {
  keyId: string;
  tenantId: string;
  name: string;
  scopes: string[];
  /** Requests a minute; null: the server's default. */
  rateLimitPerMinute: number | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** The member who created it (null once that user is deleted). */
  createdBy: string | null;
};

const asDate = (v: unknown): Date | null => (v == null ? null : new Date(v as string | Date));

/**
 * A key by the SHA-256 hex of its secret (SECURITY DEFINER look-up), revoked and expired ones
 * included so the caller decides; null when no key has that hash.
 */
export async function apiKeyByHashIn(tx: Tx, keyHash: string): Promise<ApiKeyRecord | null> {
  const result = await tx.execute(sql`select * from platform_api_key_by_hash(${keyHash})`);
  const row = (result as unknown as { rows: Record<string, unknown>[] }).rows[0];
  if (!row) return null;
  return {
    keyId: String(row.key_id),
    tenantId: String(row.tenant_id),
    name: String(row.name),
    scopes: (row.scopes as string[] | null) ?? [],
    rateLimitPerMinute:
      row.rate_limit_per_minute == null ? null : Number(row.rate_limit_per_minute),
    expiresAt: asDate(row.expires_at),
    revokedAt: asDate(row.revoked_at),
    createdBy: row.created_by ? String(row.created_by) : null,
  };
}
