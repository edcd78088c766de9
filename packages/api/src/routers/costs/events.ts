import {
  type AiService,
  formatModelRef,
  ModelRefError,
  microsToUsd,
  OFFLINE_MODEL,
  PRICE_TABLES,
  parseModelRef,
} from '@platform/ai';
import { schema } from '@platform/db';
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { DomainError } from '../../errors.ts';
import { tenantProcedure } from '../../procedures.ts';

const ce = schema.costEvents;

/** `<created_at with microseconds>|<id>` of the last row of the previous page. */
const CURSOR =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
/**
 * The cursor's time is a real instant (so the database never sees 2026-02-30 and fails), and
 * not before 1970 (PostgreSQL has no year 0000: that cursor was a 500).
 */
const realInstant = (cursor: string) => {
  const at = CURSOR.exec(cursor)?.[1] ?? '';
  const ms = Date.parse(`${at.slice(0, 23)}Z`);
  return ms >= 0 && new Date(ms).toISOString().slice(0, 23) === at.slice(0, 23);
};

export const eventsInput = z
  .strictObject({
    limit: z.number().int().min(1).max(100).default(50),
    cursor: z
      .string()
      .regex(CURSOR, { message: 'must be a nextCursor from a previous page' })
      .refine(realInstant, { message: 'must be a nextCursor from a previous page' })
      .optional(),
    /** `provider:model`, e.g. `openai:gpt-4o-mini`. */
    model: z.string().trim().min(1, { message: 'must not be empty' }).max(200).optional(),
    tier: z.number().int().min(1, 'must be 1, 2 or 3').max(3, 'must be 1, 2 or 3').optional(),
    outcome: z.enum(schema.costOutcomes).optional(),
  })
  .default({ limit: 50 });

/** Models a filter may name: the priced ones, the configured tier chains, and the offline model. */
function knownModels(chains: AiService['chains']): Set<string> {
  const known = new Set<string>(PRICE_TABLES.flatMap((table) => Object.keys(table.prices)));
  for (const chain of Object.values(chains))
    for (const ref of chain) known.add(formatModelRef(ref));
  known.add(formatModelRef({ provider: 'offline', model: OFFLINE_MODEL }));
  return known;
}

function modelFilter(value: string, known: Set<string>) {
  let ref: ReturnType<typeof parseModelRef>;
  try {
    ref = parseModelRef(value);
  } catch (error) {
    if (error instanceof ModelRefError)
      throw new DomainError('BAD_REQUEST', 'model: must be provider:model', 'model');
    throw error;
  }
  if (!known.has(formatModelRef(ref)))
    throw new DomainError('BAD_REQUEST', 'model: unknown model', 'model');
  return ref;
}

/** The organisation's metered model calls, newest first, a page at a time (keyset on time and id). */
export const events = tenantProcedure.input(eventsInput).query(async ({ ctx, input }) => {
  const where: SQL[] = [eq(ce.tenantId, ctx.tenantId)];
  if (input.model) {
    const ref = modelFilter(input.model, knownModels(ctx.ai.chains));
    where.push(eq(ce.provider, ref.provider), eq(ce.model, ref.model));
  }
  if (input.tier) where.push(eq(ce.tier, input.tier));
  if (input.outcome) where.push(eq(ce.outcome, input.outcome));
  const after = input.cursor ? CURSOR.exec(input.cursor) : null;
  if (after)
    where.push(sql`(${ce.createdAt}, ${ce.id}) < (${after[1]}::timestamptz, ${after[2]}::uuid)`);

  const rows = await ctx.tx
    .select({
      id: ce.id,
      createdAt: ce.createdAt,
      // Full precision for the cursor: a JavaScript Date keeps only milliseconds.
      at: sql<string>`to_char(${ce.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      kind: ce.kind,
      provider: ce.provider,
      model: ce.model,
      tier: ce.tier,
      inputTokens: ce.inputTokens,
      outputTokens: ce.outputTokens,
      cachedInputTokens: ce.cachedInputTokens,
      costMicros: ce.costMicros,
      priceVersion: ce.priceVersion,
      latencyMs: ce.latencyMs,
      outcome: ce.outcome,
      error: ce.error,
      personalityId: ce.personalityId,
      personalityVersion: ce.personalityVersion,
      routingDecisionId: ce.routingDecisionId,
      sessionId: ce.sessionId,
    })
    .from(ce)
    .where(and(...where))
    .orderBy(desc(ce.createdAt), desc(ce.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(({ at: _at, ...row }) => ({ ...row, costUsd: microsToUsd(row.costMicros) })),
    nextCursor: rows.length > input.limit && last ? `${last.at}|${last.id}` : null,
  };
});
