import type { Tx } from '@platform/db';
import { sql } from 'drizzle-orm';
import { chunkFilterSql, type SearchFilters } from './filters.ts';

export type LexicalHit = { chunkId: string; documentId: string; score: number };

/** Okapi BM25's usual constants: term-frequency saturation and length normalisation. */
const K1 = 1.2;
const B = 0.75;

/**
 * Okapi BM25 over the tenant's searchable chunks, with document frequencies and the average
 * chunk length read from the tenant's own statistics (knowledge_terms / knowledge_stats),
 * not Postgres' ts_rank: plain-language questions share only a few words with the passage
 * that answers them, and BM25's idf is what lifts the rare, telling ones. Candidates are the
 * chunks holding any query term (an OR tsquery served by the GIN index); stemming and stop
 * words follow Postgres' english configuration, as the index does.
 */
export async function bm25Search(
  tx: Tx,
  options: { query: string; limit: number; filters?: SearchFilters },
): Promise<LexicalHit[]> {
  const result = await tx.execute(sql`
    with terms as (
      select distinct u.lexeme as term from unnest(to_tsvector('english', ${options.query})) u
    ), stats as (
      select chunk_count::float8 as n, greatest(total_length::float8 / nullif(chunk_count, 0), 1) as avgdl
        from knowledge_stats
    ), weighted as (
      select t.term, ln(1 + (s.n - k.document_frequency + 0.5) / (k.document_frequency + 0.5)) as idf
        from terms t join knowledge_terms k on k.term = t.term cross join stats s
       where k.document_frequency > 0
    ), candidates as (
      select c.id, c.document_id, c.search_vector, c.token_count from knowledge_chunks c
       where c.active
         and c.search_vector @@ (select string_agg(quote_literal(term), ' | ')::tsquery from weighted)
         ${chunkFilterSql(options.filters)}
    )
    select c.id, c.document_id,
           sum(w.idf * (cardinality(u.positions) * ${K1 + 1}::float8)
               / (cardinality(u.positions) + ${K1}::float8 * (1 - ${B}::float8 + ${B}::float8 * c.token_count / s.avgdl))) as score
      from candidates c
     cross join lateral unnest(c.search_vector) u
      join weighted w on w.term = u.lexeme
     cross join stats s
     group by c.id, c.document_id
     order by score desc, c.id
     limit ${options.limit}`);
  return (result as unknown as { rows: Record<string, unknown>[] }).rows.map((r) => ({
    chunkId: String(r.id),
    documentId: String(r.document_id),
    score: Number(r.score),
  }));
}
