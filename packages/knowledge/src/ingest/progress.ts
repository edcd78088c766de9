import { type Database, schema, type Tx } from '@platform/db';
import { eq } from 'drizzle-orm';
import type { DocumentProgressEvent, KnowledgeEvents } from '../events.ts';

const d = schema.knowledgeDocuments;

export type ProgressUpdate = Pick<DocumentProgressEvent, 'status' | 'stage' | 'progress'> & {
  error?: string | null;
  metadata?: Record<string, unknown>;
};

/** Writes a document's stage and percentage in the caller's transaction. */
export async function writeProgress(tx: Tx, documentId: string, update: ProgressUpdate) {
  await tx
    .update(d)
    .set({
      status: update.status,
      stage: update.stage,
      progress: Math.round(update.progress),
      ...(update.error !== undefined ? { error: update.error } : {}),
      ...(update.metadata ? { metadata: update.metadata } : {}),
    })
    .where(eq(d.id, documentId));
}

/** Reports progress: to the database (for the progress procedure) and as an event. */
export function progressReporter(
  db: Database,
  events: KnowledgeEvents,
  tenantId: string,
  documentId: string,
) {
  const emit = (update: ProgressUpdate) =>
    events.emit({
      type: 'knowledge.document.progress',
      tenantId,
      documentId,
      status: update.status,
      stage: update.stage,
      progress: Math.round(update.progress),
      ...(update.error ? { error: update.error } : {}),
    });
  return {
    emit,
    async report(update: ProgressUpdate) {
      await db.withTenant(tenantId, (tx) => writeProgress(tx, documentId, update));
      emit(update);
    },
  };
}
