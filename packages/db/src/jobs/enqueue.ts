import * as schema from '../schema/index.ts';
import type { Tx } from '../types.ts';

export type NewJob = {
  queue: string;
  payload?: Record<string, unknown>;
  /** Not before this time (default: now). */
  runAt?: Date;
  maxAttempts?: number;
};

/**
 * Queues a job for the transaction's tenant, in the caller's transaction: the job exists
 * exactly when the work that asked for it commits.
 */
export async function enqueueJob(tx: Tx, tenantId: string, job: NewJob): Promise<string> {
  const [row] = await tx
    .insert(schema.jobs)
    .values({
      tenantId,
      queue: job.queue,
      payload: job.payload ?? {},
      ...(job.runAt ? { runAt: job.runAt } : {}),
      ...(job.maxAttempts ? { maxAttempts: job.maxAttempts } : {}),
    })
    .returning({ id: schema.jobs.id });
  if (!row) throw new Error('enqueueJob: insert returned no row');
  return row.id;
}
