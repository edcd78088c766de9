/**
 * Password hashing under load. Ours: Argon2id (64 MiB, t=3, p=4) behind the bounded queue
 * (PASSWORD_HASH_CONCURRENCY=4). Baseline: the same Argon2id calls with no cap, as a naive
 * integration would make them. Each variant runs in its own process so peak RSS is its own.
 * Also: single-hash latency, and real HTTP sign-ins/s at 10 concurrent connections.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hash, verify } from '@node-rs/argon2';
import { ARGON2_PARAMS, createPasswordHasher } from '@platform/auth';
import { load, median, startBenchServer, writeResult } from './lib.ts';

type Flood = { opsPerSec: number; p50: number; p99: number; peakRssMiB: number; rejected: number };

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

/** Child mode: `argon2.ts flood <ours|baseline> <concurrency> <seconds>` prints one JSON line. */
async function flood(variant: string, concurrency: number, seconds: number): Promise<Flood> {
  const stored = await hash('benchmark password', ARGON2_PARAMS);
  const hasher = createPasswordHasher({ concurrency: 4, queue: 64 });
  const check =
    variant === 'ours'
      ? () => hasher.verify(stored, 'benchmark password')
      : () => verify(stored, 'benchmark password');
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const latencies: number[] = [];
  let rejected = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const t0 = performance.now();
        try {
          await check();
          latencies.push(performance.now() - t0);
        } catch {
          rejected++;
        }
      }
    }),
  );
  clearInterval(sampler);
  return {
    opsPerSec: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    peakRssMiB: Math.round(peak / 2 ** 20),
    rejected,
  };
}

async function runChild(variant: string, concurrency: number, seconds: number): Promise<Flood> {
  const self = fileURLToPath(import.meta.url);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', self, 'flood', variant, String(concurrency), String(seconds)],
    // A larger libuv pool (a common tuning for fs/dns-heavy servers) is where an uncapped
    // integration lets every waiting hash hold its 64 MiB at once; both variants get it.
    { maxBuffer: 1 << 20, env: { ...process.env, UV_THREADPOOL_SIZE: '16' } },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Flood;
}

async function hashLatency(n: number) {
  const hasher = createPasswordHasher({ concurrency: 4, queue: 64 });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await hasher.hash(`password number ${i}`);
    times.push(performance.now() - t0);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99), samples: n };
}

async function httpSignIns(seconds: number) {
  const server = await startBenchServer(process.env.DATABASE_URL ? 'postgres' : 'pglite');
  const { url, account } = server;
  const result = await load(`${url}/api/auth/sign-in/email`, {
    connections: 10,
    seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  await server.close();
  return { database: server.t.driver, ...result };
}

if (process.argv[2] === 'flood') {
  const [, , , variant = 'ours', c = '10', s = '5'] = process.argv;
  console.log(JSON.stringify(await flood(variant, Number(c), Number(s))));
  process.exit(0);
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const floods: Record<string, { ours: Flood[]; baseline: Flood[] }> = {};
for (const concurrency of [10, 50]) {
  const runs = { ours: [] as Flood[], baseline: [] as Flood[] };
  for (let i = 0; i < ROUNDS; i++) {
    runs.baseline.push(await runChild('baseline', concurrency, SECONDS));
    runs.ours.push(await runChild('ours', concurrency, SECONDS));
  }
  floods[`c${concurrency}`] = runs;
  console.log(`concurrency ${concurrency}:`, JSON.stringify(runs));
}
const med = (rs: Flood[]) => ({
  opsPerSec: Number(median(rs.map((r) => r.opsPerSec)).toFixed(1)),
  p50: Number(median(rs.map((r) => r.p50)).toFixed(1)),
  p99: Number(median(rs.map((r) => r.p99)).toFixed(1)),
  peakRssMiB: median(rs.map((r) => r.peakRssMiB)),
  rejected: median(rs.map((r) => r.rejected)),
});
const latency = await hashLatency(30);
const signIns = await httpSignIns(SECONDS);
const ours = Object.fromEntries(Object.entries(floods).map(([k, v]) => [k, med(v.ours)]));
const baseline = Object.fromEntries(Object.entries(floods).map(([k, v]) => [k, med(v.baseline)]));
writeResult('argon2', {
  ours: { hashLatencyMs: latency, verifyFlood: ours, httpSignIns10: signIns },
  baseline: { verifyFlood: baseline },
  ratio: Object.fromEntries(
    Object.keys(ours).map((k) => [
      k,
      {
        peakRss: Number(((ours[k]?.peakRssMiB ?? 0) / (baseline[k]?.peakRssMiB ?? 1)).toFixed(3)),
        throughput: Number(((ours[k]?.opsPerSec ?? 0) / (baseline[k]?.opsPerSec ?? 1)).toFixed(3)),
      },
    ]),
  ),
  unit: 'latency ms, ops/s, peak RSS MiB; ratio = ours / baseline',
  notes: [
    'Argon2id m=64 MiB, t=3, p=4, 32-byte output (@node-rs/argon2). ours = createPasswordHasher({ concurrency: 4, queue: 64 }); baseline = the same verify() calls with no cap.',
    `verifyFlood: c10/c50 = 10/50 callers verifying in a loop for ${SECONDS}s, each variant in its own process with UV_THREADPOOL_SIZE=16, ${ROUNDS} alternating rounds, medians. Ours runs 4 hashes at once and queues the rest (up to 64; beyond that sign-ins get 503, covered by tests). With the default libuv pool of 4 both variants peak alike, since libuv then caps the baseline too.`,
    'httpSignIns10: POST /api/auth/sign-in/email at 10 connections (autocannon in its own process), full Better Auth sign-in incl. session row.',
  ],
});
process.exit(0);
