import { personalityOrDefault, routeQuestion } from '@platform/ai';
import { embedQuery } from '@platform/knowledge';
import { z } from 'zod';
import { authedProcedure, inCallerTenant } from '../../procedures.ts';
import { historyInput, personalityIdInput, questionText } from './inputs.ts';

export const routeInput = z.strictObject({
  query: questionText(),
  history: historyInput.optional(),
  /** Default: the organisation's default personality. */
  personalityId: personalityIdInput.optional(),
});

/**
 * Which tier a question would be answered on, and why, without calling a language model: the
 * same retrieval and routing step ai.answer runs (the classifier weighs how well the knowledge
 * base covers the question; then the personality's tier limits and the budget). The query is
 * embedded before the tenant transaction opens.
 */
export const route = authedProcedure.input(routeInput).query(async ({ ctx, input }) => {
  const { embedder } = ctx.knowledge;
  const embedding = await embedQuery(embedder, input.query);
  return inCallerTenant(ctx.db, ctx.identity, async (tx, tenantId) => {
    const personality = await personalityOrDefault(tx, tenantId, input.personalityId);
    const { decision } = await routeQuestion(tx, embedder, {
      tenantId,
      question: input.query,
      history: input.history ?? [],
      personality,
      embedding,
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
