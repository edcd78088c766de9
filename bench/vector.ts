/**
 * vectorSearch (HNSW through RLS, pgvector iterative scans) against the exact answer: an exact
 * scan of the tenant's rows, on a fresh PostgreSQL database holding 100,000 chunks of 1024
 * dimensions spread unevenly over 20 tenants (Zipf: a few big, ten at 1-2% each) plus two
 * just-signed-up ones (100 and 20 chunks). PostgreSQL only (DATABASE_URL, or the local
 * default). Target: p95 <= 20 ms at recall@10 >= 0.95.
 *
 * Vectors come from a seeded Gaussian mixture: a few hundred topic centres sharing one common
 * direction (real embeddings are anisotropic), each topic spread over a low-dimensional
 * subspace plus a little isotropic noise, every tenant drawing from its own subset of topics.
 * Queries are held-out draws from the same mixture, ten per tenant, so the smallest tenants
 * get as many queries as the largest.
 *
 * BENCH_CHUNKS changes the size; BENCH_KEEP_DB=1 leaves the database behind for EXPLAIN.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, openDatabase } from '@platform/db';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import {
  type IterativeScan,
  searchSettingsQuery,
  type VectorHit,
  vectorSearch,
  vectorSearchQuery,
} from '../packages/knowledge/src/search/vector.ts';
import { writeResult } from './lib.ts';

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'platform_bench_vector';
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 100_000);
const TENANTS = 20;
/** Tenants that have just signed up, outside the Zipf split. */
const TINY = [100, 20];
const DIMS = 1024;
const TOPICS = 300;
const SUBSPACE = 16;
const QUERIES_PER_TENANT = 10;
const K = 10;
const ZIPF = 1.1;
const CHUNKS_PER_DOCUMENT = 25;
const ROWS_PER_INSERT = 400;
/** Queries timed between checks for other work on the machine. */
const BLOCK = 10;
const MODEL = 'bench-embedder';
const SEED = 20_240_801;

type Config = { efSearch: number; iterativeScan: IterativeScan; preferIndex?: boolean };
const CONFIGS: Config[] = [
  { efSearch: 40, iterativeScan: 'off' },
  { efSearch: 40, iterativeScan: 'relaxed_order' },
  { efSearch: 40, iterativeScan: 'strict_order' },
  { efSearch: 100, iterativeScan: 'off' },
  { efSearch: 100, iterativeScan: 'relaxed_order' },
  { efSearch: 100, iterativeScan: 'strict_order' },
  // The planner left to itself (no steering off sequential and bitmap scans).
  { efSearch: 40, iterativeScan: 'relaxed_order', preferIndex: false },
  { efSearch: 100, iterativeScan: 'relaxed_order', preferIndex: false },
];
/** vectorSearch's defaults: the configuration reported as "ours". */
const DEFAULT_CONFIG = 'ef100/relaxed_order';
const label = (c: Config) =>
  `ef${c.efSearch}/${c.iterativeScan}${c.preferIndex === false ? '/unsteered' : ''}`;
const CLASSES = ['large', 'medium', 'small', 'tiny'] as const;
type SizeClass = (typeof CLASSES)[number];

// ---------------------------------------------------------------- deterministic data

/** mulberry32: small, fast, seeded. */
function prng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  const gaussian = () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * uniform();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
  return { uniform, gaussian };
}

function normalise(v: Float64Array): Float64Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / n;
  return v;
}

type Mixture = {
  centres: Float64Array[];
  /** SUBSPACE basis vectors per topic, each of norm ~1. */
  bases: Float32Array[];
};

const SPREAD = 0.2; // per subspace coordinate
const NOISE = 0.25; // isotropic, total norm

function makeMixture(rand: ReturnType<typeof prng>): Mixture {
  const common = normalise(Float64Array.from({ length: DIMS }, rand.gaussian));
  const centres: Float64Array[] = [];
  const bases: Float32Array[] = [];
  const s = 1 / Math.sqrt(DIMS);
  for (let t = 0; t < TOPICS; t++) {
    const own = normalise(Float64Array.from({ length: DIMS }, rand.gaussian));
    centres.push(normalise(own.map((x, i) => x + 0.5 * (common[i] as number))));
    bases.push(Float32Array.from({ length: SUBSPACE * DIMS }, () => rand.gaussian() * s));
  }
  return { centres, bases };
}

