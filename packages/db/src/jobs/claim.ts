import { sql } from 'drizzle-orm';
import type { Tx } from '../types.ts';

export type ClaimedJob = {
  id: string;
  tenantId: string;
  payload: Record<string, unknown>;
  /** This attempt's number, starting at 1. */
  attempt: number;
  maxAttempts: number;
};

export type ClaimOptions = {
  limit: number;
  leaseSeconds: number;
  /** Live leases one tenant may hold on this queue, across every worker. */
  tenantLimit: number;
};

/** Runs the SECURITY DEFINER claim in a runtime transaction that has no tenant of its own. */
export async function claimJobsIn(tx: Tx, queue: string, o: ClaimOptions): Promise<ClaimedJob[]> {
  const result = await tx.execute(
    sql`select * from platform_claim_jobs(${queue}, ${o.limit}, ${o.leaseSeconds}, ${o.tenantLimit})`,
  );
  return (result as unknown as { rows: Record<string, unknown>[] }).rows.map((r) => ({
    id: String(r.id),
    tenantId: String(r.tenant_id),
    payload: (r.payload ?? {}) as Record<string, unknown>,
    attempt: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
  }));
}
