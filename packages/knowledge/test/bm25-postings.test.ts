import type { Tx } from '@platform/db';
import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDocument } from '../src/documents/add.ts';
import { createEmbedder } from '../src/embed/index.ts';
import type { Embedder } from '../src/embed/types.ts';
import { KnowledgeEvents } from '../src/events.ts';
import { ingestDocument } from '../src/ingest/ingest.ts';
import { ParserPool } from '../src/parse/isolated.ts';
import { bm25Search, type LexicalHit } from '../src/search/bm25.ts';
import { chunkFilterSql, type SearchFilters } from '../src/search/filters.ts';
import { add, makeTenant, statsDrift } from './ingest-helpers.ts';

/**
 * The statement bm25Search ran before postings: candidates by `search_vector @@`, term
 * frequencies by unnesting each candidate's tsvector. Kept as the reference the postings
 * must reproduce.
 */
function referenceBm25(tx: Tx, query: string, limit: number, filters?: SearchFilters) {
  return tx.execute(sql`
    with terms as (
      select distinct u.lexeme as term from unnest(to_tsvector('english', ${query})) u
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
         ${chunkFilterSql(filters)}
    )
    select c.id, c.document_id,
           sum(w.idf * (cardinality(u.positions) * ${2.2}::float8)
               / (cardinality(u.positions) + ${1.2}::float8 * (1 - ${0.75}::float8 + ${0.75}::float8 * c.token_count / s.avgdl))) as score
      from candidates c
     cross join lateral unnest(c.search_vector) u
      join weighted w on w.term = u.lexeme
     cross join stats s
     group by c.id, c.document_id
     order by score desc, c.id
     limit ${limit}`);
}

/**
 * A ranking with ties settled by chunk id. Equal scores can differ in the last bit when a
 * sum is added up in another order (the reference's own order is arbitrary), so scores are
 * compared to 12 significant digits.
 */
const canonical = (hits: LexicalHit[]) =>
  hits
    .map((h) => ({ ...h, key: Number(h.score.toPrecision(12)) }))
    .sort((a, b) => b.key - a.key || (a.chunkId < b.chunkId ? -1 : 1))
    .map((h) => `${h.chunkId} ${h.documentId} ${h.key}`);

const doc = (title: string, sections: [string, string][]) =>
  `# ${title}\n\n${sections.map(([h, body]) => `## ${h}\n\n${body}`).join('\n\n')}\n`;

const CORPUS: Record<string, string> = {
  'handbook.md': doc('Employee handbook', [
    [
      'Expenses',
      'Submit receipts within thirty days of purchase. Meals while travelling are reimbursed up to fifty euros a day; alcohol is never reimbursed. Travel receipts go to finance.',
    ],
    [
      'Remote work',
      'Staff may work from home up to three days a week after probation. Home office equipment such as a monitor or a chair is paid for once every three years.',
    ],
    [
      'Security',
      'Report a lost laptop to the IT service desk immediately. Passwords must be at least twelve characters and are never shared, not even with colleagues.',
    ],
  ]),
  'travel.md': doc('Travel policy', [
    [
      'Booking travel',
      'Book train travel through the travel desk. Flights need approval from your manager; travel receipts are kept for audit. Travel insurance covers every business trip.',
    ],
    [
      'Per diem',
      'Meals abroad are reimbursed by the per diem table of the destination country, not by receipts.',
    ],
  ]),
  'it.md': doc('IT service desk', [
    [
      'Laptops',
      'A new laptop is issued every four years. A broken laptop is swapped the same day at the service desk; a lost laptop must be reported, and its disk is wiped remotely.',
    ],
    [
      'Passwords',
      'Reset a forgotten password at the service desk or with the self-service portal. Passwords expire never; a password manager is provided.',
    ],
    [
      'Monitors',
      'Every desk has two monitors; a third monitor needs a reason, and home office monitors are ordered through the desk.',
    ],
  ]),
};

const QUERIES = [
  'how are travel receipts reimbursed',
  'I lost my laptop, what now?',
  'can I get a monitor for my home office',
  'password reset at the service desk',
  'travel travel travel', // one term, repeated
  'zebra quantum', // no known term
  '',
];

