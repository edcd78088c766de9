import { and, eq, sql } from 'drizzle-orm';
import * as schema from '../schema/index.ts';
import type { Database } from '../types.ts';
import type { ClaimedJob } from './claim.ts';

export type JobContext = {
  /** Aborted when the worker stops; long handlers should give up and let the job retry. */
  signal: AbortSignal;
};

export type WorkerOptions = {
  queue: string;
  handle: (job: ClaimedJob, ctx: JobContext) => Promise<void>;
  /** Jobs this process runs at once. */
  concurrency?: number;
  /** Jobs one tenant may have running at once, across every worker process. */
  tenantConcurrency?: number;
  /** A claimed job belongs to its worker this long; the worker renews it while running. */
  leaseSeconds?: number;
  /** How often an idle worker looks for due jobs. */
  pollMs?: number;
  /** Delay before retry `attempt` (1-based) after a failure. */
  backoffMs?: (attempt: number) => number;
  onError?: (error: unknown, job: ClaimedJob) => void;
};

/** 2 s, 4 s, 8 s ... capped at 10 minutes, with ±20% jitter so retries do not stampede. */
export const exponentialBackoff = (attempt: number) =>
  Math.min(2 ** attempt * 1000, 600_000) * (0.8 + Math.random() * 0.4);

const j = schema.jobs;

/**
 * A polling worker over the durable job queue. Claims go through the SECURITY DEFINER
 * function (SKIP LOCKED, per-tenant limits, expired leases reclaimed, so a crashed worker's
 * jobs resume); everything else runs in withTenant under the job's own tenant.
 */
export function createWorker(db: Database, options: WorkerOptions) {
  const o = {
    concurrency: 2,
    tenantConcurrency: 2,
    leaseSeconds: 60,
    pollMs: 1000,
    backoffMs: exponentialBackoff,
    ...options,
  };
  const running = new Set<Promise<void>>();
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const settle = (job: ClaimedJob, error?: unknown) =>
    db.withTenant(job.tenantId, async (tx) => {
      const mine = and(eq(j.id, job.id), eq(j.status, 'running'), eq(j.attempts, job.attempt));
      if (error === undefined) {
        await tx
          .update(j)
          .set({ status: 'succeeded', lockedUntil: null, lastError: null })
          .where(mine);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const final = job.attempt >= job.maxAttempts;
      await tx
        .update(j)
        .set({
          status: final ? 'failed' : 'queued',
          lockedUntil: null,
          lastError: message.slice(0, 2000),
          ...(final
            ? {}
            : {
                runAt: sql`now() + make_interval(secs => ${o.backoffMs(job.attempt) / 1000}::double precision)`,
              }),
        })
        .where(mine);
    });

  const renewLease = (job: ClaimedJob) =>
    db.withTenant(job.tenantId, (tx) =>
      tx
        .update(j)
        .set({
          lockedUntil: sql`now() + make_interval(secs => ${o.leaseSeconds}::double precision)`,
        })
        .where(and(eq(j.id, job.id), eq(j.status, 'running'), eq(j.attempts, job.attempt))),
    );

  const run = async (job: ClaimedJob) => {
    const heartbeat = setInterval(
      () => {
        renewLease(job).catch((e) => o.onError?.(e, job));
      },
      (o.leaseSeconds * 1000) / 3,
    );
    try {
      await o.handle(job, { signal: stopping.signal });
      clearInterval(heartbeat);
      await settle(job);
    } catch (error) {
      clearInterval(heartbeat);
      o.onError?.(error, job);
      await settle(job, error).catch((e) => o.onError?.(e, job));
    }
  };

  /** Claims and starts what fits; returns how many jobs it started. */
  const tick = async (): Promise<number> => {
    const free = o.concurrency - running.size;
    if (free <= 0 || stopping.signal.aborted) return 0;
    const jobs = await db.claimJobs(o.queue, {
      limit: free,
      leaseSeconds: o.leaseSeconds,
      tenantLimit: o.tenantConcurrency,
    });
    for (const job of jobs) {
      const p = run(job).finally(() => {
        running.delete(p);
        wake?.();
      });
      running.add(p);
    }
    return jobs.length;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  return {
    tick,
    /** Runs until stop(); a busy worker keeps claiming, an idle one polls. */
    start() {
      loop ??= (async () => {
        while (!stopping.signal.aborted) {
          let started = 0;
          try {
            started = await tick();
          } catch {
            // database unreachable: wait and try again
          }
          if (!started || running.size >= o.concurrency) await sleep(o.pollMs);
        }
      })();
    },
    /** New jobs were queued: look now instead of at the next poll. */
    nudge: () => wake?.(),
    /** Stops claiming and waits for running jobs to settle. */
    async stop() {
      stopping.abort();
      wake?.();
      await loop;
      await Promise.allSettled([...running]);
    },
    active: () => running.size,
  };
}

export type Worker = ReturnType<typeof createWorker>;
