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
  /** Fused relevance, 0..1: higher is better; comparable within one search. */
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
  /** Share of the score from BM25, 0..1 (default LEXICAL_WEIGHT). */
  lexicalWeight?: number;
  /**
   * The query's vector from `embedQuery`, computed before the transaction opened (a remote
   * embedder then holds no database connection); undefined: BM25 only. Absent: embedded here.
   */
  embedding?: number[] | undefined;
};

/**
 * The query's vector, or none when the embedder finds nothing to embed (only punctuation,
 * say): the search then runs on BM25 alone rather than failing.
 */
export async function embedQuery(embedder: Embedder, query: string): Promise<number[] | undefined> {
  try {
    const [vector] = await embedder.embed([query], 'query');
    return vector;
  } catch (error) {
    if (error instanceof EmbeddingError && error.reason === 'invalid_input') return undefined;
    throw error;
  }
}

/**
 * Share of the fused score from BM25; the rest comes from vector similarity. Measured on the
 * pino documentation set (bench/retrieval.ts): chosen on the even-numbered questions, checked
 * on the odd ones, and better on both halves than reciprocal rank fusion, which let the
 * weaker local vectors push BM25's best passage out of the top five.
 */
export const LEXICAL_WEIGHT = 0.6;

type Scored = { id: string; score: number };

/**
 * Convex combination of min-max normalised scores (Bruch et al. 2023, "An analysis of fusion
 * functions for hybrid retrieval"): each list's best hit gets 1 and its worst 0; a passage
 * missing from one list gets nothing from it.
 */
export function fuse(lexical: Scored[], semantic: Scored[], lexicalWeight: number) {
  const fused = new Map<string, number>();
  const add = (hits: Scored[], weight: number) => {
    if (!hits.length) return;
    const scores = hits.map((h) => h.score);
    const max = Math.max(...scores);
    const min = Math.min(...scores);
    for (const h of hits) {
      const normalised = max > min ? (h.score - min) / (max - min) : 1;
      fused.set(h.id, (fused.get(h.id) ?? 0) + weight * normalised);
    }
  };
  add(lexical, lexicalWeight);
  add(semantic, 1 - lexicalWeight);
  return fused;
}

function normalise(options: SearchOptions) {
  // An empty list is no filter at all (not "match nothing").
  const given = options.filters ?? {};
  const filters: SearchFilters = {
    ...(given.collectionId ? { collectionId: given.collectionId } : {}),
    ...(given.tags?.length ? { tags: given.tags } : {}),
    ...(given.documentIds?.length ? { documentIds: given.documentIds } : {}),
  };
  const limit = options.limit ?? 5;
  return { filters, limit, depth: Math.max(options.depth ?? 50, limit) };
}

const queryVector = (embedder: Embedder, options: SearchOptions) =>
  'embedding' in options ? Promise.resolve(options.embedding) : embedQuery(embedder, options.query);

/**
 * Hybrid retrieval inside the caller's tenant transaction: vector top-k (the current
 * embedder's model only) and BM25 top-k, fused by a weighted sum of normalised scores, then joined to their
 * documents for citations. RLS scopes every row to the tenant.
 */
export async function searchKnowledge(
  tx: Tx,
  embedder: Embedder,
  options: SearchOptions,
): Promise<SearchResult[]> {
  const { filters, limit, depth } = normalise(options);
  const embedding = await queryVector(embedder, options);
  const semantic = embedding
    ? await vectorSearch(tx, { embedding, model: embedder.model, limit: depth, filters })
    : [];
  const lexical = await bm25Search(tx, { query: options.query, limit: depth, filters });
  return fuseAndJoin(tx, lexical, semantic, limit, options.lexicalWeight);
}

/** Opens a new tenant transaction for `fn` (e.g. `(fn) => db.withTenant(tenantId, fn)`). */
export type TenantRunner = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

/**
 * The same search with the two retrievers running at once, each in its own tenant transaction
 * on its own connection (PGlite, with one connection, runs them one after the other), for
 * the chat path, where their latency adds up to most of the time to first token. The transactions may see different snapshots if an ingest commits between them;
 * a passage gone by the join is simply left out.
 */
export async function searchKnowledgeConcurrently(
  run: TenantRunner,
  embedder: Embedder,
  options: SearchOptions,
): Promise<SearchResult[]> {
  const { filters, limit, depth } = normalise(options);
  const embedding = await queryVector(embedder, options);
  const semantic = embedding
    ? run((tx) =>
        vectorSearch(tx, {
          embedding,
          model: embedder.model,
          limit: depth,
          filters,
          lastInTransaction: true,
        }),
      )
    : Promise.resolve([]);
  semantic.catch(() => undefined); // awaited below; until then a failure must not go unhandled
  // The join runs in BM25's transaction, usually the slower of the two, saving one round trip.
  return run(async (tx) => {
    const lexical = await bm25Search(tx, { query: options.query, limit: depth, filters });
    return fuseAndJoin(tx, lexical, await semantic, limit, options.lexicalWeight);
  });
}

async function fuseAndJoin(
  tx: Tx,
  lexical: Array<{ chunkId: string; score: number }>,
  semantic: Array<{ chunkId: string; distance: number }>,
  limit: number,
  lexicalWeight = LEXICAL_WEIGHT,
): Promise<SearchResult[]> {
  const fused = fuse(
    lexical.map((h) => ({ id: h.chunkId, score: h.score })),
    semantic.map((h) => ({ id: h.chunkId, score: 1 - h.distance })),
    lexicalWeight,
  );
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
