import type { Identity } from '@platform/auth';
import { createWorker, type Database } from '@platform/db';
import type { Log, RequestInfo } from '../context.ts';
import { downloadExport } from './download.ts';
import { PRIVACY_QUEUE } from './queue.ts';
import { runPrivacyJob } from './run.ts';

export interface PrivacyServiceOptions {
  db: Database;
  log: Log;
  /** GDPR_GRACE_DAYS: how long a deletion waits (and can be cancelled). */
  graceDays: number;
  /** GDPR_EXPORT_TTL_DAYS: how long an export's archive can be downloaded. */
  exportTtlDays: number;
  pollMs?: number;
  onUsersDeleted?: () => void;
  onApiKeysRevoked?: (keyIds: string[]) => void;
}

/** What procedures need of the service (Context.privacy). */
export type PrivacySettings = { graceDays: number };

/**
 * GDPR exports and deletions (the privacy router queues them; this runs them). The work is
 * durable jobs on the `privacy` queue: a crashed worker's job is claimed again once its lease
 * runs out, and every step is idempotent. One job per organisation at a time, so an export
 * and an erasure of the same organisation never interleave.
 */
export function createPrivacyService(options: PrivacyServiceOptions) {
  const deps = {
    db: options.db,
    log: options.log,
    exportTtlDays: options.exportTtlDays,
    ...(options.onUsersDeleted ? { onUsersDeleted: options.onUsersDeleted } : {}),
    ...(options.onApiKeysRevoked ? { onApiKeysRevoked: options.onApiKeysRevoked } : {}),
  };
  const worker = createWorker(options.db, {
    queue: PRIVACY_QUEUE,
    concurrency: 1,
    tenantConcurrency: 1,
    // Building a large organisation's archive can take a while; the lease is renewed anyway.
    leaseSeconds: 300,
    pollMs: options.pollMs ?? 2000,
    handle: (job) => runPrivacyJob(deps, job),
    onError: (error, job) =>
      options.log.warn({ err: error, jobId: job.id, tenantId: job.tenantId }, 'privacy job failed'),
  });
  return {
    graceDays: options.graceDays,
    exportTtlDays: options.exportTtlDays,
    download: (identity: Identity, requestId: string, request: RequestInfo) =>
      downloadExport(options.db, identity, requestId, request),
    /** Runs every privacy job due now to its end, then returns (tests, operators). */
    drain: async () => {
      for (;;) {
        const started = await worker.tick();
        while (worker.active() > 0) await new Promise((r) => setTimeout(r, 5));
        if (started === 0) return;
      }
    },
    start: () => worker.start(),
    stop: () => worker.stop(),
  };
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
