import type { Config } from '@platform/config';
import { createWorker, type Database } from '@platform/db';
import { createLocalEmbedder, type Embedder } from '@platform/knowledge';
import { type AnswerDeps, type AnswerInput, answerQuestion, answerText } from './answer/answer.ts';
import { type PrepareInput, prepareQuestion } from './answer/prepare.ts';
import { KeyCipher } from './credentials/cipher.ts';
import { AiEvents } from './events.ts';
import type { Candidate } from './generate/stream-with-fallback.ts';
import { COST_QUEUE, rollupDay } from './ledger/rollup.ts';
import { formatModelRef, type ModelRef, parseModelChain } from './providers/model-ref.ts';
import { OFFLINE_MODEL, offlineModel } from './providers/offline/model.ts';
import {
  type CredentialsByProvider,
  createLanguageModel,
  isReachable,
  type ProviderCredentials,
} from './providers/registry.ts';
import { CircuitBreakers } from './router/breaker.ts';
import type { Tier } from './router/classify.ts';
import type { RouteDecision } from './router/route.ts';

export type AiConfig = Pick<
  Config,
  | 'AI_TIER1_MODELS'
  | 'AI_TIER2_MODELS'
  | 'AI_TIER3_MODELS'
  | 'AI_FIRST_TOKEN_TIMEOUT_MS'
  | 'AI_TOTAL_TIMEOUT_MS'
  | 'AI_BREAKER_FAILURES'
  | 'AI_BREAKER_COOLDOWN_SECONDS'
  | 'OPENAI_API_KEY'
  | 'ANTHROPIC_API_KEY'
  | 'GOOGLE_API_KEY'
  | 'OPENAI_BASE_URL'
  | 'ANTHROPIC_BASE_URL'
  | 'GOOGLE_BASE_URL'
  | 'COMPATIBLE_BASE_URL'
  | 'COMPATIBLE_API_KEY'
  | 'PROVIDER_KEYS_SECRET'
  | 'AUTH_SECRET'
  | 'ANSWER_CACHE_MIN_SIMILARITY'
>;

export type AiLog = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
};

const OFFLINE: ModelRef = { provider: 'offline', model: OFFLINE_MODEL };
const MAX_OUTPUT_TOKENS = 1024;

/** The platform's own credentials per vendor, from the environment. */
export function platformCredentials(config: AiConfig): CredentialsByProvider {
  const entry = (apiKey?: string, baseURL?: string): ProviderCredentials => ({
    ...(apiKey ? { apiKey } : {}),
    ...(baseURL ? { baseURL } : {}),
  });
  return {
    openai: entry(config.OPENAI_API_KEY, config.OPENAI_BASE_URL),
    anthropic: entry(config.ANTHROPIC_API_KEY, config.ANTHROPIC_BASE_URL),
    google: entry(config.GOOGLE_API_KEY, config.GOOGLE_BASE_URL),
    compatible: entry(config.COMPATIBLE_API_KEY, config.COMPATIBLE_BASE_URL),
  };
}

export function tierChains(config: AiConfig): Record<Tier, ModelRef[]> {
  return {
    1: parseModelChain(config.AI_TIER1_MODELS),
    2: parseModelChain(config.AI_TIER2_MODELS),
    3: parseModelChain(config.AI_TIER3_MODELS),
  };
}

/**
 * The order to try models in for a tier: the tier's own chain, then the stronger tiers (quality
 * kept), then the cheaper ones, and the offline model last, so a question gets an answer from
 * its passages even when every vendor is down. Models nobody can reach are left out.
 */
export function fallbackOrder(
  tier: Tier,
  chains: Record<Tier, ModelRef[]>,
  reachable: (ref: ModelRef) => boolean,
): Array<{ ref: ModelRef; tier: Tier }> {
  const tiers: Tier[] = tier === 1 ? [1, 2, 3] : tier === 2 ? [2, 3, 1] : [3, 2, 1];
  const seen = new Set<string>();
  const out: Array<{ ref: ModelRef; tier: Tier }> = [];
  for (const t of tiers)
    for (const ref of chains[t]) {
      const key = formatModelRef(ref);
      if (seen.has(key) || !reachable(ref)) continue;
      seen.add(key);
      out.push({ ref, tier: t });
    }
  if (!seen.has(formatModelRef(OFFLINE))) out.push({ ref: OFFLINE, tier });
  return out;
}

