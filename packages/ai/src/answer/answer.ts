import { randomUUID } from 'node:crypto';
import { type Database, schema } from '@platform/db';
import type { Citation } from '@platform/db/schema';
import type { Embedder } from '@platform/knowledge';
import { type CacheScope, lookupAnswer, recordHit, storeAnswer } from '../cache/answer-cache.ts';
import type { KeyCipher } from '../credentials/cipher.ts';
import type { AiEvents, BudgetAlertEvent } from '../events.ts';
import {
  type Attempt,
  type Candidate,
  streamWithFallback,
} from '../generate/stream-with-fallback.ts';
import { BudgetExhaustedError } from '../input-error.ts';
import { recordModelCall } from '../ledger/record.ts';
import type { ModelRef } from '../providers/model-ref.ts';
import type { CredentialsByProvider } from '../providers/registry.ts';
import type { CircuitBreakers } from '../router/breaker.ts';
import type { Tier, Turn } from '../router/classify.ts';
import type { RouteDecision } from '../router/route.ts';
import { citationsIn } from './citations.ts';
import { type PreparedQuestion, prepareQuestion } from './prepare.ts';
import { conversation, offlinePassages, systemPrompt } from './prompt.ts';
import { routeRetrieved } from './route-question.ts';

export interface AnswerInput {
  tenantId: string;
  question: string;
  history?: Turn[];
  /** Default: the tenant's default personality. */
  personalityId?: string;
  sessionId?: string | null;
  /** What a long conversation said before `history` (conversation memory). */
  summary?: string | null;
  signal?: AbortSignal;
  /**
   * Asked once the question is routed, before any model runs: a reason to hand the question to
   * a human instead (e.g. retrieval confidence below the tenant's threshold), or null to answer.
   */
  gate?: (routed: { retrievalConfidence: number; tier: Tier }) => string | null;
  /** prepareQuestion for this same tenant, question and personality, if already started. */
  prepared?: Promise<PreparedQuestion>;
  /** A collection to search instead of the personality's scope (a widget's own). */
  collectionId?: string | null;
}

export interface AnswerResult {
  text: string;
  citations: Citation[];
  cacheHit: boolean;
  /** For a cache hit: the earlier question whose answer was reused, and how alike they were. */
  reusedFrom?: { question: string; similarity: number };
  /** The answer broke off after it had started streaming. */
  truncated: boolean;
  /** Set when the gate handed the question to a human: nothing was generated. */
  handoff?: string;
  /** Milliseconds spent embedding, reading and retrieving before routing (see prepareQuestion). */
  retrievalMs: number;
  retrievalConfidence: number;
  tier: Tier;
  provider: string | null;
  model: string | null;
  costMicros: number;
  routingDecisionId: string;
  personality: { id: string; version: number };
  decision: { score: number; classifiedTier: Tier; reason: string; budgetState: string };
  attempts: Attempt[];
}

export interface AnswerDeps {
  db: Database;
  embedder: Embedder;
  events: AiEvents;
  breakers: CircuitBreakers;
  firstTokenTimeoutMs: number;
  totalTimeoutMs: number;
  maxOutputTokens: number;
  cacheMinSimilarity: number;
  cipher: KeyCipher;
  /** Models to try for a decision, in order, with the tenant's own keys applied. */
  candidates: (
    tenantId: string,
    decision: RouteDecision,
    own: CredentialsByProvider,
  ) => Candidate[];
}

/**
 * One grounded answer, streamed: retrieve passages, reuse a cached answer when one fits, else
 * route to a tier and stream from the first model in its fallback chain that works. Every
 * model call is metered as it ends; the routing decision, with its reason and attempts, and the
 * cache entry are written when the answer is complete. Budget alerts are published after commit.
 */
