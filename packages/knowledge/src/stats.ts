import type { Tx } from '@platform/db';
import { sql } from 'drizzle-orm';

/**
 * Adds (+1) or removes (-1) one version of a document's chunks from its tenant's BM25
 * statistics: chunks per term (document frequency), chunk count and total length. Called
 * exactly when a version becomes or stops being searchable, so the statistics always
 * describe the active chunks. Terms are upserted in sorted order so concurrent
 * finalisations take row locks in the same order and cannot deadlock.
 */
export async function adjustTermStats(
  tx: Tx,
  tenantId: string,
  documentId: string,
  version: string,
  sign: 1 | -1,
): Promise<void> {
  const ofVersion = sql`c.document_id = ${documentId} and c.document_version = ${version}`;
  await tx.execute(sql`
    insert into knowledge_terms (tenant_id, term, document_frequency)
    select ${tenantId}::uuid, u.lexeme, ${sign}::int * count(*)::int
      from knowledge_chunks c, unnest(c.search_vector) u
     where ${ofVersion}
     group by u.lexeme
     order by u.lexeme
    on conflict (tenant_id, term) do update
      set document_frequency = knowledge_terms.document_frequency + excluded.document_frequency`);
  if (sign < 0)
    await tx.execute(sql`
      delete from knowledge_terms t
       where t.tenant_id = ${tenantId} and t.document_frequency <= 0
         and t.term in (select u.lexeme from knowledge_chunks c, unnest(c.search_vector) u where ${ofVersion})`);
  await tx.execute(sql`
    insert into knowledge_stats (tenant_id, chunk_count, total_length, version)
    select ${tenantId}::uuid, ${sign}::int * count(*), ${sign}::int * coalesce(sum(c.token_count), 0), 1
      from knowledge_chunks c where ${ofVersion}
    on conflict (tenant_id) do update
      set chunk_count = knowledge_stats.chunk_count + excluded.chunk_count,
          total_length = knowledge_stats.total_length + excluded.total_length,
          version = knowledge_stats.version + 1`);
}

/**
 * Marks that what search can return has changed in a way the term statistics do not show
 * (a document moved to another collection, its tags changed), so answers cached against the
 * previous knowledge-base version are not reused.
 */
export async function bumpKnowledgeVersion(tx: Tx, tenantId: string): Promise<void> {
  await tx.execute(sql`
    insert into knowledge_stats (tenant_id, version) values (${tenantId}, 1)
    on conflict (tenant_id) do update set version = knowledge_stats.version + 1`);
}

/** The tenant's knowledge-base version (0 before anything was ingested). */
export async function knowledgeVersion(tx: Tx, tenantId: string): Promise<number> {
  const rows = await tx.execute(
    sql`select version from knowledge_stats where tenant_id = ${tenantId}`,
  );
  const row = (rows as unknown as { rows: { version: string | number }[] }).rows[0];
  return row ? Number(row.version) : 0;
}
