import type { Tx } from '@platform/db';
import { type Embedder, type SearchResult, searchKnowledge } from '@platform/knowledge';
import { readBudgetStatus } from '../ledger/budget.ts';
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

/**
 * Retrieves the passages within the personality's knowledge scope and routes the question:
 * the classifier (which weighs how well the passages cover it), the personality's tier limits,
 * then the tenant's budget. ai.answer and ai.route share it, so a preview never disagrees
 * with the answer it previews. The query's vector is computed before the transaction opened.
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
    ...(personality.collectionId ? { filters: { collectionId: personality.collectionId } } : {}),
  });
  const budget = await readBudgetStatus(tx, input.tenantId);
  const confidence = retrievalConfidence(input.question, passages);
  const decision = route({
    query: input.question,
    history: input.history,
    retrievalConfidence: confidence,
    limits: personality,
    budget: { state: budget.state, policy: budget.exhaustedPolicy },
  });
  return { passages, decision, confidence };
}