export async function* answerQuestion(
  deps: AnswerDeps,
  input: AnswerInput,
): AsyncGenerator<string, AnswerResult> {
  const { db, tenantId } = { ...deps, tenantId: input.tenantId };
  const history = input.history ?? [];
  const routingDecisionId = randomUUID();
  const prepared = await (input.prepared ?? prepareQuestion(deps, input));
  if (
    prepared.tenantId !== tenantId ||
    prepared.question !== input.question ||
    (prepared.collectionId ?? null) !== (input.collectionId ?? null)
  )
    throw new Error('answerQuestion: prepared for another question');
  const { embedding, personality, passages } = prepared;
  const { decision, confidence } = routeRetrieved({ ...prepared, history });
  const scope: CacheScope = {
    tenantId,
    personalityId: personality.id,
    personalityVersion: personality.version,
    knowledgeVersion: prepared.knowledgeVersion,
    embeddingModel: deps.embedder.model,
  };
  const handoff = input.gate?.({ retrievalConfidence: confidence, tier: decision.tier }) ?? null;
  // A follow-up depends on its conversation, so only first questions use the cache.
  const cached =
    embedding && !history.length && !decision.blocked && !handoff
      ? await db.withTenant(tenantId, (tx) =>
          lookupAnswer(
            tx,
            scope,
            input.question,
            embedding,
            passages.map((p) => p.chunkId),
            deps.cacheMinSimilarity,
          ),
        )
      : undefined;
  const candidates =
    cached || decision.blocked || handoff
      ? []
      : deps.candidates(tenantId, decision, prepared.credentials);

  const base = {
    routingDecisionId,
    retrievalMs: prepared.retrievalMs,
    retrievalConfidence: confidence,
    personality: { id: personality.id, version: personality.version },
    decision: {
      score: decision.classification.score,
      classifiedTier: decision.classification.tier,
      reason: decision.reason,
      budgetState: decision.budgetState,
    },
  };
  const decisionRow = (extra: Partial<typeof schema.routingDecisions.$inferInsert>) => ({
    id: routingDecisionId,
    tenantId,
    sessionId: input.sessionId ?? null,
    personalityId: personality.id,
    personalityVersion: personality.version,
    score: decision.classification.score,
    classifiedTier: decision.classification.tier,
    tier: decision.tier,
    reason: decision.reason,
    signals: { ...decision.classification.signals },
    budgetState: decision.budgetState,
    ...extra,
  });

  if (cached) {
    const hitReason = `${decision.reason}; reused a cached answer (similarity ${cached.similarity.toFixed(3)})`;
    await db.withTenant(tenantId, async (tx) => {
      await recordHit(tx, cached.id);
      await tx.insert(schema.routingDecisions).values(
        decisionRow({
          cacheHit: true,
          provider: cached.provider,
          model: cached.model,
          reason: hitReason,
        }),
      );
      await recordModelCall(tx, tenantId, {
        sessionId: input.sessionId ?? null,
        personalityId: personality.id,
        personalityVersion: personality.version,
        routingDecisionId,
        ref: { provider: cached.provider, model: cached.model } as ModelRef,
        tier: cached.tier,
        usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 },
        latencyMs: 0,
        outcome: 'cache_hit',
      });
    });
    yield cached.answer;
    return {
      ...base,
      decision: { ...base.decision, reason: hitReason },
      text: cached.answer,
      citations: cached.citations,
      cacheHit: true,
      reusedFrom: { question: cached.question, similarity: cached.similarity },
      truncated: false,
      tier: cached.tier as Tier,
      provider: cached.provider,
      model: cached.model,
      costMicros: 0,
      attempts: [],
    };
  }

  if (handoff) {
    const reason = `${decision.reason}; handed to a human: ${handoff}`;
    await db.withTenant(tenantId, (tx) =>
      tx.insert(schema.routingDecisions).values(decisionRow({ reason })),
    );
    return {
      ...base,
      decision: { ...base.decision, reason },
      text: '',
      citations: [],
      cacheHit: false,
      truncated: false,
      handoff,
      tier: decision.tier,
      provider: null,
      model: null,
      costMicros: 0,
      attempts: [],
    };
  }

  if (decision.blocked) {
    await db.withTenant(tenantId, (tx) =>
      tx.insert(schema.routingDecisions).values(decisionRow({})),
    );
    throw new BudgetExhaustedError();
  }

  const alerts: BudgetAlertEvent[] = [];
  let costMicros = 0;
  const generation = streamWithFallback(
    candidates,
    {
      system: systemPrompt(personality, passages, input.summary),
      messages: conversation(history, input.question),
      temperature: personality.temperature,
      maxOutputTokens: deps.maxOutputTokens,
      providerOptions: { offline: { passages: offlinePassages(passages) } },
    },
    {
      breakers: deps.breakers,
      firstTokenTimeoutMs: deps.firstTokenTimeoutMs,
      totalTimeoutMs: deps.totalTimeoutMs,
      ...(input.signal ? { signal: input.signal } : {}),
      onAttempt: async (attempt) => {
        const outcome = attempt.outcome;
        if (outcome === 'skipped') return;
        const recorded = await db.withTenant(tenantId, (tx) =>
          recordModelCall(tx, tenantId, {
            sessionId: input.sessionId ?? null,
            personalityId: personality.id,
            personalityVersion: personality.version,
            routingDecisionId,
            ref: attempt.ref,
            tier: attempt.tier,
            usage: attempt.usage,
            latencyMs: attempt.latencyMs,
            outcome,
            ...(attempt.error ? { error: attempt.error } : {}),
          }),
        );
        costMicros += recorded.costMicros;
        alerts.push(...recorded.alerts);
      },
    },
  );
  let step = await generation.next();
  while (!step.done) {
    yield step.value;
    step = await generation.next();
  }
  const result = step.value;
  const answered = result.answered;
  const citations = answered ? citationsIn(result.text, passages) : [];

  await db.withTenant(tenantId, async (tx) => {
    await tx.insert(schema.routingDecisions).values(
      decisionRow({
        provider: answered?.ref.provider ?? null,
        model: answered?.ref.model ?? null,
        attempts: result.attempts.map((a) => ({
          provider: a.ref.provider,
          model: a.ref.model,
          tier: a.tier,
          outcome: a.outcome,
          latencyMs: a.latencyMs,
          ...(a.error ? { error: a.error } : {}),
        })),
      }),
    );
    const lead = passages[0];
    if (answered && answered.outcome === 'ok' && embedding && lead)
      await storeAnswer(tx, scope, {
        question: input.question,
        leadChunkId: lead.chunkId,
        embedding,
        answer: result.text,
        citations,
        tier: answered.tier,
        provider: answered.ref.provider,
        model: answered.ref.model,
        costMicros,
      });
  });
  for (const alert of alerts) deps.events.emit(alert);

  return {
    ...base,
    text: result.text,
    citations,
    cacheHit: false,
    truncated: result.truncated,
    tier: answered?.tier ?? decision.tier,
    provider: answered?.ref.provider ?? null,
    model: answered?.ref.model ?? null,
    costMicros,
    attempts: result.attempts,
  };
}

/** The whole answer at once (for callers that do not stream). */
export async function answerText(deps: AnswerDeps, input: AnswerInput): Promise<AnswerResult> {
  const generation = answerQuestion(deps, input);
  let step = await generation.next();
  while (!step.done) step = await generation.next();
  return step.value;
}
