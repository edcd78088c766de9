import { readBudgetStatus, retrievalConfidence, route as routeQuery } from '@platform/ai';
import { embedQuery, searchKnowledge } from '@platform/knowledge';
import { z } from 'zod';
import { authedProcedure, inCallerTenant } from '../../procedures.ts';
import { historyInput, personalityIdInput, questionText } from './inputs.ts';
import { personalityFor } from './personality.ts';

export const routeInput = z.strictObject({
  query: questionText(),
  history: historyInput.optional(),
  /** Default: the organisation's default personality. */
  personalityId: personalityIdInput.optional(),
});

/** Passages the router weighs, as ai.answer retrieves them. */
const PASSAGES = 5;

/**
 * Which tier a question would be answered on, and why, without calling a language model: the
 * classifier's score, kept within the personality's tier limits and capped by the budget. The
 * knowledge base is searched as ai.answer searches it, because how well it covers the question
 * moves the score; the query is embedded before the tenant transaction opens.
 */
export const route = authedProcedure.input(routeInput).query(async ({ ctx, input }) => {
  const { embedder } = ctx.knowledge;
  const embedding = await embedQuery(embedder, input.query);
  return inCallerTenant(ctx.db, ctx.identity, async (tx, tenantId) => {
    const personality = await personalityFor(tx, tenantId, input.personalityId);
    const passages = await searchKnowledge(tx, embedder, {
      query: input.query,
      limit: PASSAGES,
      embedding,
      ...(personality.collectionId ? { filters: { collectionId: personality.collectionId } } : {}),
    });
    const budget = await readBudgetStatus(tx, tenantId);
    const decision = routeQuery({
      query: input.query,
      history: input.history ?? [],
      retrievalConfidence: retrievalConfidence(input.query, passages),
      limits: personality,
      budget: { state: budget.state, policy: budget.exhaustedPolicy },
    });
    return {
      tier: decision.tier,
      score: decision.classification.score,
      reason: decision.reason,
      classifiedTier: decision.classification.tier,
      budgetState: decision.budgetState,
      offlineOnly: decision.offlineOnly,
      blocked: decision.blocked,
      personality: { id: personality.id, version: personality.version },
    };
  });
});
