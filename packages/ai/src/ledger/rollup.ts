import { enqueueJob, schema, type Tx } from '@platform/db';
import { and, eq, sql } from 'drizzle-orm';

export const COST_QUEUE = 'costs';
/** Roll-ups wait this long so a burst of calls is summed in one job. */
const ROLLUP_DELAY_MS = 30_000;

const j = schema.jobs;

/** Queues the roll-up of one tenant-day, unless one is already waiting (in the caller's transaction). */
export async function scheduleRollup(tx: Tx, tenantId: string, day: string): Promise<void> {
  const payload = { kind: 'rollup', day };
  const [existing] = await tx
    .select({ id: j.id })
    .from(j)
    .where(
      and(
        eq(j.queue, COST_QUEUE),
        eq(j.status, 'queued'),
        sql`${j.payload} @> ${JSON.stringify(payload)}::jsonb`,
      ),
    )
    .limit(1);
  if (existing) return;
  await enqueueJob(tx, tenantId, {
    queue: COST_QUEUE,
    payload,
    runAt: new Date(Date.now() + ROLLUP_DELAY_MS),
    maxAttempts: 10,
  });
}

/**
 * Rebuilds one tenant-day of cost_summaries from cost_events. It recomputes rather than adds,
 * so running it twice, or after a crash half-way, gives the same rows.
 */
export async function rollupDay(tx: Tx, tenantId: string, day: string): Promise<number> {
  const cs = schema.costSummaries;
  await tx.delete(cs).where(and(eq(cs.tenantId, tenantId), eq(cs.day, day)));
  const result = await tx.execute(sql`
    insert into cost_summaries
      (tenant_id, day, provider, model, tier, requests, failures, input_tokens, output_tokens,
       cached_input_tokens, cost_micros)
    select tenant_id, ${day}::date, provider, model, coalesce(tier, 0),
           count(*) filter (where outcome <> 'cache_hit'),
           count(*) filter (where outcome not in ('ok', 'cache_hit')),
           sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), sum(cost_micros)
      from cost_events
     where tenant_id = ${tenantId}
       and created_at >= (${day}::date)::timestamp at time zone 'UTC'
       and created_at < (${day}::date + 1)::timestamp at time zone 'UTC'
     group by tenant_id, provider, model, coalesce(tier, 0)`);
  return (result as unknown as { rowCount?: number; affectedRows?: number }).rowCount ?? 0;
}
