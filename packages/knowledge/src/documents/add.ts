import { createHash } from 'node:crypto';
import { schema, type Tx } from '@platform/db';
import { and, eq, sql } from 'drizzle-orm';
import { KnowledgeInputError } from '../input-error.ts';
import { enqueueKnowledgeJob } from '../queue.ts';
import { type DocumentType, sniffType } from '../sniff.ts';
import { adjustTermStats } from '../stats.ts';
import { type DocumentSummary, documentColumns } from './summary.ts';

const d = schema.knowledgeDocuments;
const c = schema.knowledgeChunks;

const MIME: Record<DocumentType, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  html: 'text/html',
  markdown: 'text/markdown',
  csv: 'text/csv',
  text: 'text/plain',
};

export type AddDocumentInput = {
  bytes: Uint8Array;
  /** The uploaded file's name; a hint for sniffing and the default title. */
  fileName: string;
  /** Where it came from (a path or URL). Uploading again from the same source replaces it. */
  source?: string;
  title?: string;
  collectionId?: string | null;
  tags?: string[];
};

export type AddDocumentResult = {
  document: DocumentSummary;
  /** created: new; replaced: new content for an existing source; unchanged: same bytes as before. */
  outcome: 'created' | 'replaced' | 'unchanged';
};

const titleFrom = (fileName: string) =>
  fileName.split(/[\\/]/).pop()?.trim() || 'Untitled document';

/**
 * Stores an upload and queues its ingestion, in the caller's tenant transaction. The type is
 * sniffed from the bytes; identical bytes are one document; new bytes from a known source
 * replace that document's content (its old passages stay searchable until the new ones are
 * ready).
 */
export async function addDocument(
  tx: Tx,
  tenantId: string,
  input: AddDocumentInput,
  limits: { maxBytes: number },
): Promise<AddDocumentResult> {
  const { bytes } = input;
  if (bytes.length === 0) throw new KnowledgeInputError('file', 'file: the file is empty');
  if (bytes.length > limits.maxBytes)
    throw new KnowledgeInputError(
      'file',
      `file: larger than the ${Math.round(limits.maxBytes / 1048576)} MB limit`,
      413,
    );
  const type = sniffType(bytes, input.fileName);
  if (!type)
    throw new KnowledgeInputError(
      'file',
      'file: unsupported type (PDF, DOCX, HTML, Markdown, CSV or plain text)',
      415,
    );
  if (input.collectionId) await assertCollection(tx, input.collectionId);

  const hash = createHash('sha256').update(bytes).digest('hex');
  const [same] = await tx
    .select(documentColumns)
    .from(d)
    .where(and(eq(d.tenantId, tenantId), eq(d.contentHash, hash)));
  if (same) {
    // A failed document gets another try when it is uploaded again.
    if (same.status === 'failed')
      return { document: await requeue(tx, tenantId, same.id, hash), outcome: 'unchanged' };
    return { document: same, outcome: 'unchanged' };
  }

  const source = input.source ?? input.fileName;
  const fields = {
    title: input.title ?? titleFrom(input.fileName),
    mimeType: MIME[type],
    contentHash: hash,
    byteSize: bytes.length,
    status: 'pending' as const,
    stage: 'queued',
    progress: 0,
    error: null,
    ...(input.collectionId !== undefined ? { collectionId: input.collectionId } : {}),
    ...(input.tags ? { tags: input.tags } : {}),
  };
  const [previous] = await tx
    .select({ id: d.id })
    .from(d)
    .where(and(eq(d.tenantId, tenantId), eq(d.sourceUri, source)))
    .for('update');
  let id: string;
  if (previous) {
    await tx.update(d).set(fields).where(eq(d.id, previous.id));
    await syncChunkFilters(tx, previous.id, input);
    id = previous.id;
  } else {
    const [row] = await tx
      .insert(d)
      .values({ tenantId, sourceType: 'upload', sourceUri: source, ...fields })
      .onConflictDoNothing()
      .returning({ id: d.id });
    // Lost a race with an identical concurrent upload: that one is the document.
    if (!row) return addDocument(tx, tenantId, input, limits);
    id = row.id;
  }
  await tx
    .insert(schema.knowledgeFiles)
    .values({ documentId: id, tenantId, contentHash: hash, content: bytes })
    .onConflictDoUpdate({
      target: schema.knowledgeFiles.documentId,
      set: { contentHash: hash, content: bytes },
    });
  await enqueueKnowledgeJob(tx, tenantId, { kind: 'ingest', documentId: id, version: hash });
  const [document] = await tx.select(documentColumns).from(d).where(eq(d.id, id));
  if (!document) throw new Error('addDocument: document vanished');
  return { document, outcome: previous ? 'replaced' : 'created' };
}

async function requeue(tx: Tx, tenantId: string, id: string, hash: string) {
  await tx
    .update(d)
    .set({ status: 'pending', stage: 'queued', progress: 0, error: null })
    .where(eq(d.id, id));
  await enqueueKnowledgeJob(tx, tenantId, { kind: 'ingest', documentId: id, version: hash });
  const [document] = await tx.select(documentColumns).from(d).where(eq(d.id, id));
  if (!document) throw new Error('requeue: document vanished');
  return document;
}

export async function assertCollection(tx: Tx, collectionId: string) {
  const [found] = await tx
    .select({ id: schema.collections.id })
    .from(schema.collections)
    .where(eq(schema.collections.id, collectionId));
  if (!found)
    throw new KnowledgeInputError('collectionId', 'collectionId: collection not found', 404);
}

/** Chunks carry their document's collection and tags so filtered searches need no join. */
export async function syncChunkFilters(
  tx: Tx,
  documentId: string,
  change: { collectionId?: string | null; tags?: string[] },
) {
  const set = {
    ...(change.collectionId !== undefined ? { collectionId: change.collectionId } : {}),
    ...(change.tags ? { tags: change.tags } : {}),
  };
  if (!Object.keys(set).length) return;
  await tx.update(c).set(set).where(eq(c.documentId, documentId));
  // What a scoped search returns changed: cached answers of the old version stop being reused.
  // RLS limits this to the caller's tenant, whose statistics row exists once anything is active.
  await tx.execute(sql`update knowledge_stats set version = version + 1`);
}

/** Removes a document: its searchable chunks leave the BM25 statistics, then everything goes. */
export async function removeDocument(tx: Tx, tenantId: string, documentId: string) {
  const [doc] = await tx
    .select({ id: d.id })
    .from(d)
    .where(and(eq(d.tenantId, tenantId), eq(d.id, documentId)))
    .for('update');
  if (!doc) return false;
  await deactivateAll(tx, tenantId, documentId);
  await tx.delete(d).where(eq(d.id, documentId)); // chunks and original cascade
  return true;
}

/** Takes every searchable version of a document out of the statistics and deletes its chunks. */
export async function deactivateAll(tx: Tx, tenantId: string, documentId: string) {
  const versions = await tx
    .selectDistinct({ version: c.documentVersion })
    .from(c)
    .where(and(eq(c.documentId, documentId), eq(c.active, true)));
  for (const { version } of versions) await adjustTermStats(tx, tenantId, documentId, version, -1);
  await tx.delete(c).where(eq(c.documentId, documentId));
}
