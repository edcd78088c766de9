import { schema, type Tx } from '@platform/db';
import type { Citation } from '@platform/db/schema';
import { and, eq, lt, sql } from 'drizzle-orm';
import { contentStems } from '../text/terms.ts';

const c = schema.answerCache;

/** What a cached answer is keyed on: the same personality version over the same knowledge base. */
export interface CacheScope {
  tenantId: string;
  personalityId: string;
  personalityVersion: number;
  knowledgeVersion: number;
  embeddingModel: string;
}

export interface CachedAnswer {
  id: string;
  question: string;
  answer: string;
  citations: Citation[];
  tier: number;
  provider: string;
  model: string;
  costMicros: number;
  similarity: number;
}

const NEGATION = /\b(?:not|no|never|without|cannot|can't|won't|don't|doesn't|isn't|un\w+able)\b/gi;
const NUMBER = /\d+(?:[.,]\d+)?/g;

/**
 * Numbers and negations change an answer while barely moving an embedding ("return an opened
 * item" vs "an unopened item", "5 seats" vs "50 seats"): both questions must carry the same ones.
 */
export function sameSpecifics(a: string, b: string): boolean {
  const set = (s: string, re: RegExp) =>
    [...new Set((s.toLowerCase().match(re) ?? []).map((x) => x.replace(',', '.')))]
      .sort()
      .join('|');
  return set(a, NUMBER) === set(b, NUMBER) && set(a, NEGATION) === set(b, NEGATION);
}

/** Content words one question has that the other lacks (stems), for the decision log. */
export const unsharedTerms = (a: string, b: string): string[] => {
  const sb = new Set(contentStems(b));
  return [...new Set(contentStems(a))].filter((t) => !sb.has(t));
};

/**
 * A reusable answer for this question, or none. Three checks, all required:
 * the questions' embeddings are at least `minSimilarity` alike (cosine); they carry the same
 * numbers and negations; and retrieval for the new question puts the passage the cached answer
 * ranked first for the original at the top too, and every passage the answer cites in its results,
 * so the answer rests on the same source. The last check is what keeps "reset my password" from reusing the
 * answer to "reset my two-factor device": their embeddings are close, their best passages are not.
 */
export async function lookupAnswer(
  tx: Tx,
  scope: CacheScope,
  question: string,
  embedding: number[],
  retrievedChunkIds: string[],
  minSimilarity: number,
): Promise<CachedAnswer | undefined> {
  if (minSimilarity >= 1 || !retrievedChunkIds.length) return undefined;
  const vector = JSON.stringify(embedding);
  const rows = await tx
    .select({
      id: c.id,
      question: c.question,
      answer: c.answer,
      citations: c.citations,
      citedChunkIds: c.citedChunkIds,
      leadChunkId: c.leadChunkId,
      tier: c.tier,
      provider: c.provider,
      model: c.model,
      costMicros: c.costMicros,
      similarity: sql<number>`1 - (${c.embedding} <=> ${vector}::vector)`,
    })
    .from(c)
    .where(
      and(
        eq(c.tenantId, scope.tenantId),
        eq(c.personalityId, scope.personalityId),
        eq(c.personalityVersion, scope.personalityVersion),
        eq(c.knowledgeVersion, scope.knowledgeVersion),
        eq(c.embeddingModel, scope.embeddingModel),
      ),
    )
    .orderBy(sql`${c.embedding} <=> ${vector}::vector`)
    .limit(5);
  for (const row of rows) {
    const similarity = Number(row.similarity);
    if (similarity < minSimilarity) break;
    if (row.leadChunkId !== retrievedChunkIds[0]) continue;
    if (!row.citedChunkIds.every((id) => retrievedChunkIds.includes(id))) continue;
    if (!sameSpecifics(question, row.question)) continue;
    const { citedChunkIds: _cited, leadChunkId: _lead, ...answer } = row;
    return { ...answer, similarity };
  }
  return undefined;
}

export async function recordHit(tx: Tx, id: string): Promise<void> {
  await tx
    .update(c)
    .set({ hits: sql`${c.hits} + 1`, lastHitAt: new Date() })
    .where(eq(c.id, id));
}

export interface NewCachedAnswer {
  question: string;
  /** The passage retrieval ranked first for this question. */
  leadChunkId: string;
  embedding: number[];
  answer: string;
  citations: Citation[];
  tier: number;
  provider: string;
  model: string;
  costMicros: number;
}

/**
 * Keeps an answer for reuse: only one that cites something (an uncited answer is not grounded
 * in the knowledge base, so it may not be right for anyone else). Entries from older
 * knowledge-base versions of the same personality are dropped on the way.
 */
export async function storeAnswer(
  tx: Tx,
  scope: CacheScope,
  entry: NewCachedAnswer,
): Promise<boolean> {
  if (!entry.citations.length) return false;
  await tx
    .delete(c)
    .where(
      and(
        eq(c.tenantId, scope.tenantId),
        eq(c.personalityId, scope.personalityId),
        lt(c.knowledgeVersion, scope.knowledgeVersion),
      ),
    );
  await tx.insert(c).values({
    ...scope,
    question: entry.question,
    embedding: entry.embedding,
    answer: entry.answer,
    citations: entry.citations,
    citedChunkIds: entry.citations.map((x) => x.chunkId),
    leadChunkId: entry.leadChunkId,
    tier: entry.tier,
    provider: entry.provider,
    model: entry.model,
    costMicros: entry.costMicros,
  });
  return true;
}
