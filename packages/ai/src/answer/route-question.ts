import type { Tx } from '@platform/db';
import { type Embedder, type SearchResult, searchKnowledge } from '@platform/knowledge';
import { type BudgetStatus, readBudgetStatus } from '../ledger/budget.ts';
import type { Personality } from '../personalities/store.ts';
import type { Turn } from '../router/classify.ts';
import { type RouteDecision, route } from '../router/route.ts';
import { retrievalConfidence } from './retrieval-confidence.ts';

/** Passages an answer is grounded in. */
export const PASSAGES = 5;

export interface RoutedQuestion {
  passages: SearchResult[];
  decision: RouteDecision;
  /** How well the passages cover the question, 0..1 (see retrievalConfidence). */
  confidence: number;
}

/** The personality's knowledge scope as search filters. */
export const scopeOf = (personality: Personality) =>
  personality.collectionId ? { filters: { collectionId: personality.collectionId } } : {};

/**
 * Routes a question whose passages are known: the classifier (which weighs how well the
 * passages cover it), the personality's tier limits, then the tenant's budget.
 */
export function routeRetrieved(input: {
  question: string;
  history: Turn[];
  personality: Personality;
  passages: SearchResult[];
  budget: BudgetStatus;
}): RoutedQuestion {
  const confidence = retrievalConfidence(input.question, input.passages);
  const decision = route({
    query: input.question,
    history: input.history,
    retrievalConfidence: confidence,
    limits: input.personality,
    budget: { state: input.budget.state, policy: input.budget.exhaustedPolicy },
  });
  return { passages: input.passages, decision, confidence };
}

/**
 * Retrieves the passages within the personality's knowledge scope and routes the question, in
 * the caller's transaction. ai.route uses it and ai.answer routes the same way (through
 * prepareQuestion), so a preview never disagrees with the answer it previews. The query's
 * vector is computed before the transaction opened.
 */
export async function routeQuestion(
  tx: Tx,
  embedder: Embedder,
  input: {
    tenantId: string;
    question: string;
    history: Turn[];
    personality: Personality;
    embedding: number[] | undefined;
  },
): Promise<RoutedQuestion> {
  const { personality } = input;
  const passages = await searchKnowledge(tx, embedder, {
    query: input.question,
    limit: PASSAGES,
    embedding: input.embedding,
    ...scopeOf(personality),
  });
  const budget = await readBudgetStatus(tx, input.tenantId);
  return routeRetrieved({ ...input, passages, budget });
}
