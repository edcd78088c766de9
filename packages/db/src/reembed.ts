import { sql } from 'drizzle-orm';
import type { Tx } from './types.ts';

export type StaleDocument = { tenantId: string; documentId: string };

/**
 * Documents, across tenants, whose searchable chunks were embedded by a model other than
 * `model` (SECURITY DEFINER look-up returning ids only), so a changed embedder re-embeds them.
 */
export async function documentsToReembedIn(tx: Tx, model: string): Promise<StaleDocument[]> {
  const result = await tx.execute(sql`select * from platform_documents_to_reembed(${model})`);
  return (result as unknown as { rows: Record<string, unknown>[] }).rows.map((r) => ({
    tenantId: String(r.tenant_id),
    documentId: String(r.document_id),
  }));
}
