/**
 * Nearest-neighbour search over the tenant's active chunks (pgvector, cosine distance).
 *
 * Runs inside the caller's withTenant transaction: row-level security supplies the tenant,
 * so no tenant id is taken from input. The filters are on columns copied onto the chunks
 * (collection, tags, document), so the HNSW index stays usable; with pgvector 0.8's
 * iterative index scans the index keeps walking until `limit` rows pass the filters and the
 * RLS predicate, which is what makes a small tenant (or a narrow filter) in a large shared
 * index still get its full page of results.
 *
 * With iterative scans on, the planner is also steered off sequential and bitmap scans for
 * the search statement (`preferIndex`, restored right after). Its cost model does not count
 * reading each row's 4 KB vector out of TOAST, so it otherwise sorts the whole tenant
 * exactly even for tenants of thousands of rows (bench/vector.ts: 30-200 ms where the
 * index answers in 2-7 ms). An exact sort through the tenant btree stays available, and the
 * planner still takes it for tenants too small to fill a page from the shared index.
 */
import { isUuid, type Tx } from '@platform/db';
import { type SQL, sql } from 'drizzle-orm';

/** Each filter narrows the search; an empty `tags` or `documentIds` list matches nothing. */
export type SearchFilters = {
  collectionId?: string;
  /** Chunks carrying any of these tags. */
  tags?: string[];
  documentIds?: string[];
};

export type IterativeScan = 'off' | 'relaxed_order' | 'strict_order';

export type VectorSearchOptions = {
  embedding: number[];
  /** Only chunks embedded by this model are comparable with `embedding`. */
  model: string;
  limit: number;
  filters?: SearchFilters;
  /** hnsw.ef_search: candidate list size (default 100; raised to `limit` when smaller). */
  efSearch?: number;
  /** hnsw.iterative_scan (default 'relaxed_order'); ignored by a pgvector older than 0.8. */
  iterativeScan?: IterativeScan;
  /**
   * With iterative scans (and only then: a bounded scan can come back short), turn off
   * sequential and bitmap scans for the search statement so the planner weighs the HNSW index
   * against an exact sort through the tenant btree only (default true).
   */
  preferIndex?: boolean;
  /** The transaction ends after the search: no need to restore the planner switches. */
  lastInTransaction?: boolean;
};

export type VectorHit = { chunkId: string; documentId: string; distance: number };

export const DEFAULT_EF_SEARCH = 100;
export const DEFAULT_ITERATIVE_SCAN: IterativeScan = 'relaxed_order';
/** pgvector's bounds for hnsw.ef_search. */
const MAX_EF_SEARCH = 1000;
export const MAX_VECTOR_SEARCH_LIMIT = 1000;

const SCAN_MODES: readonly IterativeScan[] = ['off', 'relaxed_order', 'strict_order'];

type Row = Record<string, unknown>;
const rowsOf = (result: unknown): Row[] => (result as { rows: Row[] }).rows;

function assertOptions(o: VectorSearchOptions): void {
  if (!Array.isArray(o.embedding) || o.embedding.length === 0)
    throw new TypeError('vectorSearch: embedding must be a non-empty array');
  for (const x of o.embedding)
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new TypeError('vectorSearch: embedding must hold finite numbers');
  if (!Number.isInteger(o.limit) || o.limit < 1 || o.limit > MAX_VECTOR_SEARCH_LIMIT)
    throw new RangeError(`vectorSearch: limit must be an integer in 1..${MAX_VECTOR_SEARCH_LIMIT}`);
  if (
    o.efSearch !== undefined &&
    (!Number.isInteger(o.efSearch) || o.efSearch < 1 || o.efSearch > MAX_EF_SEARCH)
  )
    throw new RangeError(`vectorSearch: efSearch must be an integer in 1..${MAX_EF_SEARCH}`);
  const f = o.filters ?? {};
  if (f.collectionId !== undefined && !isUuid(f.collectionId))
    throw new TypeError('vectorSearch: filters.collectionId must be a UUID');
  if (f.documentIds !== undefined && !f.documentIds.every(isUuid))
    throw new TypeError('vectorSearch: filters.documentIds must be UUIDs');
  if (f.tags !== undefined && !f.tags.every((t) => typeof t === 'string'))
    throw new TypeError('vectorSearch: filters.tags must be strings');
  if (o.iterativeScan !== undefined && !SCAN_MODES.includes(o.iterativeScan))
    throw new RangeError(`vectorSearch: iterativeScan must be one of ${SCAN_MODES.join(', ')}`);
}