function samplePoint(m: Mixture, topic: number, rand: ReturnType<typeof prng>): Float64Array {
  const centre = m.centres[topic] as Float64Array;
  const basis = m.bases[topic] as Float32Array;
  const v = new Float64Array(DIMS);
  const noise = NOISE / Math.sqrt(DIMS);
  for (let i = 0; i < DIMS; i++) v[i] = (centre[i] as number) + rand.gaussian() * noise;
  for (let k = 0; k < SUBSPACE; k++) {
    const z = rand.gaussian() * SPREAD;
    const row = k * DIMS;
    for (let i = 0; i < DIMS; i++) v[i] = (v[i] as number) + z * (basis[row + i] as number);
  }
  return normalise(v);
}

type TenantPlan = {
  index: number;
  size: number;
  share: number;
  sizeClass: SizeClass;
  topics: number[];
  /** Cumulative topic weights, for sampling. */
  cumulative: number[];
};

function planTenants(rand: ReturnType<typeof prng>): TenantPlan[] {
  const weights = Array.from({ length: TENANTS }, (_, k) => 1 / (k + 1) ** ZIPF);
  const total = weights.reduce((a, b) => a + b, 0);
  const zipfRows = CHUNKS - TINY.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.floor((zipfRows * w) / total));
  sizes[0] = (sizes[0] as number) + zipfRows - sizes.reduce((a, b) => a + b, 0);
  sizes.push(...TINY);
  return sizes.map((size, index) => {
    // Bigger knowledge bases cover more topics, from a shared pool (tenants overlap).
    const count = Math.min(TOPICS, 5 + Math.round(Math.sqrt(size) / 4));
    const pool = Array.from({ length: TOPICS }, (_, i) => i);
    const topics: number[] = [];
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(rand.uniform() * (TOPICS - i));
      [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
      topics.push(pool[i] as number);
    }
    const w = topics.map(() => -Math.log(1 - rand.uniform())); // uneven topic sizes
    const sum = w.reduce((a, b) => a + b, 0);
    let acc = 0;
    const cumulative = w.map((x) => (acc += x / sum));
    return {
      index,
      size,
      share: size / CHUNKS,
      sizeClass: index < 4 ? 'large' : index < 10 ? 'medium' : index < TENANTS ? 'small' : 'tiny',
      topics,
      cumulative,
    };
  });
}

function pickTopic(t: TenantPlan, rand: ReturnType<typeof prng>): number {
  const u = rand.uniform();
  const i = t.cumulative.findIndex((c) => u <= c);
  return t.topics[i < 0 ? t.topics.length - 1 : i] as number;
}

const vectorText = (v: Float64Array) => {
  const parts = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) parts[i] = (v[i] as number).toFixed(6);
  return `[${parts.join(',')}]`;
};

// ---------------------------------------------------------------- statistics

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (x: number, digits = 3) => Number(x.toFixed(digits));

type Sample = {
  ms: number;
  recall: number;
  returned: number;
  sizeClass: SizeClass;
  /** The plan read the HNSW index (else an exact sort of the tenant's rows). */
  hnsw?: boolean;
};

function summarise(samples: Sample[]) {
  const one = (s: Sample[]) => ({
    queries: s.length,
    p50: round(
      quantile(
        s.map((x) => x.ms),
        0.5,
      ),
      2,
    ),
    p95: round(
      quantile(
        s.map((x) => x.ms),
        0.95,
      ),
      2,
    ),
    recallAt10: round(mean(s.map((x) => x.recall))),
    minRecall: round(Math.min(...s.map((x) => x.recall))),
    shortPages: s.filter((x) => x.returned < K).length,
    ...(s.some((x) => x.hnsw !== undefined) ? { hnswPlans: s.filter((x) => x.hnsw).length } : {}),
  });
  const byClass = Object.fromEntries(
    CLASSES.map((c) => [c, one(samples.filter((s) => s.sizeClass === c))]),
  );
  return { ...one(samples), byClass };
}

