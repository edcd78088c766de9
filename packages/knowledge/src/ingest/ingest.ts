import type { Database, Tx } from '@platform/db';
import { schema } from '@platform/db';
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Chunk } from '../chunk.ts';
import { chunkContext, embeddingText } from '../chunk-text.ts';
import { deactivateAll } from '../documents/add.ts';
import type { Embedder } from '../embed/types.ts';
import { ParseError } from '../errors.ts';
import type { KnowledgeEvents } from '../events.ts';
import type { ParserPool } from '../parse/isolated.ts';
import { adjustTermStats } from '../stats.ts';
import { progressReporter, writeProgress } from './progress.ts';

const d = schema.knowledgeDocuments;
const c = schema.knowledgeChunks;

export type IngestDeps = {
  db: Database;
  embedder: Embedder;
  events: KnowledgeEvents;
  parsers: ParserPool;
};

export type IngestAttempt = {
  tenantId: string;
  documentId: string;
  version: string;
  /** This is the job's last attempt: a failure now fails the document. */
  lastAttempt: boolean;
  signal: AbortSignal;
};

/**
 * Turns one version of a document into searchable chunks. Every step is safe to repeat: a
 * run killed at any point is picked up by the queue again, skips the chunks already embedded
 * (unique per document, version and index), and switches the version on in one final
 * transaction. Unreadable files fail the document at once with the parser's reason; other
 * errors are retried with back-off, and the last attempt fails the document.
 */
export async function ingestDocument(deps: IngestDeps, run: IngestAttempt): Promise<void> {
  const { db, embedder } = deps;
  const { tenantId, documentId, version } = run;
  const progress = progressReporter(db, deps.events, tenantId, documentId);

  const loaded = await db.withTenant(tenantId, async (tx) => {
    const [doc] = await tx
      .select({
        title: d.title,
        source: d.sourceUri,
        hash: d.contentHash,
        status: d.status,
        collectionId: d.collectionId,
        tags: d.tags,
        metadata: d.metadata,
      })
      .from(d)
      .where(eq(d.id, documentId));
    if (!doc || doc.hash !== version) return undefined; // deleted or replaced since queued
    if (doc.status === 'ready') return undefined; // this version already finished
    const [file] = await tx
      .select({ content: schema.knowledgeFiles.content, hash: schema.knowledgeFiles.contentHash })
      .from(schema.knowledgeFiles)
      .where(eq(schema.knowledgeFiles.documentId, documentId));
    if (!file || file.hash !== version) return undefined;
    await writeProgress(tx, documentId, { status: 'processing', stage: 'parsing', progress: 2 });
    return { doc, bytes: file.content };
  });
  if (!loaded) return;
  progress.emit({ status: 'processing', stage: 'parsing', progress: 2 });
  const { doc } = loaded;

  try {
    const started = performance.now();
    // The file name (kept as the source) breaks ties between text formats; a custom title may lack it.
    const fileName = doc.source ?? doc.title;
    const parsed = await deps.parsers.parse(new Uint8Array(loaded.bytes), fileName, run.signal);
    const { chunks, pages } = parsed;
    if (!chunks.length) throw new ParseError('empty', 'The file contains no text');
    await progress.report({ status: 'processing', stage: 'embedding', progress: 10 });

    const done = await embeddedIndices(db, tenantId, documentId, version, embedder.model);
    const todo = chunks.filter((chunk) => !done.has(chunk.index));
    let finished = chunks.length - todo.length;
    for (let i = 0; i < todo.length; i += embedder.batchSize) {
      if (run.signal.aborted) throw new Error('Worker stopping; the job will resume');
      const batch = todo.slice(i, i + embedder.batchSize);
      const vectors = await embedder.embed(
        batch.map((chunk) => embeddingText(doc.title, chunk.headingPath, chunk.content)),
        'document',
        run.signal,
      );
      finished += batch.length;
      const pct = 10 + (85 * finished) / chunks.length;
      const written = await db.withTenant(tenantId, async (tx) => {
        if (!(await stillCurrent(tx, documentId, version))) return false;
        await insertChunks(
          tx,
          {
            tenantId,
            documentId,
            version,
            title: doc.title,
            collectionId: doc.collectionId,
            tags: doc.tags,
            model: embedder.model,
          },
          batch,
          vectors,
        );
        await writeProgress(tx, documentId, {
          status: 'processing',
          stage: 'embedding',
          progress: pct,
        });
        return true;
      });
      if (!written) return;
      progress.emit({ status: 'processing', stage: 'embedding', progress: pct });
    }

    if (run.signal.aborted) throw new Error('Worker stopping; the job will resume');
    const metadata = {
      ...doc.metadata,
      type: parsed.type,
      chunks: chunks.length,
      ...(pages ? { pages } : {}),
      characters: chunks.reduce((n, chunk) => n + chunk.content.length, 0),
      processingMs: Math.round(performance.now() - started),
    };
    const activated = await db.withTenant(tenantId, async (tx) => {
      if (!(await stillCurrent(tx, documentId, version, true))) return false;
      await activate(tx, tenantId, documentId, version, chunks.length);
      await writeProgress(tx, documentId, {
        status: 'ready',
        stage: 'ready',
        progress: 100,
        error: null,
        metadata,
      });
      return true;
    });
    if (activated) progress.emit({ status: 'ready', stage: 'ready', progress: 100 });
  } catch (error) {
    const permanent = error instanceof ParseError;
    if (!permanent && !run.lastAttempt) throw error; // the queue retries with back-off
    const reason = permanent
      ? error.message
      : `Processing failed after several attempts: ${error instanceof Error ? error.message : String(error)}`;
    await db.withTenant(tenantId, async (tx) => {
      if (!(await stillCurrent(tx, documentId, version, true))) return;
      // A failed document has no passages: none of this version, none of an older one.
      await deactivateAll(tx, tenantId, documentId);
      await writeProgress(tx, documentId, {
        status: 'failed',
        stage: 'failed',
        progress: 100,
        error: reason,
      });
    });
    progress.emit({ status: 'failed', stage: 'failed', progress: 100, error: reason });
    if (!permanent) throw error;
  }
}