/** pgvector's text form, sent as a parameter and cast with ::vector. */
export const vectorLiteral = (embedding: readonly number[]) => `[${embedding.join(',')}]`;

type Settings = { efSearch: number; iterativeScan: IterativeScan; steer: boolean };

function settingsOf(o: VectorSearchOptions): Settings {
  const iterativeScan = o.iterativeScan ?? DEFAULT_ITERATIVE_SCAN;
  return {
    // A candidate list shorter than the page would cut the page short.
    efSearch: Math.min(MAX_EF_SEARCH, Math.max(o.efSearch ?? DEFAULT_EF_SEARCH, o.limit)),
    iterativeScan,
    steer: (o.preferIndex ?? true) && iterativeScan !== 'off',
  };
}

/**
 * The transaction-local settings for one search, in one statement. Whether the server knows
 * hnsw.iterative_scan (pgvector >= 0.8) is decided by the server itself from the installed
 * extension's version, in the same statement: no extra round trip, nothing cached that could
 * go stale after ALTER EXTENSION UPDATE, and an older pgvector (where setting an unknown name
 * under its reserved prefix is an error) keeps its one bounded scan and the planner's choice.
 * Returns the planner switches' previous values (`seqscan`, `bitmapscan`) and whether they
 * were changed (`steered`), for restoring them after the search.
 */
export function searchSettingsQuery(options: VectorSearchOptions): SQL {
  const s = settingsOf(options);
  const steer = s.steer
    ? sql`case when v.iterative then set_config('enable_seqscan', 'off', true) || set_config('enable_bitmapscan', 'off', true) end`
    : sql`null`;
  return sql`select set_config('hnsw.ef_search', ${String(s.efSearch)}, true) as ef_search,
      case when v.iterative then set_config('hnsw.iterative_scan', ${s.iterativeScan}, true) end as iterative_scan,
      v.seqscan, v.bitmapscan, ${steer} is not null as steered
    from (select current_setting('enable_seqscan') as seqscan,
                 current_setting('enable_bitmapscan') as bitmapscan,
                 coalesce((select (regexp_match(extversion, '^([0-9]+)[.]([0-9]+)'))::int[] >= array[0, 8]
                             from pg_extension where extname = 'vector'), false) as iterative
           offset 0) v`; // offset 0: read the previous values before the select list changes them
}

/**
 * The search itself, shaped as pgvector recommends for iterative scans: the index-ordered,
 * filtered, limited scan in a materialized CTE (relaxed_order may hand rows back slightly out
 * of order), re-sorted by distance outside it.
 */
export function vectorSearchQuery(
  options: Pick<VectorSearchOptions, 'embedding' | 'model' | 'limit' | 'filters'>,
): SQL {
  const f = options.filters ?? {};
  const where: SQL[] = [sql`c.active`, sql`c.model = ${options.model}`];
  if (f.collectionId !== undefined) where.push(sql`c.collection_id = ${f.collectionId}::uuid`);
  // sql.param: one array parameter (a bare array would be spread into a list of parameters).
  if (f.tags !== undefined) where.push(sql`c.tags && ${sql.param(f.tags)}::text[]`);
  if (f.documentIds !== undefined)
    where.push(sql`c.document_id = any(${sql.param(f.documentIds)}::uuid[])`);
  return sql`with nearest as materialized (
    select c.id, c.document_id, c.embedding <=> ${vectorLiteral(options.embedding)}::vector as distance
      from knowledge_chunks c
     where ${sql.join(where, sql` and `)}
     order by distance
     limit ${options.limit}
  )
  select id as chunk_id, document_id, distance from nearest order by distance, id`;
}

/** The `limit` nearest active chunks of `model` in the transaction's tenant, nearest first. */
export async function vectorSearch(tx: Tx, options: VectorSearchOptions): Promise<VectorHit[]> {
  assertOptions(options);
  const f = options.filters;
  // An empty "any of" filter matches nothing; no need to ask.
  if (f?.tags?.length === 0 || f?.documentIds?.length === 0) return [];
  const [settings] = rowsOf(await tx.execute(searchSettingsQuery(options)));
  const rows = rowsOf(await tx.execute(vectorSearchQuery(options)));
  // The rest of the caller's transaction plans as usual (full-text search needs bitmap scans).
  if (settings?.steered === true && !options.lastInTransaction)
    await tx.execute(
      sql`select set_config('enable_seqscan', ${String(settings.seqscan)}, true), set_config('enable_bitmapscan', ${String(settings.bitmapscan)}, true)`,
    );
  return rows.map((r) => ({
    chunkId: String(r.chunk_id),
    documentId: String(r.document_id),
    distance: Number(r.distance),
  }));
}
