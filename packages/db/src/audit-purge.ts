import { sql } from 'drizzle-orm';
import type { Tx } from './types.ts';

/**
 * Deletes every tenant's audit entries older than `before`, through the SECURITY DEFINER
 * function `platform_purge_audit_logs`: the runtime role itself may never DELETE from
 * audit_logs (append-only, DESIGN section 3), so retention has this one narrow path.
 */
export async function purgeAuditLogsIn(tx: Tx, before: Date): Promise<number> {
  const result = await tx.execute(
    sql`select platform_purge_audit_logs(${before.toISOString()}::timestamptz)::bigint as deleted`,
  );
  const row = (result as unknown as { rows: { deleted: string | number | null }[] }).rows[0];
  return Number(row?.deleted ?? 0);
}

/** PostgreSQL's undefined_function, directly or wrapped by drizzle ("Failed query: ..."). */
function isUndefinedFunction(error: unknown): boolean {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  return e?.code === '42883' || e?.cause?.code === '42883';
}

/** Runs a purge; null when the database does not have the purge function yet. */
export async function purgeOrNull(run: () => Promise<number>): Promise<number | null> {
  try {
    return await run();
  } catch (error) {
    if (isUndefinedFunction(error)) return null;
    throw error;
  }
}
