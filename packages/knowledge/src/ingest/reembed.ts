import type { Database } from '@platform/db';
import { schema } from '@platform/db';
import { and, eq, isNull, ne, or, sql } from 'drizzle-orm';
import { embeddingText } from '../chunk-text.ts';
import type { Embedder } from '../embed/types.ts';
import { enqueueKnowledgeJob } from '../queue.ts';

const c = schema.knowledgeChunks;
const d = schema.knowledgeDocuments;

const staleModel = (model: string) => or(isNull(c.model), ne(c.model, model));

/**
 * Re-embeds a document's searchable chunks that another model embedded, a batch per
 * transaction. Until a chunk is redone it is found by keyword search only (vector search
 * compares only vectors of the current model). Safe to repeat: it only picks stale chunks.
 */
export async function reembedDocument(
  deps: { db: Database; embedder: Embedder },
  tenantId: string,
  documentId: string,
  signal: AbortSignal,
): Promise<number> {
  const { db, embedder } = deps;
  let redone = 0;
  for (;;) {
    if (signal.aborted) throw new Error('Worker stopping; the job will resume');
    const batch = await db.withTenant(tenantId, (tx) =>
      tx
        .select({ id: c.id, content: c.content, headingPath: c.headingPath, title: d.title })
        .from(c)
        .innerJoin(d, eq(d.id, c.documentId))
        .where(and(eq(c.documentId, documentId), eq(c.active, true), staleModel(embedder.model)))
        .orderBy(c.chunkIndex)
        .limit(embedder.batchSize),
    );
    if (!batch.length) return redone;
    const vectors = await embedder.embed(
      batch.map((r) => embeddingText(r.title, r.headingPath, r.content)),
      'document',
      signal,
    );
    await db.withTenant(tenantId, async (tx) => {
      for (const [i, row] of batch.entries())
        await tx
          .update(c)
          .set({
            model: embedder.model,
            embedding: sql`${`[${(vectors[i] ?? []).join(',')}]`}::vector`,
          })
          .where(eq(c.id, row.id));
    });
    redone += batch.length;
  }
}

/** Queues re-embedding for every document, in any tenant, that another model embedded. */
export async function scheduleReembedding(db: Database, model: string): Promise<number> {
  const stale = await db.documentsToReembed(model);
  for (const { tenantId, documentId } of stale)
    await db.withTenant(tenantId, (tx) =>
      enqueueKnowledgeJob(tx, tenantId, { kind: 'reembed', documentId }),
    );
  return stale.length;
}