export interface AiServiceOptions {
  config: AiConfig;
  embedder: Embedder;
  log?: AiLog;
  pollMs?: number;
}

export function createAiService(db: Database, options: AiServiceOptions) {
  const { config, embedder, log } = options;
  const events = new AiEvents();
  const chains = tierChains(config);
  const platform = platformCredentials(config);
  const cipher = new KeyCipher(config.PROVIDER_KEYS_SECRET ?? config.AUTH_SECRET);
  const breakers = new CircuitBreakers({
    failures: config.AI_BREAKER_FAILURES,
    cooldownMs: config.AI_BREAKER_COOLDOWN_SECONDS * 1000,
  });

  // The offline model judges closeness in meaning with the local word vectors alone.
  const wordVectors = createLocalEmbedder({ semanticWeight: 1 });
  const similarity = async (question: string, sentences: string[]): Promise<number[]> => {
    try {
      const [q, ...rest] = await wordVectors.embed([question, ...sentences], 'document');
      return rest.map((v) => (q ? v.reduce((sum, x, i) => sum + x * (q[i] ?? 0), 0) : 0));
    } catch {
      return sentences.map(() => 0); // nothing embeddable: no meaning-level match
    }
  };

  function candidates(
    tenantId: string,
    decision: RouteDecision,
    own: CredentialsByProvider,
  ): Candidate[] {
    if (decision.offlineOnly)
      return toCandidates([{ ref: OFFLINE, tier: decision.tier }], {}, tenantId);
    const creds = (ref: ModelRef) =>
      ref.provider === 'offline' ? undefined : (own[ref.provider] ?? platform[ref.provider]);
    const order = fallbackOrder(decision.tier, chains, (ref) =>
      isReachable(ref.provider, creds(ref)),
    );
    return toCandidates(order, own, tenantId);
  }

  function toCandidates(
    order: Array<{ ref: ModelRef; tier: Tier }>,
    own: CredentialsByProvider,
    tenantId: string,
  ): Candidate[] {
    return order.map(({ ref, tier }) => {
      if (ref.provider === 'offline')
        return { ref, tier, model: offlineModel(ref.model, { similarity }), breakerKey: 'offline' };
      const tenantOwned = own[ref.provider];
      const credentials = tenantOwned ?? platform[ref.provider] ?? {};
      return {
        ref,
        tier,
        model: createLanguageModel(ref, credentials),
        // A tenant's broken key must not open the circuit for everyone else.
        breakerKey: `${ref.provider}@${credentials.baseURL ?? 'default'}${tenantOwned ? `#${tenantId}` : ''}`,
      };
    });
  }

  const deps: AnswerDeps = {
    db,
    embedder,
    events,
    breakers,
    firstTokenTimeoutMs: config.AI_FIRST_TOKEN_TIMEOUT_MS,
    totalTimeoutMs: config.AI_TOTAL_TIMEOUT_MS,
    maxOutputTokens: MAX_OUTPUT_TOKENS,
    cacheMinSimilarity: config.ANSWER_CACHE_MIN_SIMILARITY,
    cipher,
    candidates,
  };

  const rollups = createWorker(db, {
    queue: COST_QUEUE,
    concurrency: 1,
    tenantConcurrency: 1,
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    handle: async (job) => {
      const day = typeof job.payload.day === 'string' ? job.payload.day : undefined;
      if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return;
      await db.withTenant(job.tenantId, (tx) => rollupDay(tx, job.tenantId, day));
    },
    onError: (error, job) => log?.warn({ err: error, jobId: job.id }, 'cost roll-up failed'),
  });

  return {
    events,
    cipher,
    chains,
    breakers,
    /** Streams text deltas; the generator's return value is the complete AnswerResult. */
    answer: (input: AnswerInput) => answerQuestion(deps, input),
    /** Starts the reads an answer needs; pass the promise to answer() as `prepared`. */
    prepare: (input: PrepareInput) => prepareQuestion(deps, input),
    answerText: (input: AnswerInput) => answerText(deps, input),
    start: () => rollups.start(),
    stop: () => rollups.stop(),
  };
}

export type AiService = ReturnType<typeof createAiService>;
