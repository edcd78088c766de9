/**
 * Savings benchmark: replays a traffic log through the real answer pipeline (retrieval, router,
 * semantic answer cache, offline model) and prices each answer as if the routed tier's model had
 * written it, at the seed's prices and 500 + 500 tokens. The log draws intents from the labelled
 * set with a Zipf distribution (s = 1) and a random paraphrase each time, as real support
 * traffic repeats a few questions often in many wordings. Baseline: every request to GPT-4o.
 * A false hit is a reused answer that is wrong for the new question: first given to a question
 * of another intent (label), or citing other sources than a fresh answer to the new question
 * would (source; the pipeline is re-run with the cache off for every hit to know).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadConfig } from '@platform/config';
import { openTestDatabase, preparePostgresTemplate } from '@platform/db/testing';
import { addDocument, createEmbedder, createKnowledgeService } from '@platform/knowledge';
import { createAiService } from '../packages/ai/src/index.ts';
import { type LabelledQuery, loadQueries, perQuery } from './routing/data.ts';

const REQUESTS = Number(process.env.SAVINGS_REQUESTS ?? 3000);
const SIMILARITY = Number(process.env.ANSWER_CACHE_MIN_SIMILARITY ?? 0.9);
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
process.env.DATABASE_URL = url;
await preparePostgresTemplate(url);

// A seeded generator, so every run replays the same log.
let seed = 20261127;
const random = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};

const queries = loadQueries('dev');
const intents = [...new Set(queries.map((q) => q.intent))];
const byIntent = new Map(intents.map((id) => [id, queries.filter((q) => q.intent === id)]));
// Popularity order is a fixed shuffle of the intents, not the file order.
const popularity = [...intents].sort(() => random() - 0.5);
const weights = popularity.map((_, i) => 1 / (i + 1));
const totalWeight = weights.reduce((a, b) => a + b, 0);
function drawIntent(): string {
  let r = random() * totalWeight;
  for (const [i, w] of weights.entries()) {
    r -= w;
    if (r <= 0) return popularity[i] as string;
  }
  return popularity.at(-1) as string;
}

const t = await openTestDatabase('postgres');
const embedder = createEmbedder({ provider: 'local' });
await embedder.embed(['warm up'], 'query');
const [tenant] = await t.ownerQuery<{ id: string }>(
  "insert into tenants (name, slug) values ('savings', 'savings') returning id",
);
const tenantId = tenant?.id as string;

// The knowledge base: one help-centre article per intent.
const sourceDoc = new Map<string, string>();
for (const id of intents) {
  const q = byIntent.get(id)?.[0] as LabelledQuery;
  const text = `# ${q.source.title}\n\n${q.source.text}\n`;
  const added = await t.db.withTenant(tenantId, (tx) =>
    addDocument(
      tx,
      tenantId,
      { bytes: Buffer.from(text), fileName: `${id}.md`, source: id },
      { maxBytes: 1e6 },
    ),
  );
  sourceDoc.set(id, added.document.id);
}
const knowledge = createKnowledgeService(t.db, { embedder, maxUploadBytes: 1e6, pollMs: 20 });
await knowledge.start();
for (;;) {
  const [row] = await t.ownerQuery<{ n: number }>(
    "select count(*)::int as n from knowledge_documents where status in ('pending','processing')",
  );
  if (!row?.n) break;
  knowledge.nudge();
  await new Promise((r) => setTimeout(r, 50));
}
await knowledge.stop();
const intentOfDoc = new Map([...sourceDoc].map(([intent, doc]) => [doc, intent]));

const config = loadConfig({
  AI_TIER1_MODELS: 'offline:extractive-v1',
  AI_TIER2_MODELS: 'offline:extractive-v1',
  AI_TIER3_MODELS: 'offline:extractive-v1',
  AUTH_SECRET: 'savings-bench-secret-savings-bench-secret',
  ANSWER_CACHE_MIN_SIMILARITY: String(SIMILARITY),
});
const ai = createAiService(t.db, { config, embedder });
// The same pipeline with the cache off: what a fresh answer to a reused question would cite.
const fresh = createAiService(t.db, {
  config: { ...config, ANSWER_CACHE_MIN_SIMILARITY: 1 },
  embedder,
});
const questionIntent = new Map(queries.map((q) => [q.query, q.intent]));

let ours = 0;
let routerOnly = 0;
let hits = 0;
let falseHits = 0;
let cacheable = 0;
let hitsCitingOtherSource = 0;
let uncited = 0;
let paraphraseHits = 0;
let hitsWithOtherSourceThanFresh = 0;
let freshCitingOwnSource = 0;
let freshAnswers = 0;
let missedRepeats = 0;
const cachedQuestions = new Set<string>();
const falseExamples: Array<{ asked: string; reused: string }> = [];
const started = performance.now();
for (let i = 0; i < REQUESTS; i++) {
  const intent = drawIntent();
  const options = byIntent.get(intent) as LabelledQuery[];
  const q = options[Math.floor(random() * options.length)] as LabelledQuery;
  const result = await ai.answerText({
    tenantId,
    question: q.query,
    ...(q.history ? { history: q.history } : {}),
  });
  routerOnly += perQuery(result.decision.classifiedTier);
  if (!q.history) cacheable++;
  if (result.cacheHit) {
    hits++;
    const reusedIntent = result.reusedFrom
      ? questionIntent.get(result.reusedFrom.question)
      : undefined;
    const citedIntents = result.citations.map((c) => intentOfDoc.get(c.documentId));
    if (citedIntents.some((c) => c !== q.intent)) hitsCitingOtherSource++;
    if (result.reusedFrom && result.reusedFrom.question !== q.query) paraphraseHits++;
    const freshAnswer = await fresh.answerText({ tenantId, question: q.query });
    const docs = (cs: { documentId: string }[]) =>
      [...new Set(cs.map((c) => c.documentId))].sort().join();
    const otherSource = docs(freshAnswer.citations) !== docs(result.citations);
    if (otherSource) hitsWithOtherSourceThanFresh++;
    if (reusedIntent !== q.intent || otherSource) {
      falseHits++;
      if (falseExamples.length < 10)
        falseExamples.push({ asked: q.query, reused: result.reusedFrom?.question ?? '?' });
    }
  } else {
    ours += perQuery(result.tier);
    if (!result.citations.length) uncited++;
    freshAnswers++;
    if (result.citations[0] && intentOfDoc.get(result.citations[0].documentId) === q.intent)
      freshCitingOwnSource++;
    if (!q.history && cachedQuestions.has(q.query)) missedRepeats++;
    if (!q.history && result.citations.length) cachedQuestions.add(q.query);
  }
}
const seconds = (performance.now() - started) / 1000;
const baseline = perQuery(2) * REQUESTS;
const share = (n: number, d: number) => Math.round((n / d) * 10000) / 10000;
const out = {
  name: 'savings',
  ours: {
    pipeline: `router + semantic answer cache (min similarity ${SIMILARITY})`,
    requests: REQUESTS,
    costUsd: ours / 1e6,
    savingsVsAllGpt4o: share(baseline - ours, baseline),
    cacheHitRate: share(hits, REQUESTS),
    cacheHitRateOfCacheable: share(hits, cacheable),
    falseHitRate: hits ? share(falseHits, hits) : 0,
    /** Hits where the new wording differed from the cached question's (the rest are verbatim repeats). */
    paraphraseHits,
    falseHits,
    /** Hits whose sources differ from those a fresh answer to the new question cites (counted as false hits). */
    hitsWithOtherSourceThanFresh,
    /** Share of fresh (not cached) answers whose first citation is the question's own article: answer quality of the offline model over retrieval. */
    freshAnswersCitingOwnArticle: share(freshCitingOwnSource, freshAnswers),
    /** Hits whose answer cites another intent's article: a retrieval miss of the original answer, reused as it was. */
    hitsCitingOtherSource,
    /** Answers that cited nothing (the offline model found no answer), which are never cached. */
    uncitedAnswers: uncited,
    /** The same question again, after a cited answer to it, that still missed the cache. */
    missedRepeats,
    routerOnly: {
      costUsd: routerOnly / 1e6,
      savingsVsAllGpt4o: share(baseline - routerOnly, baseline),
    },
    medianMsPerRequest: Math.round((seconds * 1000) / REQUESTS),
  },
  baseline: { pipeline: 'every request to GPT-4o', costUsd: baseline / 1e6 },
  ratio: share(ours, baseline),
  unit: 'cost of ours / cost of all-GPT-4o (500 input + 500 output tokens a request at the seed prices)',
  notes: `Traffic: ${REQUESTS} requests, Zipf(s=1) over ${intents.length} intents of bench/routing/queries.json, random paraphrase each; multi-turn requests bypass the cache. False hit = reused answer first given for another intent, or citing other documents than a fresh answer to the new question. Examples: ${JSON.stringify(falseExamples)}`,
};
console.log(JSON.stringify(out, null, 2));
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('results/savings.json', import.meta.url),
  `${JSON.stringify(out, null, 2)}\n`,
);
await ai.stop();
await fresh.stop();
await t.close();
