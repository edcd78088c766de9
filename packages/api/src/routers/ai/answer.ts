import { microsToUsd, personalityOrDefault } from '@platform/ai';
import { z } from 'zod';
import { authedProcedure, inCallerTenant } from '../../procedures.ts';
import { historyInput, personalityIdInput, questionText } from './inputs.ts';

export const answerInput = z.strictObject({
  question: questionText(),
  history: historyInput.optional(),
  /** Default: the organisation's default personality. */
  personalityId: personalityIdInput.optional(),
});

/**
 * A grounded answer with citations, routed to a tier and metered. Membership (and the
 * personality) is checked in a short tenant transaction; the answer itself runs outside it,
 * because the AI service opens its own transactions around the model call, so a slow vendor
 * holds no connection. A spent budget whose policy is to refuse answers 402 PAYMENT_REQUIRED.
 */
export const answer = authedProcedure
  .input(answerInput)
  .mutation(async ({ ctx, input, signal }) => {
    const tenantId = await inCallerTenant(ctx.db, ctx.identity, async (tx, tenantId) => {
      await personalityOrDefault(tx, tenantId, input.personalityId);
      return tenantId;
    });
    const result = await ctx.ai.answerText({
      tenantId,
      question: input.question,
      ...(input.history ? { history: input.history } : {}),
      ...(input.personalityId ? { personalityId: input.personalityId } : {}),
      ...(signal ? { signal } : {}),
    });
    return {
      text: result.text,
      citations: result.citations,
      cacheHit: result.cacheHit,
      truncated: result.truncated,
      tier: result.tier,
      provider: result.provider,
      model: result.model,
      costMicros: result.costMicros,
      costUsd: microsToUsd(result.costMicros),
      routingDecisionId: result.routingDecisionId,
      personality: result.personality,
      decision: result.decision,
    };
  });