/** The document still exists and still wants this version (optionally locking its row). */
async function stillCurrent(tx: Tx, documentId: string, version: string, lock = false) {
  const q = tx.select({ hash: d.contentHash }).from(d).where(eq(d.id, documentId));
  const [row] = lock ? await q.for('update') : await q;
  return row?.hash === version;
}

/** Chunk indices of this version already embedded by this model (a resumed run skips them). */
async function embeddedIndices(
  db: Database,
  tenantId: string,
  documentId: string,
  version: string,
  model: string,
) {
  const rows = await db.withTenant(tenantId, (tx) =>
    tx
      .select({ index: c.chunkIndex })
      .from(c)
      .where(and(eq(c.documentId, documentId), eq(c.documentVersion, version), eq(c.model, model))),
  );
  return new Set(rows.map((r) => r.index));
}

type ChunkOwner = {
  tenantId: string;
  documentId: string;
  version: string;
  title: string;
  collectionId: string | null;
  tags: string[];
  model: string;
};

/**
 * Writes a batch of chunks, not yet searchable, with their postings (what BM25 scores from:
 * each term of the chunk's search_vector, its frequency and the chunk's length). The lexical
 * index weighs the title and headings (A) above the passage; token_count is the passage
 * length BM25 normalises by. A re-run batch (a resumed job) keeps its chunks' search_vector
 * and token_count, so postings already written stay as they are.
 */
async function insertChunks(tx: Tx, owner: ChunkOwner, batch: Chunk[], vectors: number[][]) {
  const rows = batch.map((chunk, i) => ({
    idx: chunk.index,
    content: chunk.content,
    heading_path: chunk.headingPath,
    page: chunk.page ?? null,
    context: chunkContext(owner.title, chunk.headingPath),
    embedding: `[${(vectors[i] ?? []).join(',')}]`,
  }));
  await tx.execute(sql`
    insert into knowledge_chunks (tenant_id, document_id, document_version, chunk_index, content,
      heading_path, page, model, embedding, search_vector, token_count, collection_id, tags, active)
    select ${owner.tenantId}::uuid, ${owner.documentId}::uuid, ${owner.version}, x.idx, x.content,
           x.heading_path, x.page, ${owner.model}, x.embedding::vector, x.tsv,
           (select coalesce(sum(cardinality(u.positions)), 0) from unnest(x.tsv) u),
           ${owner.collectionId}::uuid, ${sql.param(owner.tags)}::text[], false
      from (select r.*, setweight(to_tsvector('english', r.context), 'A') || to_tsvector('english', r.content) as tsv
              from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
                as r(idx int, content text, heading_path text[], page int, context text, embedding text)) x
    on conflict (document_id, document_version, chunk_index) do update
      set embedding = excluded.embedding, model = excluded.model`);
  await tx.execute(sql`
    insert into knowledge_postings (tenant_id, term, chunk_id, tf, chunk_token_count)
    select c.tenant_id, u.lexeme, c.id, cardinality(u.positions), c.token_count
      from knowledge_chunks c cross join lateral unnest(c.search_vector) u
     where c.document_id = ${owner.documentId}::uuid and c.document_version = ${owner.version}
       and c.chunk_index = any(${sql.param(rows.map((r) => r.idx))}::int[])
    on conflict do nothing`);
}

/**
 * Makes a finished version the searchable one, in one transaction: the previous version (if
 * any) leaves the BM25 statistics and is deleted, the new one joins them and is switched on.
 */
async function activate(
  tx: Tx,
  tenantId: string,
  documentId: string,
  version: string,
  count: number,
) {
  const old = await tx
    .selectDistinct({ version: c.documentVersion, active: c.active })
    .from(c)
    .where(and(eq(c.documentId, documentId), ne(c.documentVersion, version)));
  for (const o of old) if (o.active) await adjustTermStats(tx, tenantId, documentId, o.version, -1);
  await tx.delete(c).where(and(eq(c.documentId, documentId), ne(c.documentVersion, version)));
  await tx
    .delete(c)
    .where(
      and(
        eq(c.documentId, documentId),
        eq(c.documentVersion, version),
        sql`${c.chunkIndex} >= ${count}`,
      ),
    );
  await tx
    .update(c)
    .set({ active: true })
    .where(and(eq(c.documentId, documentId), eq(c.documentVersion, version)));
  await adjustTermStats(tx, tenantId, documentId, version, 1);
}
