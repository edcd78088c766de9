import { COST_QUEUE, microsToUsd } from '@platform/ai';
import { schema, type Tx } from '@platform/db';
import {
  and,
  eq,
  gte,
  inArray,
  lt,
  lte,
  ne,
  notInArray,
  type SQL,
  type SQLWrapper,
  sql,
} from 'drizzle-orm';
import { z } from 'zod';
import { tenantProcedure } from '../../procedures.ts';

const cs = schema.costSummaries;
const ce = schema.costEvents;
const j = schema.jobs;

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;
const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
const nextDay = (day: string) => new Date((dayNumber(day) + 1) * DAY_MS);
// PostgreSQL has no year 0 (0000-01-01 failed the query as a 500); no costs predate 1970.
const isoDay = () =>
  z.iso
    .date({ message: 'must be a date as YYYY-MM-DD' })
    .refine((day) => day >= '1970-01-01', { message: 'must be 1970-01-01 or later' });

export const summaryInput = z
  .strictObject({
    from: isoDay(),
    /** Inclusive. */
    to: isoDay(),
    groupBy: z.enum(['model', 'tier', 'day']),
  })
  .superRefine((v, issues) => {
    const days = dayNumber(v.to) - dayNumber(v.from) + 1;
    if (days < 1)
      issues.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
    else if (days > MAX_DAYS)
      issues.addIssue({
        code: 'custom',
        path: ['to'],
        message: `the range may span at most ${MAX_DAYS} days`,
      });
  });

type GroupBy = z.infer<typeof summaryInput>['groupBy'];

/** The bucket a row falls in, as text: `provider:model`, the tier (0: not routed) or the day. */
function summaryKey(groupBy: GroupBy): SQL<string> {
  if (groupBy === 'model') return sql<string>`${cs.provider} || ':' || ${cs.model}`;
  if (groupBy === 'tier') return sql<string>`${cs.tier}::text`;
  return sql<string>`to_char(${cs.day}, 'YYYY-MM-DD')`;
}

const eventDay = () => sql<string>`to_char(${ce.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;

/** The same buckets from raw events; cost_summaries stores a missing tier as 0. */
function eventKey(groupBy: GroupBy): SQL<string> {
  if (groupBy === 'model') return sql<string>`${ce.provider} || ':' || ${ce.model}`;
  if (groupBy === 'tier') return sql<string>`coalesce(${ce.tier}, 0)::text`;
  return eventDay();
}

const total = (column: SQLWrapper) =>
  sql<number>`coalesce(sum(${column}), 0)::bigint`.mapWith(Number);
const counted = (condition: SQL) =>
  sql<number>`count(*) filter (where ${condition})::bigint`.mapWith(Number);

type Totals = {
  requests: number;
  failures: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costMicros: number;
};
type Bucket = Totals & { key: string };

const zero = (): Totals => ({
  requests: 0,
  failures: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  costMicros: 0,
});

function add(into: Totals, row: Totals): void {
  into.requests += row.requests;
  into.failures += row.failures;
  into.inputTokens += row.inputTokens;
  into.outputTokens += row.outputTokens;
  into.cachedInputTokens += row.cachedInputTokens;
  into.costMicros += row.costMicros;
}

/** Days whose roll-up is still queued, running or failed: cost_summaries may lag cost_events. */
async function pendingRollupDays(tx: Tx, tenantId: string): Promise<string[]> {
  const rows = await tx
    .selectDistinct({ day: sql<string | null>`${j.payload}->>'day'` })
    .from(j)
    .where(and(eq(j.tenantId, tenantId), eq(j.queue, COST_QUEUE), ne(j.status, 'succeeded')));
  return rows.flatMap((r) => (r.day && /^\d{4}-\d{2}-\d{2}$/.test(r.day) ? [r.day] : []));
}

/**
 * Spend per model, tier or day over an inclusive UTC date range, with totals.
 *
 * cost_summaries is rebuilt by a roll-up job about 30 s after calls, so it lags. Days in the
 * range that are today (UTC), or whose roll-up is still pending, are summed straight from
 * cost_events with the same rules as the roll-up (requests exclude cache hits; failures are
 * neither ok nor cache hits; a missing tier is 0); every other day comes from cost_summaries.
 * Each day is read from exactly one of the two, so nothing is counted twice.
 */
export const summary = tenantProcedure.input(summaryInput).query(async ({ ctx, input }) => {
  const { from, to, groupBy } = input;
  const today = new Date().toISOString().slice(0, 10);
  const live = [...new Set([today, ...(await pendingRollupDays(ctx.tx, ctx.tenantId))])]
    .filter((day) => day >= from && day <= to)
    .sort();

  const rolledKey = summaryKey(groupBy);
  const rolled: Bucket[] = await ctx.tx
    .select({
      key: rolledKey,
      requests: total(cs.requests),
      failures: total(cs.failures),
      inputTokens: total(cs.inputTokens),
      outputTokens: total(cs.outputTokens),
      cachedInputTokens: total(cs.cachedInputTokens),
      costMicros: total(cs.costMicros),
    })
    .from(cs)
    .where(
      and(
        eq(cs.tenantId, ctx.tenantId),
        gte(cs.day, from),
        lte(cs.day, to),
        live.length ? notInArray(cs.day, live) : undefined,
      ),
    )
    .groupBy(rolledKey);

  let recent: Bucket[] = [];
  const first = live[0];
  const last = live.at(-1);
  if (first && last) {
    const liveKey = eventKey(groupBy);
    recent = await ctx.tx
      .select({
        key: liveKey,
        requests: counted(sql`${ce.outcome} <> 'cache_hit'`),
        failures: counted(sql`${ce.outcome} not in ('ok', 'cache_hit')`),
        inputTokens: total(ce.inputTokens),
        outputTokens: total(ce.outputTokens),
        cachedInputTokens: total(ce.cachedInputTokens),
        costMicros: total(ce.costMicros),
      })
      .from(ce)
      .where(
        and(
          eq(ce.tenantId, ctx.tenantId),
          gte(ce.createdAt, new Date(`${first}T00:00:00Z`)),
          lt(ce.createdAt, nextDay(last)),
          inArray(eventDay(), live),
        ),
      )
      .groupBy(liveKey);
  }

  const buckets = new Map<string, Bucket>();
  for (const row of [...rolled, ...recent]) {
    const bucket = buckets.get(row.key) ?? { key: row.key, ...zero() };
    add(bucket, row);
    buckets.set(row.key, bucket);
  }
  const ordered = [...buckets.values()].sort((a, b) =>
    groupBy === 'model'
      ? b.costMicros - a.costMicros || a.key.localeCompare(b.key)
      : a.key.localeCompare(b.key),
  );
  const totals = zero();
  for (const row of ordered) add(totals, row);
  return {
    from,
    to,
    groupBy,
    rows: ordered.map((row) => ({ ...row, costUsd: microsToUsd(row.costMicros) })),
    totals: { ...totals, costUsd: microsToUsd(totals.costMicros) },
  };
});
