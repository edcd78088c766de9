import { schema, type Tx } from '@platform/db';
import { eq, inArray } from 'drizzle-orm';
import { EmbeddingError } from '../embed/errors.ts';
import type { Embedder } from '../embed/types.ts';
import { bm25Search } from './bm25.ts';
import type { SearchFilters } from './filters.ts';
import { vectorSearch } from './vector.ts';

export type SearchResult = {
  chunkId: string;
  documentId: string;
  /** Document title (the file name unless one was given). */
  document: string;
  /** The path or URL the document was ingested from. */
  source: string | null;
  headingPath: string[];
  /** The heading path joined for display, e.g. "API > logger.child()". */
  heading: string;
  page: number | null;
  /** Reciprocal-rank-fusion score: higher is better; comparable within one search. */
  score: number;
  text: string;
};

export type SearchOptions = {
  query: string;
  /** Results to return (default 5). */
  limit?: number;
  filters?: SearchFilters;
  /** How deep each retriever looks before fusion (default 50). */
  depth?: number;
};

/**
 * The query's vector, or none when the embedder finds nothing to embed (only punctuation,
 * say): the search then runs on BM25 alone rather than failing.
 */
async function embedQuery(embedder: Embedder, query: string) {
  try {
    const [vector] = await embedder.embed([query], 'query');
    return vector;
  } catch (error) {
    if (error instanceof EmbeddingError && error.reason === 'invalid_input') return undefined;
    throw error;
  }
}

/** Reciprocal rank fusion's damping constant (Cormack et al. 2009). */
const RRF_K = 60;

/**
 * Hybrid retrieval inside the caller's tenant transaction: vector top-k (the current
 * embedder's model only) and BM25 top-k, fused by reciprocal rank, then joined to their
 * documents for citations. RLS scopes every row to the tenant.
 */
export async function searchKnowledge(
  tx: Tx,
  embedder: Embedder,
  options: SearchOptions,
): Promise<SearchResult[]> {
  const limit = options.limit ?? 5;
  // An empty list is no filter at all (not "match nothing").
  const given = options.filters ?? {};
  const filters = {
    ...(given.collectionId ? { collectionId: given.collectionId } : {}),
    ...(given.tags?.length ? { tags: given.tags } : {}),
    ...(given.documentIds?.length ? { documentIds: given.documentIds } : {}),
  };
  const depth = Math.max(options.depth ?? 50, limit);
  const embedding = await embedQuery(embedder, options.query);
  const semantic = embedding
    ? await vectorSearch(tx, { embedding, model: embedder.model, limit: depth, filters })
    : [];
  const lexical = await bm25Search(tx, {
    query: options.query,
    limit: depth,
    filters,
  });

  const fused = new Map<string, number>();
  const add = (ids: string[]) => {
    for (const [rank, id] of ids.entries())
      fused.set(id, (fused.get(id) ?? 0) + 1 / (RRF_K + rank + 1));
  };
  add(semantic.map((h) => h.chunkId));
  add(lexical.map((h) => h.chunkId));
  const top = [...fused.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit);
  if (!top.length) return [];

  const c = schema.knowledgeChunks;
  const d = schema.knowledgeDocuments;
  const rows = await tx
    .select({
      chunkId: c.id,
      documentId: c.documentId,
      document: d.title,
      source: d.sourceUri,
      headingPath: c.headingPath,
      page: c.page,
      text: c.content,
    })
    .from(c)
    .innerJoin(d, eq(d.id, c.documentId))
    .where(
      inArray(
        c.id,
        top.map(([id]) => id),
      ),
    );
  const byId = new Map(rows.map((r) => [r.chunkId, r]));
  return top.flatMap(([id, score]) => {
    const row = byId.get(id);
    return row ? [{ ...row, heading: row.headingPath.join(' > '), score }] : [];
  });
}
