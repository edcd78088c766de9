import type { Tx } from '@platform/db';
import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  searchSettingsQuery,
  type VectorHit,
  type VectorSearchOptions,
  vectorSearch,
  vectorSearchQuery,
} from '../src/search/vector.ts';

const DIMS = 1024;
const MODEL = 'test-embedder-1';
const OTHER_MODEL = 'test-embedder-2';

/** cos(theta) e0 + sin(theta) e_axis: cosine distance to e0 is exactly 1 - cos(theta). */
function unitAt(theta: number, axis: number): number[] {
  const v = new Array<number>(DIMS).fill(0);
  v[0] = Math.cos(theta);
  v[axis] = Math.sin(theta);
  return v;
}
const QUERY = unitAt(0, 1);
const literal = (v: number[]) => `[${v.join(',')}]`;

type Row = Record<string, unknown>;
const rowsOf = (r: unknown) => (r as { rows: Row[] }).rows;

describe.each(testDrivers())('vectorSearch (%s)', (driver) => {
  let t: TestDatabase;
  let a: string;
  let b: string;
  const docs: Record<string, string> = {};
  const collections: Record<string, string> = {};
  /** Chunk ids by label. */
  const chunk: Record<string, string> = {};

  const makeTenant = async (slug: string) => {
    const [row] = await t.ownerQuery<{ id: string }>(
      `insert into tenants (name, slug) values ($1, $1) returning id`,
      [slug],
    );
    return (row as { id: string }).id;
  };
  const makeCollection = async (tenantId: string, name: string) => {
    const [row] = await t.ownerQuery<{ id: string }>(
      `insert into collections (tenant_id, name) values ($1, $2) returning id`,
      [tenantId, name],
    );
    collections[name] = (row as { id: string }).id;
    return collections[name] as string;
  };
  const makeDocument = async (
    tenantId: string,
    name: string,
    collectionId: string | null,
    tags: string[],
  ) => {
    const [row] = await t.ownerQuery<{ id: string }>(
      `insert into knowledge_documents (tenant_id, title, source_type, status, collection_id, tags)
       values ($1, $2, 'text', 'ready', $3, $4) returning id`,
      [tenantId, name, collectionId, tags],
    );
    docs[name] = (row as { id: string }).id;
    return docs[name] as string;
  };
  /** A chunk copying its document's collection and tags, as ingestion writes them. */
  const makeChunk = async (
    label: string,
    doc: string,
    embedding: number[],
    extra: { index?: number; version?: string; active?: boolean; model?: string } = {},
  ) => {
    const [row] = await t.ownerQuery<{ id: string }>(
      `insert into knowledge_chunks (tenant_id, document_id, document_version, active, collection_id,
                                     tags, chunk_index, content, model, embedding, search_vector)
       select d.tenant_id, d.id, $2, $3, d.collection_id, d.tags, $4, $5, $6, $7::vector,
              to_tsvector('english', $5)
         from knowledge_documents d where d.id = $1
       returning id`,
      [
        docs[doc],
        extra.version ?? 'v1',
        extra.active ?? true,
        extra.index ?? 0,
        `passage ${label}`,
        extra.model ?? MODEL,
        literal(embedding),
      ],
    );
    chunk[label] = (row as { id: string }).id;
  };

  const search = (tenantId: string, options: Partial<VectorSearchOptions> = {}) =>
    t.db.withTenant(tenantId, (tx) =>
      vectorSearch(tx, { embedding: QUERY, model: MODEL, limit: 10, ...options }),
    );
  const labelsOf = (hits: VectorHit[]) => {
    const byId = new Map(Object.entries(chunk).map(([label, id]) => [id, label]));
    return hits.map((h) => byId.get(h.chunkId) ?? `unknown ${h.chunkId}`);
  };

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    a = await makeTenant('vector-a');
    b = await makeTenant('vector-b');
    const manuals = await makeCollection(a, 'manuals');
    const policies = await makeCollection(a, 'policies');
    await makeDocument(a, 'A1', manuals, ['faq']);
    await makeDocument(a, 'A2', policies, ['policy', 'faq']);
    await makeDocument(a, 'A3', manuals, ['policy']);
    await makeDocument(b, 'B1', null, ['faq']);
    // Tenant A: a1 nearest ... a6 farthest, spread over three documents.
    await makeChunk('a1', 'A1', unitAt(0.1, 2), { index: 0 });
    await makeChunk('a2', 'A2', unitAt(0.2, 3), { index: 0 });
    await makeChunk('a3', 'A3', unitAt(0.3, 4), { index: 0 });
    await makeChunk('a4', 'A1', unitAt(0.4, 5), { index: 1 });
    await makeChunk('a5', 'A2', unitAt(0.5, 6), { index: 1 });
    await makeChunk('a6', 'A3', unitAt(0.6, 7), { index: 1 });
    // Nearer than all of those, but not searchable: an older version switched off, and a
    // chunk embedded by another model.
    await makeChunk('a-inactive', 'A1', unitAt(0.05, 8), { version: 'v0', active: false });
    await makeChunk('a-other-model', 'A2', unitAt(0.01, 9), { index: 2, model: OTHER_MODEL });
    // Tenant B holds the nearest chunks of all.
    await makeChunk('b1', 'B1', unitAt(0, 10), { index: 0 });
    await makeChunk('b2', 'B1', unitAt(0.02, 11), { index: 1 });
    await makeChunk('b3', 'B1', unitAt(0.03, 12), { index: 2 });
  });
  afterAll(() => t?.close());

  it('returns the tenant’s active chunks of the model, nearest first, with cosine distances', async () => {
    const hits = await search(a);
    expect(labelsOf(hits)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
    const thetas = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    hits.forEach((h, i) => {
      expect(h.distance).toBeCloseTo(1 - Math.cos(thetas[i] as number), 5);
    });
    expect(hits[0]?.documentId).toBe(docs.A1);
    expect(hits[1]?.documentId).toBe(docs.A2);
    expect(labelsOf(await search(a, { limit: 3 }))).toEqual(['a1', 'a2', 'a3']);
  });

  it('never returns the other tenant’s chunks, however near', async () => {
    expect(labelsOf(await search(b))).toEqual(['b1', 'b2', 'b3']);
    // Even when asked for B's document by id from inside A.
    expect(await search(a, { filters: { documentIds: [docs.B1 as string] } })).toEqual([]);
  });

  it('searches only the given model', async () => {
    expect(labelsOf(await search(a, { model: OTHER_MODEL }))).toEqual(['a-other-model']);
    expect(await search(a, { model: 'never-used' })).toEqual([]);
  });

  it('filters by collection, tags and documents, alone and together', async () => {
    const by = async (filters: VectorSearchOptions['filters']) =>
      labelsOf(await search(a, { filters }));
    expect(await by({ collectionId: collections.manuals })).toEqual(['a1', 'a3', 'a4', 'a6']);
    expect(await by({ collectionId: collections.policies })).toEqual(['a2', 'a5']);
    expect(await by({ tags: ['policy'] })).toEqual(['a2', 'a3', 'a5', 'a6']);
    expect(await by({ tags: ['faq', 'nothing'] })).toEqual(['a1', 'a2', 'a4', 'a5']);
    expect(await by({ documentIds: [docs.A2 as string, docs.A3 as string] })).toEqual([
      'a2',
      'a3',
      'a5',
      'a6',
    ]);
    expect(await by({ collectionId: collections.manuals, tags: ['policy'] })).toEqual(['a3', 'a6']);
    expect(await by({ tags: [] })).toEqual([]);
    expect(await by({ documentIds: [] })).toEqual([]);
  });

  it('gives the same answer in every scan mode, with or without steering the planner', async () => {
    for (const iterativeScan of ['off', 'relaxed_order', 'strict_order'] as const)
      for (const efSearch of [1, 40, 100])
        for (const preferIndex of [true, false])
          expect(
            labelsOf(await search(a, { iterativeScan, efSearch, preferIndex, limit: 4 })),
          ).toEqual(['a1', 'a2', 'a3', 'a4']);
  });

  it('sets the index options for its transaction, and steers the planner for its own statement only', async () => {
    const current = async (tx: Tx) =>
      rowsOf(
        await tx.execute(
          sql`select current_setting('hnsw.ef_search', true) as ef, current_setting('hnsw.iterative_scan', true) as mode,
                     current_setting('enable_seqscan') as seqscan, current_setting('enable_bitmapscan') as bitmapscan`,
        ),
      )[0];
    const options = { embedding: QUERY, model: MODEL, limit: 5, efSearch: 64 };
    const seen = await t.db.withTenant(a, async (tx) => {
      await vectorSearch(tx, options);
      const after = await current(tx);
      const [applied] = rowsOf(await tx.execute(searchSettingsQuery(options)));
      const during = await current(tx);
      // A caller's own planner settings come back as they were.
      await tx.execute(
        sql`select set_config('enable_seqscan', 'on', true), set_config('enable_bitmapscan', 'off', true)`,
      );
      await vectorSearch(tx, options);
      const callerOwn = await current(tx);
      await tx.execute(sql`select set_config('enable_bitmapscan', 'on', true)`);
      const [unsteered] = rowsOf(
        await tx.execute(searchSettingsQuery({ ...options, iterativeScan: 'off' })),
      );
      const [optedOut] = rowsOf(
        await tx.execute(searchSettingsQuery({ ...options, preferIndex: false })),
      );
      return { applied, during, after, callerOwn, unsteered, optedOut, last: await current(tx) };
    });
    expect(seen.applied).toMatchObject({ seqscan: 'on', bitmapscan: 'on', steered: true });
    expect(seen.during).toEqual({
      ef: '64',
      mode: 'relaxed_order',
      seqscan: 'off',
      bitmapscan: 'off',
    });
    expect(seen.after).toEqual({
      ef: '64',
      mode: 'relaxed_order',
      seqscan: 'on',
      bitmapscan: 'on',
    });
    expect(seen.callerOwn).toMatchObject({ seqscan: 'on', bitmapscan: 'off' });
    expect(seen.unsteered).toMatchObject({ steered: false });
    expect(seen.optedOut).toMatchObject({ steered: false });
    expect(seen.last).toEqual({ ef: '64', mode: 'relaxed_order', seqscan: 'on', bitmapscan: 'on' });
    // All of it was local to that transaction.
    const next = await t.db.withTenant(a, current);
    expect(next?.ef).not.toBe('64');
    expect(next?.mode).not.toBe('relaxed_order');
  });

  it('refuses malformed options before reaching the database', async () => {
    await expect(search(a, { limit: 0 })).rejects.toThrow(/limit/);
    await expect(search(a, { limit: 2.5 })).rejects.toThrow(/limit/);
    await expect(search(a, { efSearch: 5000 })).rejects.toThrow(/efSearch/);
    await expect(search(a, { embedding: [0.1, Number.NaN] })).rejects.toThrow(/finite/);
    await expect(search(a, { embedding: [] })).rejects.toThrow(/embedding/);
    await expect(search(a, { filters: { collectionId: "x' or true --" } })).rejects.toThrow(/UUID/);
    await expect(search(a, { filters: { documentIds: ['nope'] } })).rejects.toThrow(/UUID/);
  });

  /**
   * A small tenant sharing one HNSW index with a large one whose chunks are all nearer the
   * query: a single bounded index scan (ef_search candidates) holds only the large tenant's
   * rows, which RLS then removes. Iterative scans keep walking the graph until the page is full.
   */
  describe('on a shared HNSW index', () => {
    // Smaller on PGlite, where building the index runs in WebAssembly; either way far more
    // than ef_search rows stand between the query and the small tenant.
    const LARGE = driver === 'postgres' ? 3000 : 500;
    const SMALL = 40;
    let small: string;
    let large: string;
    let collection: string;
    /** The small tenant's chunk ids in the collection, exact nearest first. */
    let exactInCollection: string[];

    /**
     * Inserts `count` chunks of one document on a spherical band around the query e0: at an
     * angle phi in [phiMin, phiMax) from it, in a direction psi around it, plus a little noise
     * in eight more dimensions. The large tenant fills the cap phi < 1 rad; the small one the
     * band just outside it, so its chunks all lie beyond the large tenant's yet the graph
     * reaches them through their neighbours (isolated outliers can be unreachable in any
     * HNSW graph, which is not what this is testing). Even chunks are in `collectionId`,
     * tagged `even`.
     */
    const bulkChunks = async (
      tenantId: string,
      count: number,
      [phiMin, phiMax]: [number, number],
      salt: number,
      collectionId: string | null,
    ) => {
      const [d] = await t.ownerQuery<{ id: string }>(
        `insert into knowledge_documents (tenant_id, title, source_type, status)
         values ($1, 'bulk', 'text', 'ready') returning id`,
        [tenantId],
      );
      await t.ownerQuery(
        `insert into knowledge_chunks (tenant_id, document_id, document_version, active, collection_id,
                                       tags, chunk_index, content, model, embedding, search_vector)
         select $1, $2, 'v1', true,
                case when i % 2 = 0 then $3::uuid end,
                case when i % 2 = 0 then '{even}'::text[] else '{}'::text[] end,
                i, 'bulk passage ' || i, $4,
                (select ('[' || string_agg(case when dim = 0 then cos(phi)
                                                when dim = 1 then sin(phi) * cos(psi)
                                                when dim = 2 then sin(phi) * sin(psi)
                                                when dim <= 10 then (hashint4(i * 7919 + dim * 31 + $7) % 1000) / 50000.0
                                                else 0 end::text, ',' order by dim) || ']')::vector
                   from generate_series(0, ${DIMS - 1}) dim),
                to_tsvector('english', 'bulk passage ' || i)
           from (select i,
                        $5::float8 + ($6::float8 - $5::float8) * ((hashint4(i * 7 + $7) & 65535) / 65536.0) as phi,
                        2 * pi() * ((hashint4(i * 13 + $7) & 65535) / 65536.0) as psi
                   from generate_series(0, $8::int - 1) i) p`,
        [tenantId, (d as { id: string }).id, collectionId, MODEL, phiMin, phiMax, salt, count],
      );
    };

    beforeAll(async () => {
      const made = await t.ownerQuery<{ id: string }>(
        `insert into tenants (name, slug) values ('Small', 'hnsw-small'), ('Large', 'hnsw-large') returning id`,
      );
      [small, large] = made.map((m) => m.id) as [string, string];
      const [c] = await t.ownerQuery<{ id: string }>(
        `insert into collections (tenant_id, name) values ($1, 'half') returning id`,
        [small],
      );
      collection = (c as { id: string }).id;
      // Built once after loading (as a bulk load would), from the migration's own definition:
      // inserting row by row into the index takes ten times longer.
      const [index] = await t.ownerQuery<{ def: string }>(
        `select pg_get_indexdef('knowledge_chunks_embedding_hnsw'::regclass) as def`,
      );
      await t.ownerQuery('drop index knowledge_chunks_embedding_hnsw');
      await bulkChunks(large, LARGE, [0, 1], 1, null);
      await bulkChunks(small, SMALL, [1.05, 1.4], 2, collection);
      await t.ownerQuery((index as { def: string }).def);
      await t.ownerQuery('analyze knowledge_chunks');
      const exact = await t.ownerQuery<{ id: string }>(
        `select id from knowledge_chunks where tenant_id = $1 and collection_id = $2
          order by embedding <=> $3::vector limit 10`,
        [small, collection, literal(QUERY)],
      );
      exactInCollection = exact.map((r) => r.id);
      // The premise: every chunk of the large tenant is nearer than any of the small one's.
      const [gap] = await t.ownerQuery<{ far_large: number; near_small: number }>(
        `select max(embedding <=> $3::vector) filter (where tenant_id = $1) as far_large,
                min(embedding <=> $3::vector) filter (where tenant_id = $2) as near_small
           from knowledge_chunks`,
        [large, small, literal(QUERY)],
      );
      expect(gap?.far_large).toBeLessThan(gap?.near_small as number);
    });

    /** Runs the search with HNSW as the only way to order rows, and its plan. */
    const searchOnIndex = (options: Partial<VectorSearchOptions>) =>
      t.db.withTenant(small, async (tx) => {
        // Keep the planner off an exact scan of the tenant's rows, which a table this small
        // would invite: the point here is what the HNSW index returns.
        await tx.execute(
          sql`select set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),
                     set_config('enable_sort', 'off', true), set_config('jit', 'off', true)`,
        );
        const o = { embedding: QUERY, model: MODEL, limit: 10, ...options };
        const hits = await vectorSearch(tx, o);
        const plan = rowsOf(await tx.execute(sql`explain ${vectorSearchQuery(o)}`))
          .map((r) => String(r['QUERY PLAN']))
          .join('\n');
        return { hits, plan };
      });

    it('one bounded scan comes back short: the nearest candidates all belong to the other tenant', async () => {
      const { hits, plan } = await searchOnIndex({ iterativeScan: 'off', efSearch: 40 });
      expect(plan).toContain('knowledge_chunks_embedding_hnsw');
      expect(hits.length).toBeLessThan(10);
    });

    it('iterative scans still fill the page for a small tenant, with and without filters', async () => {
      for (const iterativeScan of ['relaxed_order', 'strict_order'] as const) {
        const all = await searchOnIndex({ iterativeScan, efSearch: 40 });
        expect(all.plan).toContain('knowledge_chunks_embedding_hnsw');
        expect(all.hits).toHaveLength(10);
        const filtered = await searchOnIndex({
          iterativeScan,
          efSearch: 40,
          filters: { collectionId: collection, tags: ['even'] },
        });
        expect(filtered.hits).toHaveLength(10);
        const distances = filtered.hits.map((h) => h.distance);
        expect(distances).toEqual([...distances].sort((x, y) => x - y));
        const recall =
          filtered.hits.filter((h) => exactInCollection.includes(h.chunkId)).length / 10;
        expect(recall).toBeGreaterThanOrEqual(0.8);
      }
    });

    it('the default options fill the page too, whatever plan the planner picks', async () => {
      const hits = await t.db.withTenant(small, (tx) =>
        vectorSearch(tx, {
          embedding: QUERY,
          model: MODEL,
          limit: 10,
          filters: { collectionId: collection },
        }),
      );
      expect(hits).toHaveLength(10);
      const recall = hits.filter((h) => exactInCollection.includes(h.chunkId)).length / 10;
      expect(recall).toBeGreaterThanOrEqual(0.8);
    });
  });
});