// ---------------------------------------------------------------- database

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: withDatabase(BASE_URL, 'postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const elapsed = (t0: number) => performance.now() - t0;

async function load(
  owner: pg.Client,
  plans: TenantPlan[],
  m: Mixture,
  rand: ReturnType<typeof prng>,
) {
  const tenantIds: string[] = [];
  for (const t of plans) {
    const { rows } = await owner.query<{ id: string }>(
      `insert into tenants (name, slug) values ($1, $2) returning id`,
      [`Bench tenant ${t.index + 1}`, `bench-${t.index + 1}`],
    );
    tenantIds.push((rows[0] as { id: string }).id);
  }
  const documents: string[][] = [];
  for (const t of plans) {
    const tenantId = tenantIds[t.index] as string;
    const count = Math.ceil(t.size / CHUNKS_PER_DOCUMENT);
    const { rows } = await owner.query<{ id: string }>(
      `insert into knowledge_documents (tenant_id, title, source_type, status)
       select $1, 'Document ' || n, 'text', 'ready' from generate_series(1, $2::int) n
       returning id`,
      [tenantId, count],
    );
    documents.push(rows.map((r) => r.id));
  }
  // Row-by-row HNSW inserts would dominate the load: drop the index, rebuild it afterwards
  // from its own definition (the migration's: default m and ef_construction).
  const { rows: defs } = await owner.query<{ def: string }>(
    `select pg_get_indexdef('knowledge_chunks_embedding_hnsw'::regclass) as def`,
  );
  const indexDef = (defs[0] as { def: string }).def;
  await owner.query('drop index knowledge_chunks_embedding_hnsw');

  // Tenants' rows interleaved in insertion order, as uploads arrive over time.
  const order: number[] = [];
  const left = plans.map((t) => t.size);
  const next = plans.map(() => 0);
  let remaining = CHUNKS;
  while (remaining > 0) {
    let u = rand.uniform() * remaining;
    let j = 0;
    while (u >= (left[j] as number)) u -= left[j++] as number;
    order.push(j);
    left[j] = (left[j] as number) - 1;
    remaining--;
  }

  const insert = `insert into knowledge_chunks (tenant_id, document_id, document_version, active,
      chunk_index, content, model, embedding, search_vector)
    select t, d, 'v1', true, i, c, $6, e::vector, to_tsvector('english', c)
      from unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[]) as u(t, d, i, c, e)`;
  const t0 = performance.now();
  let pending: Promise<unknown> = Promise.resolve();
  for (let start = 0; start < CHUNKS; start += ROWS_PER_INSERT) {
    const cols: [string[], string[], number[], string[], string[]] = [[], [], [], [], []];
    for (const j of order.slice(start, start + ROWS_PER_INSERT)) {
      const t = plans[j] as TenantPlan;
      const n = next[j] as number;
      next[j] = n + 1;
      const topic = pickTopic(t, rand);
      cols[0].push(tenantIds[j] as string);
      cols[1].push(documents[j]?.[Math.floor(n / CHUNKS_PER_DOCUMENT)] as string);
      cols[2].push(n % CHUNKS_PER_DOCUMENT);
      cols[3].push(`Tenant ${j + 1} topic ${topic} passage ${n}`);
      cols[4].push(vectorText(samplePoint(m, topic, rand)));
    }
    // Generate the next batch while the server writes this one.
    await pending;
    pending = owner.query(insert, [...cols, MODEL]);
    if ((start / ROWS_PER_INSERT) % 50 === 0) process.stdout.write(`  loaded ${start} rows\r`);
  }
  await pending;
  const loadMs = elapsed(t0);
  console.log(`loaded ${CHUNKS} chunks in ${(loadMs / 1000).toFixed(1)} s`);

  await owner.query(`set maintenance_work_mem = '2GB'`);
  // Two cores: the leader and one worker.
  await owner.query('set max_parallel_maintenance_workers = 1');
  const t1 = performance.now();
  await owner.query(indexDef);
  const indexBuildMs = elapsed(t1);
  console.log(`built the HNSW index in ${(indexBuildMs / 1000).toFixed(1)} s: ${indexDef}`);
  await owner.query('vacuum analyze knowledge_chunks');
  const { rows: sizes } = await owner.query<{ table: string; toast: string; index: string }>(
    `select pg_size_pretty(pg_relation_size('knowledge_chunks')) as table,
            pg_size_pretty(pg_total_relation_size('knowledge_chunks') - pg_indexes_size('knowledge_chunks')
                           - pg_relation_size('knowledge_chunks')) as toast,
            pg_size_pretty(pg_relation_size('knowledge_chunks_embedding_hnsw')) as index`,
  );
  return { tenantIds, loadMs, indexBuildMs, indexDef, sizes: sizes[0] };
}

// ---------------------------------------------------------------- measurement

type Query = { tenant: number; sizeClass: SizeClass; embedding: number[] };

const exactSearch = (db: Database, tenantId: string, embedding: number[]) =>
  db.withTenant(tenantId, async (tx) => {
    // Only a scan of the tenant's rows and a sort remain; no JIT compilation for one query.
    await tx.execute(
      sql`select set_config('enable_indexscan', 'off', true), set_config('jit', 'off', true)`,
    );
    return vectorSearch(tx, { embedding, model: MODEL, limit: K, iterativeScan: 'off' });
  });

/** The search statement's plan under a configuration's settings (EXPLAIN ANALYZE, or not). */
async function explain(
  db: Database,
  tenantId: string,
  embedding: number[],
  config: Config | 'exact',
  analyze: boolean,
) {
  return db.withTenant(tenantId, async (tx) => {
    const options = { embedding, model: MODEL, limit: K };
    if (config === 'exact')
      await tx.execute(
        sql`select set_config('enable_indexscan', 'off', true), set_config('jit', 'off', true)`,
      );
    else await tx.execute(searchSettingsQuery({ ...options, ...config }));
    const result = await tx.execute(
      analyze
        ? sql`explain (analyze, buffers) ${vectorSearchQuery(options)}`
        : sql`explain (costs off) ${vectorSearchQuery(options)}`,
    );
    return (result as unknown as { rows: Record<string, unknown>[] }).rows
      .map((r) => String(r['QUERY PLAN']))
      .map((line) => line.replace(/'\[[-0-9.,e]+\]'/g, "'[...]'"));
  });
}

const planSummary = (lines: string[]) => {
  const text = lines.join('\n');
  const scan =
    /Index Scan using (\S+)/.exec(text)?.[0] ??
    /Bitmap Index Scan on (\S+)/.exec(text)?.[0] ??
    /Seq Scan on \S+/.exec(text)?.[0] ??
    'unknown';
  const removed = /Rows Removed by Filter: (\d+)/.exec(text)?.[1];
  const sort = /Sort Method: ([^\n]+)/.exec(text)?.[1];
  const jit = /JIT:/.test(text);
  const time = /Execution Time: ([\d.]+) ms/.exec(text)?.[1];
  return `${scan}${removed ? `, ${removed} rows removed by filter` : ''}${
    sort ? `, sort: ${sort.trim()}` : ''
  }${jit ? ', JIT' : ''}, execution ${time} ms`;
};

/** Another test run or benchmark on this machine (not this process), by its command line. */
const othersRunning = () =>
  new Promise<string[]>((resolve) =>
    execFile('pgrep', ['-af', 'vitest|bench/run\\.ts'], (error, stdout) =>
      resolve(
        error
          ? []
          : stdout
              .split('\n')
              .filter((line) => line.trim() !== '')
              .filter((line) => ![process.pid, process.ppid].includes(Number(line.split(' ')[0]))),
      ),
    ),
  );

/** Two cores: a test suite or another benchmark running alongside would skew every number. */
async function waitForQuietMachine(): Promise<boolean> {
  let waited = false;
  for (let others = await othersRunning(); others.length > 0; others = await othersRunning()) {
    console.log(`waiting for other work to finish: ${others.join('; ').slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 15_000));
    waited = true;
  }
  return waited;
}

async function main() {
  await waitForQuietMachine();

  const rand = prng(SEED);
  const mixture = makeMixture(rand);
  const plans = planTenants(rand);
  console.log(
    `tenant sizes: ${plans.map((t) => `${t.size} (${(t.share * 100).toFixed(1)}%)`).join(', ')}`,
  );

  await admin(async (c) => {
    await c.query(`drop database if exists ${DATABASE} with (force)`);
    await c.query(`create database ${DATABASE}`);
  });
  const url = withDatabase(BASE_URL, DATABASE);
  const db = await openDatabase({
    DATABASE_URL: url,
    DATABASE_POOL_SIZE: 2,
    dataDir: mkdtempSync(join(tmpdir(), 'bench-vector-')),
  });
  const owner = new pg.Client({ connectionString: url });
  try {
    await db.migrate();
    await owner.connect();
    const server = await owner.query<{ version: string; vector: string; sb: string; wm: string }>(
      `select current_setting('server_version') as version,
              (select extversion from pg_extension where extname = 'vector') as vector,
              current_setting('shared_buffers') as sb, current_setting('work_mem') as wm`,
    );
    const info = server.rows[0] as { version: string; vector: string; sb: string; wm: string };
    const loaded = await load(owner, plans, mixture, rand);
    const { tenantIds } = loaded;

    // Held-out queries: fresh draws from each tenant's own mixture.
    const queries: Query[] = [];
    for (const t of plans)
      for (let q = 0; q < QUERIES_PER_TENANT; q++)
        queries.push({
          tenant: t.index,
          sizeClass: t.sizeClass,
          embedding: Array.from(samplePoint(mixture, pickTopic(t, rand), rand), (x) => round(x, 6)),
        });
    // Interleave tenants so consecutive queries do not share a cache-warm neighbourhood.
    for (let i = queries.length - 1; i > 0; i--) {
      const j = Math.floor(rand.uniform() * (i + 1));
      [queries[i], queries[j]] = [queries[j] as Query, queries[i] as Query];
    }
    const tenantOf = (q: Query) => tenantIds[q.tenant] as string;

    // Ground truth (also warms the heap and TOAST).
    const truth: VectorHit[][] = [];
    for (const q of queries) truth.push(await exactSearch(db, tenantOf(q), q.embedding));
    const kth = truth.map((t) => t.at(-1)?.distance ?? Number.NaN);
    const first = truth.map((t) => t[0]?.distance ?? Number.NaN);
    console.log(
      `exact: mean cosine distance to the 1st neighbour ${mean(first).toFixed(3)}, to the 10th ${mean(kth).toFixed(3)}`,
    );

    await waitForQuietMachine();
    // Warm-up: every configuration over every query, untimed.
    for (const c of CONFIGS)
      for (const q of queries)
        await db.withTenant(tenantOf(q), (tx) =>
          vectorSearch(tx, { embedding: q.embedding, model: MODEL, limit: K, ...c }),
        );

    // Timed in blocks of queries, each configuration per query in rotating order. A block
    // that another test run or benchmark overlapped is thrown away and timed again.
    const samples = new Map<string, Sample[]>(CONFIGS.map((c) => [label(c), []]));
    const baselineSamples: Sample[] = [];
    let disturbed = false;
    let retimed = 0;
    const timeInBlocks = async (timeOne: (qi: number) => Promise<void>) => {
      for (let start = 0; start < queries.length; start += BLOCK) {
        for (let attempt = 1; ; attempt++) {
          const end = Math.min(queries.length, start + BLOCK);
          // After a wait the caches hold the other work's pages: warm the block up again.
          if (await waitForQuietMachine()) for (let qi = start; qi < end; qi++) await timeOne(qi);
          for (let qi = start; qi < end; qi++) await timeOne(qi);
          if ((await othersRunning()).length === 0) break;
          if (attempt === 10) {
            disturbed = true;
            break;
          }
          retimed++;
        }
      }
    };
    await timeInBlocks(async (qi) => {
      const q = queries[qi] as Query;
      const exact = new Set((truth[qi] as VectorHit[]).map((h) => h.chunkId));
      for (let k = 0; k < CONFIGS.length; k++) {
        const c = CONFIGS[(qi + k) % CONFIGS.length] as Config;
        const t0 = performance.now();
        const hits = await db.withTenant(tenantOf(q), (tx) =>
          vectorSearch(tx, { embedding: q.embedding, model: MODEL, limit: K, ...c }),
        );
        const ms = elapsed(t0);
        (samples.get(label(c)) as Sample[])[qi] = {
          ms,
          recall: hits.filter((h) => exact.has(h.chunkId)).length / exact.size,
          returned: hits.length,
          sizeClass: q.sizeClass,
        };
      }
    });
    // The baseline, timed after the approximate runs (its scans churn shared buffers).
    await timeInBlocks(async (qi) => {
      const q = queries[qi] as Query;
      const t0 = performance.now();
      const hits = await exactSearch(db, tenantOf(q), q.embedding);
      baselineSamples[qi] = {
        ms: elapsed(t0),
        recall: 1,
        returned: hits.length,
        sizeClass: q.sizeClass,
      };
    });
    if (retimed) console.log(`re-timed ${retimed} block(s) that other work overlapped`);
    if (disturbed) console.warn('WARNING: other work kept running while timing');

    // Which plan each timed search ran (planning is deterministic for a query and settings).
    for (const c of CONFIGS) {
      const list = samples.get(label(c)) ?? [];
      for (let qi = 0; qi < queries.length; qi++) {
        const q = queries[qi] as Query;
        const lines = await explain(db, tenantOf(q), q.embedding, c, false);
        const sample = list[qi];
        if (sample) sample.hnsw = lines.some((l) => l.includes('knowledge_chunks_embedding_hnsw'));
      }
    }

    // EXPLAIN ANALYZE for the largest tenant, the smallest of the Zipf split and the tiniest.
    const probe = (t: TenantPlan) => (queries.find((q) => q.tenant === t.index) as Query).embedding;
    const plansSeen: Record<string, string> = {};
    const explained: (Config | 'exact')[] = [
      ...CONFIGS.filter((x) => x.efSearch === 100 && x.iterativeScan === 'relaxed_order'),
      CONFIGS[0] as Config,
      'exact',
    ];
    for (const t of [plans[0], plans[TENANTS - 1], plans.at(-1)] as TenantPlan[])
      for (const c of explained) {
        const lines = await explain(db, tenantIds[t.index] as string, probe(t), c, true);
        const key = `tenant of ${t.size} rows (${(t.share * 100).toFixed(2)}%), ${c === 'exact' ? 'exact' : label(c)}`;
        plansSeen[key] = planSummary(lines);
        console.log(`\n${key}:\n${lines.join('\n')}`);
      }

    const configurations = Object.fromEntries(
      CONFIGS.map((c) => [label(c), summarise(samples.get(label(c)) ?? [])]),
    );
    const ours = configurations[DEFAULT_CONFIG] as ReturnType<typeof summarise>;
    const baseline = summarise(baselineSamples);
    const classShares = (cls: SizeClass) => {
      const s = plans.filter((t) => t.sizeClass === cls).map((t) => t.size);
      return `${cls}: ${s.length} tenants of ${Math.min(...s)}-${Math.max(...s)} chunks (${((Math.min(...s) / CHUNKS) * 100).toFixed(2)}-${((Math.max(...s) / CHUNKS) * 100).toFixed(1)}% of rows)`;
    };
    type Summary = { p95: number; recallAt10: number };
    const meets = (r: Summary | undefined) => !!r && r.p95 <= 20 && r.recallAt10 >= 0.95;
    const meeting = (pick: (r: ReturnType<typeof summarise>) => Summary | undefined) =>
      Object.entries(configurations)
        .filter(([, r]) => meets(pick(r)))
        .map(([name]) => name)
        .join(', ') || 'none';

    writeResult('vector', {
      ours: { configuration: DEFAULT_CONFIG, ...ours },
      baseline: { configuration: 'exact scan of the tenant rows (index scans off)', ...baseline },
      ratio: round(ours.p95 / baseline.p95),
      unit: 'ms per query end to end (withTenant + settings + search + commit), p50/p95; recallAt10 = mean |approx ∩ exact| / 10; hnswPlans = queries whose plan read the HNSW index (the rest sorted the tenant exactly); ratio = ours.p95 / baseline.p95',
      configurations,
      dataset: {
        chunks: CHUNKS,
        dimensions: DIMS,
        tenants: plans.map((t) => ({
          size: t.size,
          sizeClass: t.sizeClass,
          topics: t.topics.length,
        })),
        classes: CLASSES.map(classShares),
        meanExactDistance: { first: round(mean(first), 4), tenth: round(mean(kth), 4) },
      },
      build: {
        loadSeconds: round(loaded.loadMs / 1000, 1),
        indexBuildSeconds: round(loaded.indexBuildMs / 1000, 1),
        index: loaded.indexDef,
        sizes: loaded.sizes,
      },
      plans: plansSeen,
      server: info,
      notes: [
        ...(disturbed ? ['WARNING: a test run or another benchmark overlapped the timing.'] : []),
        ...(retimed
          ? [
              `${retimed} block(s) of ${BLOCK} queries overlapped by a test run or another benchmark were timed again.`,
            ]
          : []),
        `PostgreSQL ${info.version}, pgvector ${info.vector}, shared_buffers ${info.sb}, work_mem ${info.wm}; bench process and server share this 2-core machine; one client, queries one after another.`,
        `${CHUNKS} chunks x ${DIMS} dimensions over ${TENANTS} tenants with Zipf(${ZIPF}) sizes plus ${TINY.length} just-signed-up tenants (${TINY.join(' and ')} chunks); vectors from a seeded mixture of ${TOPICS} topics (shared common direction, ${SUBSPACE}-dimensional spread per topic, isotropic noise), unit-normalised; each tenant draws from its own subset of topics.`,
        `Loaded with multi-row INSERT ... SELECT FROM unnest(...) (${ROWS_PER_INSERT} rows per statement) as the owner with the HNSW index dropped, then the index rebuilt from the migration's definition with maintenance_work_mem 2GB and one parallel worker.`,
        `${queries.length} held-out queries (${QUERIES_PER_TENANT} per tenant), limit ${K}, through db.withTenant + vectorSearch as the runtime role under RLS; every configuration warmed up over all queries first, then timed per query in rotating order. Ground truth and baseline: the same vectorSearch with enable_indexscan = off (and jit off), i.e. an exact scan and sort of the tenant's rows.`,
        `The planner weighs the HNSW index against an exact sort of the tenant's rows without counting the TOAST read of each 4 KB vector, so left to itself (/unsteered) it sorts ever larger tenants exactly as ef_search grows; compare hnswPlans and p95 of the /unsteered rows with the steered ones. Steered, it chooses between the HNSW index and an exact sort through the tenant btree, and still sorts the smallest tenants exactly (tiny: no HNSW plans, no short pages).`,
        `shared_buffers (${info.sb}) is well below the HNSW index (${loaded.sizes?.index}) plus the vectors in TOAST (${loaded.sizes?.toast}), so latencies include reads from the OS page cache.`,
        `ours = vectorSearch defaults (${DEFAULT_CONFIG}, planner steered off sequential and bitmap scans for the search statement); see configurations for the rest ('/unsteered': preferIndex false, the planner left to itself). shortPages counts queries that returned fewer than ${K} rows.`,
        `Target p95 <= 20 ms at recall@10 >= 0.95, met overall by: ${meeting((r) => r)}; by class: ${CLASSES.map(
          (c) => `${c}: ${meeting((r) => r.byClass[c])}`,
        ).join('; ')}.`,
      ],
    });
    console.log(JSON.stringify({ configurations, baseline, plans: plansSeen }, null, 2));
  } finally {
    await owner.end().catch(() => {});
    await db.close();
    // BENCH_KEEP_DB=1 leaves the loaded database behind for EXPLAINing by hand.
    if (process.env.BENCH_KEEP_DB !== '1')
      await admin((c) => c.query(`drop database if exists ${DATABASE} with (force)`));
  }
}

await main();
