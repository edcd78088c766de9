/**
 * Retrieval quality and ingestion throughput of the knowledge base.
 *
 * Corpus: the Markdown documentation that the npm package `pino` ships (node_modules/pino/docs,
 * 14 files), ingested through our real pipeline into PostgreSQL. Questions:
 * bench/retrieval/questions.json (206 plain-language questions, each naming the passage that
 * answers it by a verbatim phrase). A retrieved chunk is relevant when it comes from the
 * answer's file and contains the phrase (lower-cased, whitespace collapsed).
 *
 * Side by side, over the same chunks: Postgres full text as usually written (plainto_tsquery
 * AND, ranked by ts_rank_cd), the same with an OR query, wink-bm25-text-search (the named
 * baseline), our SQL BM25, vector only (local embedder) and our hybrid (RRF).
 * Ingestion throughput: MB/s over every Markdown file in node_modules (except fastify's,
 * reserved for an independent check) and pages/s over real PDF manuals when present.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTestDatabase, preparePostgresTemplate } from '@platform/db/testing';
import {
  addDocument,
  bm25Search,
  chunkContext,
  createEmbedder,
  createKnowledgeService,
  searchKnowledge,
  vectorSearch,
} from '@platform/knowledge';
import { sql } from 'drizzle-orm';
// @ts-expect-error: wink-bm25-text-search ships no types
import bm25Factory from 'wink-bm25-text-search';
// @ts-expect-error: wink-nlp-utils ships no types
import nlp from 'wink-nlp-utils';
import { median, writeResult } from './lib.ts';

type Question = { id: string; question: string; answers: { file: string; contains: string }[] };

const root = fileURLToPath(new URL('..', import.meta.url));
const pinoRoot = join(root, 'node_modules/pino');
const questions = JSON.parse(
  readFileSync(join(root, 'bench/retrieval/questions.json'), 'utf8'),
) as Question[];
const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ');
const rowsOf = (r: unknown) => (r as { rows: Record<string, unknown>[] }).rows;

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
process.env.DATABASE_URL = url;
await preparePostgresTemplate(url);

// ---------- ingestion (also the throughput measurement for text) ----------
async function ingestFolder(files: { path: string; source: string }[], slug: string) {
  const t = await openTestDatabase('postgres');
  const embedder = createEmbedder({
    provider: 'local',
    ...(process.env.SEMANTIC_WEIGHT ? { semanticWeight: Number(process.env.SEMANTIC_WEIGHT) } : {}),
  });
  await embedder.embed(['warm up'], 'query');
  const [tenant] = await t.ownerQuery<{ id: string }>(
    'insert into tenants (name, slug) values ($1, $1) returning id',
    [slug],
  );
  const tenantId = tenant?.id as string;
  const service = createKnowledgeService(t.db, {
    embedder,
    maxUploadBytes: 50 * 1024 * 1024,
    concurrency: 2,
    tenantConcurrency: 2,
    pollMs: 20,
  });
  const started = performance.now();
  let bytes = 0;
  for (const f of files) {
    const content = readFileSync(f.path);
    bytes += content.length;
    await t.db.withTenant(tenantId, (tx) =>
      addDocument(
        tx,
        tenantId,
        { bytes: content, fileName: f.source, source: f.source },
        { maxBytes: 50 * 1024 * 1024 },
      ),
    );
  }
  await service.start();
  for (;;) {
    const [row] = await t.ownerQuery<{ n: number }>(
      `select count(*)::int as n from knowledge_documents where status in ('pending','processing')`,
    );
    if (!row?.n) break;
    service.nudge();
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  await service.stop();
  const [stats] = await t.ownerQuery<{
    docs: number;
    failed: number;
    chunks: number;
    pages: number;
  }>(
    `select count(*)::int as docs, count(*) filter (where status = 'failed')::int as failed,
            coalesce(sum((metadata->>'chunks')::int), 0)::int as chunks,
            coalesce(sum((metadata->>'pages')::int), 0)::int as pages from knowledge_documents`,
  );
  return {
    t,
    tenantId,
    embedder,
    seconds,
    bytes,
    ...(stats as { docs: number; failed: number; chunks: number; pages: number }),
  };
}

const markdownFiles = (dir: string, out: string[] = []): string[] => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'fastify' || entry.name === '.cache') continue;
      markdownFiles(p, out);
    } else if (entry.name.endsWith('.md') && statSync(p).size > 2048) out.push(p);
  }
  return out;
};

console.log('ingesting the pino docs ...');
const pinoFiles = readdirSync(join(pinoRoot, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => ({ path: join(pinoRoot, 'docs', f), source: `docs/${f}` }));
const corpus = await ingestFolder(pinoFiles, 'pino');
const { t, tenantId, embedder } = corpus;

// ---------- the chunks, and which answer which question ----------
const chunks = rowsOf(
  await t.db.withTenant(tenantId, (tx) =>
    tx.execute(sql`select c.id, c.content, c.heading_path, d.source_uri, d.title
                     from knowledge_chunks c join knowledge_documents d on d.id = c.document_id
                    where c.active`),
  ),
).map((r) => ({
  id: String(r.id),
  content: String(r.content),
  source: String(r.source_uri),
  context: chunkContext(String(r.title), r.heading_path as string[]),
}));
const relevant = new Map<string, Set<string>>();
for (const q of questions) {
  const ids = new Set<string>();
  for (const a of q.answers)
    for (const c of chunks)
      if (c.source === a.file && norm(c.content).includes(norm(a.contains))) ids.add(c.id);
  relevant.set(q.id, ids);
}
const answerable = questions.filter((q) => relevant.get(q.id)?.size);
console.log(
  `${chunks.length} chunks; ${answerable.length}/${questions.length} questions have their phrase whole in a chunk`,
);

// ---------- the retrievers ----------
type Retriever = (q: string) => Promise<string[]>;
const inTenant = <T>(fn: Parameters<typeof t.db.withTenant<T>>[1]) => t.db.withTenant(tenantId, fn);

const tsRankCd =
  (mode: 'and' | 'or'): Retriever =>
  async (q) => {
    const query =
      mode === 'and'
        ? sql`plainto_tsquery('english', ${q})`
        : sql`(select coalesce(string_agg(quote_literal(lexeme), ' | '), '')::tsquery from unnest(to_tsvector('english', ${q})))`;
    const rows = rowsOf(
      await inTenant((tx) =>
        tx.execute(sql`select id from knowledge_chunks, ${query} as q(query)
                      where active and search_vector @@ query
                      order by ts_rank_cd(search_vector, query) desc, id limit 10`),
      ),
    );
    return rows.map((r) => String(r.id));
  };

const wink = bm25Factory();
wink.defineConfig({ fldWeights: { body: 1 } });
wink.definePrepTasks([
  nlp.string.lowerCase,
  nlp.string.tokenize0,
  nlp.tokens.removeWords,
  nlp.tokens.stem,
  nlp.tokens.propagateNegations,
]);
for (const [i, c] of chunks.entries()) wink.addDoc({ body: `${c.context}\n\n${c.content}` }, i);
wink.consolidate(4);
const winkBm25: Retriever = async (q) =>
  (wink.search(q, 10) as [number, number][]).map(([i]) => chunks[i]?.id ?? '');

const oursBm25: Retriever = async (q) =>
  (await inTenant((tx) => bm25Search(tx, { query: q, limit: 10 }))).map((h) => h.chunkId);
const vectorOnly: Retriever = async (q) => {
  const [embedding] = await embedder.embed([q], 'query');
  return (
    await inTenant((tx) =>
      vectorSearch(tx, { embedding: embedding ?? [], model: embedder.model, limit: 10 }),
    )
  ).map((h) => h.chunkId);
};
/** Reciprocal rank fusion (k = 60) of the same two lists, as the issue first proposed. */
const hybridRrf: Retriever = async (q) => {
  const [embedding] = await embedder.embed([q], 'query');
  const [lexical, semantic] = await inTenant(async (tx) => [
    await bm25Search(tx, { query: q, limit: 50 }),
    await vectorSearch(tx, { embedding: embedding ?? [], model: embedder.model, limit: 50 }),
  ]);
  const fused = new Map<string, number>();
  for (const list of [lexical, semantic])
    for (const [rank, h] of list.entries())
      fused.set(h.chunkId, (fused.get(h.chunkId) ?? 0) + 1 / (60 + rank + 1));
  return [...fused.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
};
const hybrid: Retriever = async (q) =>
  (await inTenant((tx) => searchKnowledge(tx, embedder, { query: q, limit: 10 }))).map(
    (r) => r.chunkId,
  );

/** Per-question first relevant rank (0-based, -1 = none in the top 10), for diagnosis. */
const ranks: Record<string, Record<string, number>> = {};

async function evaluate(name: string, retrieve: Retriever) {
  ranks[name] = {};
  let hits5 = 0;
  let rr = 0;
  const ms: number[] = [];
  for (const q of answerable) {
    const want = relevant.get(q.id) ?? new Set();
    const started = performance.now();
    const got = await retrieve(q.question);
    ms.push(performance.now() - started);
    const rank = got.slice(0, 10).findIndex((id) => want.has(id));
    (ranks[name] as Record<string, number>)[q.id] = rank;
    if (rank >= 0 && rank < 5) hits5++;
    if (rank >= 0) rr += 1 / (rank + 1);
  }
  const result = {
    recallAt5: Number((hits5 / answerable.length).toFixed(4)),
    mrrAt10: Number((rr / answerable.length).toFixed(4)),
    medianMs: Number(median(ms).toFixed(2)),
  };
  console.log(name.padEnd(28), result);
  return result;
}

const results = {
  tsRankCdAnd: await evaluate('ts_rank_cd + plainto_tsquery', tsRankCd('and')),
  tsRankCdOr: await evaluate('ts_rank_cd + OR tsquery', tsRankCd('or')),
  winkBm25: await evaluate('wink-bm25-text-search', winkBm25),
  oursBm25: await evaluate('ours: SQL BM25', oursBm25),
  vector: await evaluate('ours: vector (local)', vectorOnly),
  hybridRrf: await evaluate('ours: hybrid, RRF fusion', hybridRrf),
  hybrid: await evaluate('ours: hybrid (default)', hybrid),
};
if (process.env.RETRIEVAL_LISTS) {
  // Each side's top 50 with scores, for studying fusion offline.
  const lists = [];
  for (const q of answerable) {
    const [embedding] = await embedder.embed([q.question], 'query');
    const lexical = await inTenant((tx) => bm25Search(tx, { query: q.question, limit: 50 }));
    const semantic = await inTenant((tx) =>
      vectorSearch(tx, { embedding: embedding ?? [], model: embedder.model, limit: 50 }),
    );
    lists.push({ id: q.id, relevant: [...(relevant.get(q.id) ?? [])], lexical, semantic });
  }
  writeFileSync(process.env.RETRIEVAL_LISTS, JSON.stringify(lists));
}
await t.close();
if (process.env.RETRIEVAL_RANKS) writeFileSync(process.env.RETRIEVAL_RANKS, JSON.stringify(ranks));

if (process.env.RETRIEVAL_QUALITY_ONLY) process.exit(0);

// ---------- ingestion throughput ----------
console.log('ingesting node_modules Markdown for throughput ...');
const mdPaths = markdownFiles(join(root, 'node_modules'));
const text = await ingestFolder(
  mdPaths.map((p) => ({ path: p, source: relative(root, p) })),
  'throughput-text',
);
await text.t.close();
const pdfPaths = [
  '/usr/share/doc/libtasn1-doc/libtasn1.pdf',
  '/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf',
].filter(existsSync);
const pdf = pdfPaths.length
  ? await ingestFolder(
      pdfPaths.map((p) => ({ path: p, source: p })),
      'throughput-pdf',
    )
  : undefined;
await pdf?.t.close();

const ingestion = {
  text: {
    files: text.docs,
    failed: text.failed,
    megabytes: Number((text.bytes / 1048576).toFixed(2)),
    chunks: text.chunks,
    seconds: Number(text.seconds.toFixed(2)),
    mbPerSecond: Number((text.bytes / 1048576 / text.seconds).toFixed(3)),
    chunksPerSecond: Number((text.chunks / text.seconds).toFixed(1)),
  },
  pdf: pdf
    ? {
        files: pdf.docs,
        failed: pdf.failed,
        pages: pdf.pages,
        chunks: pdf.chunks,
        seconds: Number(pdf.seconds.toFixed(2)),
        pagesPerSecond: Number((pdf.pages / pdf.seconds).toFixed(2)),
      }
    : 'no PDF manuals on this machine',
};
console.log(ingestion);

writeResult('retrieval', {
  ours: {
    hybrid: results.hybrid,
    hybridWithRrf: results.hybridRrf,
    bm25: results.oursBm25,
    vector: results.vector,
  },
  baseline: {
    name: 'wink-bm25-text-search over the same chunks; Postgres ts_rank_cd for reference',
    winkBm25: results.winkBm25,
    tsRankCdAnd: results.tsRankCdAnd,
    tsRankCdOr: results.tsRankCdOr,
  },
  ratio: {
    hybridOverWinkRecallAt5: Number(
      (results.hybrid.recallAt5 / results.winkBm25.recallAt5).toFixed(3),
    ),
    hybridOverWinkMrrAt10: Number((results.hybrid.mrrAt10 / results.winkBm25.mrrAt10).toFixed(3)),
  },
  unit: 'recall@5 and MRR@10 over answerable questions (1 = perfect); latency in ms per query',
  questions: { total: questions.length, answerable: answerable.length, chunks: chunks.length },
  ingestion,
  notes:
    'Corpus: pino docs (14 Markdown files) on PostgreSQL 15 + pgvector 0.8, local embedder, one run. ' +
    'A question is answerable when its answer phrase lies whole inside one chunk. ' +
    'Targets: hybrid recall@5 >= 0.95 and MRR@10 >= 0.8, both above BM25. ' +
    'Throughput is wall time from first upload to last document ready, 2 workers, on a shared 2-core machine.',
});
process.exit(0);
