import { searchKnowledge } from '@platform/knowledge';
import { z } from 'zod';
import { tenantProcedure } from '../../procedures.ts';
import { filtersInput } from './inputs.ts';

export const searchInput = z.strictObject({
  query: z.string().trim().min(1, { message: 'must not be empty' }).max(2000),
  limit: z.number().int().min(1).max(50).default(5),
  filters: filtersInput.optional(),
});

/** Hybrid (vector + BM25) search over the organisation's documents, with citations. */
export const search = tenantProcedure.input(searchInput).query(async ({ ctx, input }) => {
  const results = await searchKnowledge(ctx.tx, ctx.knowledge.embedder, {
    query: input.query,
    limit: input.limit,
    ...(input.filters ? { filters: input.filters } : {}),
  });
  return { results };
});