describe.each(testDrivers())('BM25 over knowledge_postings (%s)', (driver) => {
  let t: TestDatabase;
  let embedder: Embedder;
  let parsers: ParserPool;
  let acme: string;
  let globex: string;
  const docs: Record<string, string> = {};
  let legal: string;

  const ingest = async (tenantId: string, documentId: string, version: string, with_ = embedder) =>
    ingestDocument(
      { db: t.db, embedder: with_, events: new KnowledgeEvents(), parsers },
      { tenantId, documentId, version, lastAttempt: false, signal: new AbortController().signal },
    );
  const addAndIngest = async (tenantId: string, fileName: string, bytes: string, extra = {}) => {
    const { document } = await add(t, tenantId, { fileName, bytes, ...extra });
    await ingest(tenantId, document.id, document.contentHash as string);
    return document.id;
  };

  /** Postings as stored, and as recounted from every chunk's search_vector; equal when in step. */
  const postingsDrift = async () => {
    const recount = await t.ownerQuery<{ row: string }>(
      `select concat_ws(' ', c.tenant_id, c.id, u.lexeme, cardinality(u.positions), c.token_count) as row
         from knowledge_chunks c cross join lateral unnest(c.search_vector) u order by 1`,
    );
    const stored = await t.ownerQuery<{ row: string }>(
      `select concat_ws(' ', tenant_id, chunk_id, term, tf, chunk_token_count) as row
         from knowledge_postings order by 1`,
    );
    return { recount: recount.map((r) => r.row), stored: stored.map((r) => r.row) };
  };

  const compare = (tenantId: string, query: string, filters?: SearchFilters) =>
    t.db.withTenant(tenantId, async (tx) => {
      const reference = (await referenceBm25(tx, query, 100, filters)).rows.map((r) => ({
        chunkId: String(r.id),
        documentId: String(r.document_id),
        score: Number(r.score),
      }));
      const options = { query, limit: 100, ...(filters ? { filters } : {}) };
      const hits = await bm25Search(tx, options);
      const top3 = await bm25Search(tx, { ...options, limit: 3 });
      return { reference, hits, top3 };
    });

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    embedder = createEmbedder({ provider: 'local' });
    parsers = new ParserPool({ size: 1 });
    acme = await makeTenant(t, `postings-acme-${driver}`);
    globex = await makeTenant(t, `postings-globex-${driver}`);
    const [col] = await t.ownerQuery<{ id: string }>(
      `insert into collections (tenant_id, name) values ($1, 'it') returning id`,
      [acme],
    );
    legal = col?.id as string;
    for (const [name, text] of Object.entries(CORPUS))
      docs[name] = await addAndIngest(
        acme,
        name,
        text,
        name === 'it.md' ? { collectionId: legal, tags: ['it', 'hardware'] } : {},
      );
    // Another tenant with overlapping words: its postings must never count for acme.
    docs.globex = await addAndIngest(
      globex,
      'globex.md',
      doc('Globex travel', [['Travel', 'Travel receipts and laptop passwords, travel travel.']]),
    );
  }, 120_000);
  afterAll(async () => {
    await parsers?.close();
    await t?.close();
  });

  it('writes each chunk’s terms, frequencies and length with the chunk', async () => {
    const { recount, stored } = await postingsDrift();
    expect(recount.length).toBeGreaterThan(100);
    expect(stored).toEqual(recount);
    // The runtime sees its own tenant's postings only.
    const seen = await t.db.withTenant(globex, (tx) =>
      tx.execute(sql`select count(*)::int as n, count(distinct tenant_id)::int as tenants
                       from knowledge_postings`),
    );
    const [row] = (seen as unknown as { rows: { n: number; tenants: number }[] }).rows;
    expect(row?.tenants).toBe(1);
    expect(row?.n).toBeLessThan(stored.length);
  });

  it('ranks and scores exactly as the tsvector-unnesting statement did', async () => {
    let compared = 0;
    for (const query of QUERIES)
      for (const filters of [
        undefined,
        { collectionId: legal },
        { tags: ['hardware'] },
        { documentIds: [docs['handbook.md'] as string, docs['travel.md'] as string] },
      ]) {
        const { reference, hits, top3 } = await compare(acme, query, filters);
        expect(canonical(hits), `${query} ${JSON.stringify(filters)}`).toEqual(
          canonical(reference),
        );
        for (const [i, h] of hits.entries())
          expect(h.score).toBeCloseTo(reference[i]?.score ?? Number.NaN, 9);
        expect(top3).toEqual(hits.slice(0, 3));
        compared += hits.length;
      }
    expect(compared).toBeGreaterThan(30);
    // Only acme's chunks, though globex holds the same words more often.
    const { hits } = await compare(acme, 'travel receipts laptop passwords');
    const globexChunks = await t.ownerQuery<{ id: string }>(
      'select id from knowledge_chunks where tenant_id = $1',
      [globex],
    );
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.some((h) => globexChunks.some((g) => g.id === h.chunkId))).toBe(false);
  });

  it('drops a deleted document’s postings, and a replaced version’s', async () => {
    const id = await addAndIngest(acme, 'temp.md', doc('Temp', [['Note', 'A zebra crossing.']]));
    const chunkIds = async () =>
      (
        await t.ownerQuery<{ id: string }>(
          'select id from knowledge_chunks where document_id = $1',
          [id],
        )
      ).map((r) => r.id);
    const postingsOf = async (ids: string[]) => {
      const [row] = await t.ownerQuery<{ n: number }>(
        'select count(*)::int as n from knowledge_postings where chunk_id = any($1::uuid[])',
        [ids],
      );
      return row?.n;
    };
    const v1 = await chunkIds();
    expect(await postingsOf(v1)).toBeGreaterThan(0);
    expect((await compare(acme, 'zebra')).hits.length).toBe(1);

    // Same source, new content: the old version's chunks and postings go at activation.
    const { document } = await add(t, acme, {
      fileName: 'temp.md',
      bytes: doc('Temp', [['Note', 'A giraffe crossing.']]),
    });
    await ingest(acme, id, document.contentHash as string);
    expect(await postingsOf(v1)).toBe(0);
    const v2 = await chunkIds();
    expect(await postingsOf(v2)).toBeGreaterThan(0);
    expect((await compare(acme, 'zebra')).hits).toEqual([]);

    expect(await t.db.withTenant(acme, (tx) => removeDocument(tx, acme, id))).toBe(true);
    expect(await postingsOf(v2)).toBe(0);
    expect((await compare(acme, 'giraffe')).hits).toEqual([]);
    const { recount, stored } = await postingsDrift();
    expect(stored).toEqual(recount);
  });

  it('writes a re-run batch’s postings once', async () => {
    // The first run embeds one batch and fails; the retry, under another model, writes that
    // batch's chunks again (their embedding is stale) and must not trip over its postings.
    const sections = Array.from({ length: 6 }, (_, i): [string, string] => [
      `Step ${i + 1}`,
      `Inspect valve ${i + 1} and record the pressure of unit ${i + 3}; notify the shift lead.`,
    ]);
    const { document } = await add(t, acme, {
      fileName: 'manual.md',
      bytes: doc('Valve manual', sections),
    });
    let calls = 0;
    const failing: Embedder = {
      model: 'flaky-embedder',
      dimensions: embedder.dimensions,
      batchSize: 2,
      embed: async (texts, kind, signal) => {
        if (++calls > 1) throw new Error('embedding service unavailable');
        return embedder.embed(texts, kind, signal);
      },
    };
    const version = document.contentHash as string;
    await expect(ingest(acme, document.id, version, failing)).rejects.toThrow('unavailable');
    const [partial] = await t.ownerQuery<{ chunks: number; postings: number }>(
      `select count(distinct c.id)::int as chunks, count(p.*)::int as postings
         from knowledge_chunks c left join knowledge_postings p on p.chunk_id = c.id
        where c.document_id = $1 and not c.active`,
      [document.id],
    );
    expect(partial?.chunks).toBe(2);
    expect(partial?.postings).toBeGreaterThan(0);

    const retry: Embedder = {
      model: 'steady-embedder',
      dimensions: embedder.dimensions,
      batchSize: 2,
      embed: (texts, kind, signal) => embedder.embed(texts, kind, signal),
    };
    await ingest(acme, document.id, version, retry);
    const [done] = await t.ownerQuery<{ status: string; chunks: number }>(
      `select d.status, (select count(*)::int from knowledge_chunks c
                          where c.document_id = d.id and c.active and c.model = 'steady-embedder') as chunks
         from knowledge_documents d where d.id = $1`,
      [document.id],
    );
    expect(done).toEqual({ status: 'ready', chunks: sections.length });
    const { recount, stored } = await postingsDrift();
    expect(stored).toEqual(recount);
    expect((await statsDrift(t, acme)).termsEqual).toBe(true);
    const { reference, hits } = await compare(acme, 'inspect valve pressure');
    expect(canonical(hits)).toEqual(canonical(reference));
    expect(hits[0]?.documentId).toBe(document.id);
  }, 60_000);
});
