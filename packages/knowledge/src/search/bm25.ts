import type { Tx } from '@platform/db';
import { type SQL, sql } from 'drizzle-orm';
import { chunkFilterSql, type SearchFilters } from './filters.ts';

export type LexicalHit = { chunkId: string; documentId: string; score: number };

export type Bm25Options = { query: string; limit: number; filters?: SearchFilters };

/** Okapi BM25's usual constants: term-frequency saturation and length normalisation. */
const K1 = 1.2;
const B = 0.75;

/**
 * The BM25 statement. Each query term's postings (chunk, term frequency, chunk length) come
 * from knowledge_postings' (tenant_id, term) index alone: row-level security's tenant
 * condition and the leakproof text equality both use it, where the GIN index on search_vector
 * is out of reach under RLS (`@@` is not leakproof), and no candidate's tsvector is unnested.
 * Every candidate is scored from its postings and the scores sorted; only then are chunks
 * read, best first, to keep the active ones that pass the filters until `limit` are found
 * (the outer ORDER BY makes the result right whatever plan is chosen; the inner one lets the
 * planner stop early instead of reading every candidate chunk).
 */
export function bm25SearchQuery(options: Bm25Options): SQL {
  return sql`
    with terms as (
      select distinct u.lexeme as term from unnest(to_tsvector('english', ${options.query})) u
    ), weighted as (
      select t.term, ln(1 + (s.n - k.document_frequency + 0.5) / (k.document_frequency + 0.5)) as idf, s.avgdl
        from terms t join knowledge_terms k on k.term = t.term
       cross join (select chunk_count::float8 as n,
                          greatest(total_length::float8 / nullif(chunk_count, 0), 1) as avgdl
                     from knowledge_stats) s
       where k.document_frequency > 0
    )
    select c.id, c.document_id, s.score
      from (select p.chunk_id,
                   sum(w.idf * (p.tf * ${K1 + 1}::float8)
                       / (p.tf + ${K1}::float8 * (1 - ${B}::float8 + ${B}::float8 * p.chunk_token_count / w.avgdl))) as score
              from weighted w join knowledge_postings p on p.term = w.term
             group by p.chunk_id
             order by score desc, p.chunk_id) s
      join knowledge_chunks c on c.id = s.chunk_id and c.active ${chunkFilterSql(options.filters)}
     order by s.score desc, s.chunk_id
     limit ${options.limit}`;
}

/**
 * Okapi BM25 over the tenant's searchable chunks, with document frequencies and the average
 * chunk length read from the tenant's own statistics (knowledge_terms / knowledge_stats),
 * not Postgres' ts_rank: plain-language questions share only a few words with the passage
 * that answers them, and BM25's idf is what lifts the rare, telling ones. Candidates are the
 * chunks holding any query term; stemming and stop words follow Postgres' english
 * configuration, as the chunks' search_vector and postings do.
 */
export async function bm25Search(tx: Tx, options: Bm25Options): Promise<LexicalHit[]> {
  const result = await tx.execute(bm25SearchQuery(options));
  return (result as unknown as { rows: Record<string, unknown>[] }).rows.map((r) => ({
    chunkId: String(r.id),
    documentId: String(r.document_id),
    score: Number(r.score),
  }));
}
