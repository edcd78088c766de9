import { createWorker, type Database } from '@platform/db';
import type { Embedder } from './embed/types.ts';
import { KnowledgeEvents } from './events.ts';
import { ingestDocument } from './ingest/ingest.ts';
import { reembedDocument, scheduleReembedding } from './ingest/reembed.ts';
import { ParserPool } from './parse/isolated.ts';
import { KNOWLEDGE_QUEUE, parseKnowledgeJob } from './queue.ts';

export type KnowledgeLog = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
};

export type KnowledgeServiceOptions = {
  embedder: Embedder;
  /** Largest accepted upload. */
  maxUploadBytes: number;
  /** Jobs this process runs at once. */
  concurrency?: number;
  /** Jobs one tenant may run at once, across processes. */
  tenantConcurrency?: number;
  /** How often an idle worker looks for jobs. */
  pollMs?: number;
  /** How long a claimed job stays with its worker without a heartbeat (crash recovery time). */
  leaseSeconds?: number;
  log?: KnowledgeLog;
};

/**
 * The knowledge base's long-lived parts: the embedder, the ingestion worker on the durable
 * queue, and the progress events. Entry points (tRPC, REST, CLI) share one per process.
 */
export function createKnowledgeService(db: Database, options: KnowledgeServiceOptions) {
  const { embedder, log } = options;
  const events = new KnowledgeEvents();
  const parsers = new ParserPool({ size: options.concurrency ?? 2 });
  const worker = createWorker(db, {
    queue: KNOWLEDGE_QUEUE,
    concurrency: options.concurrency ?? 2,
    tenantConcurrency: options.tenantConcurrency ?? 1,
    leaseSeconds: options.leaseSeconds ?? 60,
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    handle: async (job, { signal }) => {
      const task = parseKnowledgeJob(job.payload);
      if (!task) return; // malformed payload: nothing to retry
      if (task.kind === 'reembed') {
        const n = await reembedDocument({ db, embedder }, job.tenantId, task.documentId, signal);
        log?.info({ documentId: task.documentId, chunks: n }, 'document re-embedded');
        return;
      }
      await ingestDocument(
        { db, embedder, events, parsers },
        {
          tenantId: job.tenantId,
          documentId: task.documentId,
          version: task.version,
          lastAttempt: job.attempt >= job.maxAttempts,
          signal,
        },
      );
    },
    onError: (error, job) =>
      log?.warn(
        {
          jobId: job.id,
          attempt: job.attempt,
          err: error instanceof Error ? error.message : String(error),
        },
        'knowledge job failed',
      ),
  });

  return {
    embedder,
    events,
    maxUploadBytes: options.maxUploadBytes,
    /** Starts the worker and queues re-embedding of anything another model embedded. */
    async start() {
      worker.start();
      const stale = await scheduleReembedding(db, embedder.model);
      if (stale) {
        log?.info({ documents: stale, model: embedder.model }, 're-embedding queued');
        worker.nudge();
      }
    },
    /** New work was queued: claim it now rather than at the next poll. */
    nudge: () => worker.nudge(),
    /** Stops claiming; running jobs finish their batch and resume elsewhere or on restart. */
    stop: async () => {
      await worker.stop();
      await parsers.close();
    },
    active: () => worker.active(),
  };
}

export type KnowledgeService = ReturnType<typeof createKnowledgeService>;
