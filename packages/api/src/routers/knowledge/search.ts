import { embedQuery, searchKnowledge } from '@platform/knowledge';
import { z } from 'zod';
import { authedProcedure, inCallerTenant } from '../../procedures.ts';
import { filtersInput } from './inputs.ts';

export const searchInput = z.strictObject({
  query: z.string().trim().min(1, { message: 'must not be empty' }).max(2000),
  limit: z.number().int().min(1).max(50).default(5),
  filters: filtersInput.optional(),
});

/**
 * Hybrid (vector + BM25) search over the organisation's documents, with citations. The query
 * is embedded before the tenant transaction opens, so a remote embedder's round trip holds
 * no database connection.
 */
export const search = authedProcedure.input(searchInput).query(async ({ ctx, input }) => {
  const { embedder } = ctx.knowledge;
  const embedding = await embedQuery(embedder, input.query);
  const results = await inCallerTenant(ctx.db, ctx.identity, (tx) =>
    searchKnowledge(tx, embedder, {
      query: input.query,
      limit: input.limit,
      embedding,
      ...(input.filters ? { filters: input.filters } : {}),
    }),
  );
  return { results };
});
