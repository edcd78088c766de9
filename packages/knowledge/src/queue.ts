import { enqueueJob, schema, type Tx } from '@platform/db';
import { and, eq, inArray, sql } from 'drizzle-orm';

/** One queue for all knowledge work, so one per-tenant concurrency limit covers it. */
export const KNOWLEDGE_QUEUE = 'knowledge';

export type KnowledgeJob =
  /** Parse, chunk and embed one version (content hash) of a document. */
  | { kind: 'ingest'; documentId: string; version: string }
  /** Re-embed a document's searchable chunks with the current embedder. */
  | { kind: 'reembed'; documentId: string };

export function parseKnowledgeJob(payload: Record<string, unknown>): KnowledgeJob | undefined {
  const documentId = typeof payload.documentId === 'string' ? payload.documentId : undefined;
  if (!documentId) return undefined;
  if (payload.kind === 'ingest' && typeof payload.version === 'string')
    return { kind: 'ingest', documentId, version: payload.version };
  if (payload.kind === 'reembed') return { kind: 'reembed', documentId };
  return undefined;
}

/** Queues a job unless the same one is already waiting or running (in the caller's transaction). */
export async function enqueueKnowledgeJob(tx: Tx, tenantId: string, job: KnowledgeJob) {
  const j = schema.jobs;
  const [existing] = await tx
    .select({ id: j.id })
    .from(j)
    .where(
      and(
        eq(j.queue, KNOWLEDGE_QUEUE),
        inArray(j.status, ['queued', 'running']),
        sql`${j.payload} @> ${JSON.stringify(job)}::jsonb`,
      ),
    )
    .limit(1);
  if (existing) return existing.id;
  return enqueueJob(tx, tenantId, { queue: KNOWLEDGE_QUEUE, payload: job, maxAttempts: 5 });
}
