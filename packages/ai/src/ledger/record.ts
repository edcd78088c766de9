import { schema, type Tx } from '@platform/db';
import type { BudgetAlertEvent } from '../events.ts';
import { costMicros, priceOf, type TokenUsage } from '../pricing.ts';
import type { ModelRef } from '../providers/model-ref.ts';
import { chargeBudget } from './budget.ts';
import { scheduleRollup } from './rollup.ts';

export interface ModelCall {
  sessionId?: string | null;
  messageId?: string | null;
  personalityId?: string | null;
  personalityVersion?: number | null;
  routingDecisionId?: string | null;
  ref: ModelRef;
  tier: number | null;
  usage: TokenUsage;
  latencyMs: number;
  outcome: 'ok' | 'error' | 'timeout' | 'rate_limited' | 'aborted' | 'cache_hit';
  error?: string;
  kind?: 'llm' | 'embedding' | 'vision' | 'stt' | 'tts';
  at?: Date;
}

export interface Recorded {
  costEventId: string;
  costMicros: number;
  priceVersion: string;
  alerts: BudgetAlertEvent[];
}

/**
 * Writes one cost_events row for a model call (failed calls too: a vendor may bill tokens it
 * read before failing), charges the month's budget and queues the day's roll-up, all in the
 * caller's transaction so the ledger and the spend never disagree.
 */
export async function recordModelCall(
  tx: Tx,
  tenantId: string,
  call: ModelCall,
): Promise<Recorded> {
  const at = call.at ?? new Date();
  const quote = priceOf(call.ref, at);
  const cost = call.outcome === 'cache_hit' ? 0 : costMicros(quote.price, call.usage);
  const [row] = await tx
    .insert(schema.costEvents)
    .values({
      tenantId,
      sessionId: call.sessionId ?? null,
      messageId: call.messageId ?? null,
      personalityId: call.personalityId ?? null,
      personalityVersion: call.personalityVersion ?? null,
      routingDecisionId: call.routingDecisionId ?? null,
      kind: call.kind ?? 'llm',
      provider: call.ref.provider,
      model: call.ref.model,
      tier: call.tier,
      inputTokens: call.usage.inputTokens,
      outputTokens: call.usage.outputTokens,
      cachedInputTokens: call.usage.cachedInputTokens,
      priceVersion: quote.known ? quote.version : `${quote.version}:unpriced`,
      costMicros: cost,
      latencyMs: call.latencyMs,
      outcome: call.outcome,
      error: call.error ?? null,
      createdAt: at,
    })
    .returning({ id: schema.costEvents.id });
  if (!row) throw new Error('recordModelCall: insert returned no row');
  const alerts = cost > 0 ? await chargeBudget(tx, tenantId, cost, at) : [];
  await scheduleRollup(tx, tenantId, at.toISOString().slice(0, 10));
  return { costEventId: row.id, costMicros: cost, priceVersion: quote.version, alerts };
}
