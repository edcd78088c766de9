/**
 * Fan-out benchmark: two instances, 1,000 WebSocket clients, a fixed message rate.
 *
 * Ours: two real server processes (apps/server/src/main.ts) on one fresh PostgreSQL database
 * (bench_fanout_<pid>_<round>, migrated here, dropped after the round) and one private
 * redis-server. One member signs up, creates a conversation and claims it, so what the member
 * sends is stored as a human agent's reply and no AI answer is generated. The clients (half on
 * each instance) open /ws with the member's cookie and subscribe to the conversation; a publisher
 * socket on instance A sends `send` frames whose text is JSON with a step id, a sequence number
 * and the send time (performance.now() of this process). Every subscriber gets a message.created
 * event; latency = receive time - send time. conversation.updated and presence frames are
 * counted, not timed.
 *
 * Baseline: two Socket.IO 4 processes (bench/fanout/socketio-server.ts) with
 * @socket.io/redis-streams-adapter on the same Redis, websocket transport only; the same number
 * of socket.io-client clients, split the same way, join one room; the publisher emits to
 * instance A, which does io.to(room).emit('message', payload). The payload is padded so the
 * Socket.IO frame is as large as our message.created frame.
 *
 * A round runs ours (every rate step), then the baseline (never both at once: the machine has
 * 2 cores), each with fresh processes and connections; the result quotes per-rate medians over
 * the rounds. Each step first waits (up to 30 s) for other processes on the machine to go
 * quiet, then sends for WARMUP + SECONDS; messages of the warm-up are not measured. Per step:
 * sent (messages after warm-up), delivered (their deliveries that arrived, each client counted
 * once), expected = sent x clients, delivered/s (deliveries of any message received inside the
 * measured window, divided by its length), latency p50/p90/p99/max, and the cores each process
 * used meanwhile (from /proc).
 *
 * Env: FANOUT_CLIENTS (1000), FANOUT_RATES (messages/s per step, "10,20,50"), FANOUT_SECONDS
 * (20), FANOUT_WARMUP_SECONDS (2), FANOUT_ROUNDS (3), DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres; the bench database is created next to it).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '@platform/db';
import pg from 'pg';
import { io as connectSocketIo, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import {
  freePort,
  type ServerProcess,
  startServer,
  waitHealthy,
} from '../apps/server/test/process.ts';
import { type RedisServer, startRedisServer } from '../packages/realtime/test/redis-server.ts';
import { median, writeResult } from './lib.ts';

const CLIENTS = Number(process.env.FANOUT_CLIENTS ?? 1000);
const RATES = (process.env.FANOUT_RATES ?? '10,20,50').split(',').map(Number);
const SECONDS = Number(process.env.FANOUT_SECONDS ?? 20);
const WARMUP = Number(process.env.FANOUT_WARMUP_SECONDS ?? 2);
const ROUNDS = Number(process.env.FANOUT_ROUNDS ?? 3);
/** Before each step, wait (this long at most) until other processes use less than QUIET_CORES. */
const QUIET_WAIT_MS = 30_000;
const QUIET_CORES = 0.25;
/** After the last send, wait this long at most for the stragglers (while they keep coming). */
const DRAIN_MS = 60_000;
/** ... and stop early once nothing arrived for this long. */
const IDLE_MS = 3_000;
const CONNECT_BATCH = 50;
const ORIGIN = 'http://localhost:3000';
const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SIO_SERVER = fileURLToPath(new URL('./fanout/socketio-server.ts', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

// ---- cleanup ---------------------------------------------------------------------------

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
const cleanups: (() => Promise<unknown>)[] = [];
/** Registers a cleanup that also runs on failure or a signal; calling the result runs it now. */
function defer(fn: () => Promise<unknown>): () => Promise<void> {
  let done = false;
  const run = async () => {
    if (done) return;
    done = true;
    await fn();
  };
  cleanups.push(run);
  return run;
}
async function cleanupAll() {
  while (cleanups.length) {
    const step = cleanups.pop();
    try {
      await step?.();
    } catch (err) {
      console.error('cleanup failed:', err);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    void cleanupAll().finally(() => process.exit(130));
  });

function track(server: ServerProcess): ServerProcess {
  children.add(server.child);
  server.exited.then(() => children.delete(server.child));
  return server;
}

async function stopProcess(server: ServerProcess): Promise<number | null> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await server.exited;
    clearTimeout(force);
    return code;
  }
  return child.exitCode;
}

/** A server's output as counts per distinct line: pino's msg and err.message, or the raw text. */
function summariseLog(output: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    let key = line.slice(0, 200);
    try {
      const entry = JSON.parse(line) as {
        level?: number;
        msg?: string;
        err?: { message?: string };
      };
      key = `${entry.level ?? '?'} ${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
    } catch {
      // not JSON: keep the text
    }
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function inBatches(n: number, batch: number, open: (i: number) => Promise<void>) {
  for (let i = 0; i < n; i += batch)
    await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, j) => open(i + j)));
}

/** Waits until `count()` stops moving for `quietMs` (or `maxMs` passes); returns the time taken. */
async function waitQuiet(count: () => number, quietMs = 1500, maxMs = 120_000) {
  const start = performance.now();
  let last = count();
  let lastChange = performance.now();
  while (performance.now() - start < maxMs) {
    await sleep(250);
    const now = count();
    if (now !== last) {
      last = now;
      lastChange = performance.now();
    } else if (performance.now() - lastChange >= quietMs) break;
  }
  return Math.round(performance.now() - start);
}

// ---- CPU accounting (Linux /proc) ------------------------------------------------------

const TICKS = 100; // USER_HZ

/** CPU seconds (user + system) a process has used, or null once it is gone. */
function processCpu(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine (every core, every process). */
function machineCpu(): number {
  const nums = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = nums.reduce((a, b) => a + b, 0);
  return (total - (nums[3] ?? 0) - (nums[4] ?? 0)) / TICKS;
}

function redisPid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'redis-server') continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`:${port}`)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/**
 * Processes whose CPU a step is charged for: this process (all clients and the publisher), the
 * two instances, redis-server and (ours) the PostgreSQL backends of the bench database.
 */
type CpuSources = {
  instances: ServerProcess[];
  redisPort: number;
  postgresPids?: () => Promise<number[]>;
};

async function cpuSnapshot(src: CpuSources) {
  const pgPids = (await src.postgresPids?.()) ?? [];
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    bench: (usage.user + usage.system) / 1e6,
    instances: src.instances.map((s) => processCpu(s.child.pid) ?? 0),
    redis: processCpu(redisPid(src.redisPort)) ?? 0,
    postgres: new Map(pgPids.map((pid) => [pid, processCpu(pid) ?? 0])),
    machine: machineCpu(),
  };
}

type CpuSnapshot = Awaited<ReturnType<typeof cpuSnapshot>>;

/** Cores used (CPU seconds per second) between two snapshots. */
function cpuBetween(a: CpuSnapshot, b: CpuSnapshot) {
  const wall = (b.at - a.at) / 1000;
  const cores = (x: number) => round(x / wall, 2);
  let postgres = 0;
  // Backends opened during the step count from zero; those closed during it are missed.
  for (const [pid, end] of b.postgres) postgres += end - (a.postgres.get(pid) ?? 0);
  const ours =
    b.bench -
    a.bench +
    b.instances.reduce((sum, x, i) => sum + x - (a.instances[i] ?? 0), 0) +
    b.redis -
    a.redis +
    postgres;
  return {
    bench: cores(b.bench - a.bench),
    instanceA: cores((b.instances[0] ?? 0) - (a.instances[0] ?? 0)),
    instanceB: cores((b.instances[1] ?? 0) - (a.instances[1] ?? 0)),
    redis: cores(b.redis - a.redis),
    ...(b.postgres.size ? { postgres: cores(postgres) } : {}),
    machine: cores(b.machine - a.machine),
    otherProcesses: cores(Math.max(0, b.machine - a.machine - ours)),
  };
}

/** Waits until processes other than ours are nearly idle; returns the cores they last used. */
async function waitForQuiet(src: CpuSources): Promise<number> {
  const start = performance.now();
  for (;;) {
    const a = await cpuSnapshot(src);
    await sleep(2_000);
    const others = cpuBetween(a, await cpuSnapshot(src)).otherProcesses;
    if (others < QUIET_CORES || performance.now() - start > QUIET_WAIT_MS) return others;
  }
}

// ---- measurement -----------------------------------------------------------------------

/** The payload of every message: step, sequence number, send time (performance.now()). */
type Payload = { k: number; s: number; t: number };

/** Deliveries of one step: latencies in a preallocated array, each (client, message) once. */
class Recorder {
  readonly latencies: Float64Array;
  readonly seen: Uint8Array;
  readonly lastSeq: Int32Array;
  count = 0;
  /** Deliveries of any message of this step received inside [windowStart, windowEnd]. */
  inWindow = 0;
  all = 0;
  duplicates = 0;
  outOfOrder = 0;
  windowStart = Number.POSITIVE_INFINITY;
  windowEnd = Number.NEGATIVE_INFINITY;
  lastArrival = 0;

  constructor(
    readonly step: number,
    readonly clients: number,
    /** First measured sequence number (the ones before are the warm-up). */
    readonly first: number,
    readonly measured: number,
  ) {
    this.latencies = new Float64Array(measured * clients);
    this.seen = new Uint8Array(measured * clients);
    this.lastSeq = new Int32Array(clients).fill(-1);
  }

  record(client: number, p: Payload, now: number) {
    if (p.k !== this.step) return;
    this.all++;
    this.lastArrival = now;
    if (p.s < (this.lastSeq[client] as number)) this.outOfOrder++;
    else this.lastSeq[client] = p.s;
    if (now >= this.windowStart && now <= this.windowEnd) this.inWindow++;
    const i = p.s - this.first;
    if (i < 0 || i >= this.measured) return;
    const slot = i * this.clients + client;
    if (this.seen[slot]) {
      this.duplicates++;
      return;
    }
    this.seen[slot] = 1;
    this.latencies[this.count++] = now - p.t;
  }
}

const percentile = (sorted: Float64Array, q: number) =>
  sorted.length ? (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0) : 0;

function summarise(rec: Recorder, rate: number, sent: number) {
  const sorted = rec.latencies.slice(0, rec.count).sort();
  const expected = sent * rec.clients;
  return {
    rate,
    clients: rec.clients,
    sent,
    delivered: rec.count,
    expected,
    deliveryRatio: round(rec.count / expected, 5),
    deliveredPerSecond: round(rec.inWindow / SECONDS, 1),
    latencyMs: {
      p50: round(percentile(sorted, 0.5)),
      p90: round(percentile(sorted, 0.9)),
      p99: round(percentile(sorted, 0.99)),
      max: round(sorted.at(-1) ?? 0),
    },
    duplicates: rec.duplicates,
    outOfOrder: rec.outOfOrder,
  };
}

type Target = {
  /** The recorder deliveries go to (swapped per step). */
  recorder: Recorder | null;
  publish(text: string, p: Payload): void;
  /** Sends the server has not answered yet (ours acks every send; the baseline has no acks). */
  unanswered?(): number;
};

/** Sends `rate` messages/s for WARMUP + SECONDS at fixed times, then waits for the stragglers. */
async function runStep(
  target: Target,
  step: number,
  rate: number,
  text: (p: Payload) => string,
  cpu: CpuSources,
  label: string,
) {
  const othersBefore = await waitForQuiet(cpu);
  const interval = 1000 / rate;
  const warm = Math.round(rate * WARMUP);
  const total = warm + Math.round(rate * SECONDS);
  const rec = new Recorder(step, CLIENTS, warm, total - warm);
  const start = performance.now() + 50;
  rec.windowStart = start + WARMUP * 1000;
  rec.windowEnd = rec.windowStart + SECONDS * 1000;
  target.recorder = rec;
  let lateSends = 0;
  let cpuStart: CpuSnapshot | null = null;
  for (let s = 0; s < total; s++) {
    const due = start + s * interval;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    if (s === warm) cpuStart = await cpuSnapshot(cpu);
    const t = performance.now();
    if (t - due > interval) lateSends++;
    const p = { k: step, s, t };
    target.publish(text(p), p);
  }
  const cpuEnd = await cpuSnapshot(cpu);
  const sendSeconds = (performance.now() - start) / 1000;
  const sent = total - warm;
  const drainStart = performance.now();
  while (performance.now() - drainStart < DRAIN_MS && rec.count < sent * CLIENTS) {
    await sleep(100);
    if (performance.now() - Math.max(rec.lastArrival, drainStart) > IDLE_MS) break;
  }
  // No backlog of this step may spill into the next one.
  while (performance.now() - drainStart < DRAIN_MS && (target.unanswered?.() ?? 0) > 0)
    await sleep(100);
  const result = {
    ...summarise(rec, rate, sent),
    sendSeconds: round(sendSeconds),
    lateSends,
    drainSeconds: round((performance.now() - drainStart) / 1000),
    ...(target.unanswered ? { unansweredSends: target.unanswered() } : {}),
    /** Cores used during the measured window, per process (the machine has 2). */
    cpuCores: cpuStart ? cpuBetween(cpuStart, cpuEnd) : null,
    /** Cores other processes used just before the step (it waited for them to go quiet). */
    otherCoresBefore: othersBefore,
    loadAverage1m: round(loadavg()[0] ?? 0),
  };
  console.log(`${label} ${JSON.stringify(result)}`);
  return { result, rec };
}

// ---- ours ------------------------------------------------------------------------------

const CREATED = Buffer.from('"event":"message.created"');
const EVENT = Buffer.from('"type":"event"');

type OursCounters = {
  frames: number;
  created: number;
  createdBytes: number;
  nonAgent: number;
  errors: string[];
  closes: string[];
};

function openOurs(
  port: number,
  cookie: string,
  onFrame: (data: Buffer) => void,
  onClose: (code: number, reason: string) => void,
): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
    headers: { cookie, origin: ORIGIN },
    perMessageDeflate: false,
  });
  ws.on('message', (data) => onFrame(data as Buffer));
  ws.on('close', (code, reason) => onClose(code, reason.toString()));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: ${res.statusCode}`)),
    );
    ws.once('error', reject);
  });
}

async function measureOurs(redis: RedisServer, roundNo: number) {
  const dbName = `bench_fanout_${process.pid}_${roundNo}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.query(`create database ${dbName}`);
  const dropDatabase = defer(async () => {
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  });
  const dbUrl = new URL(BASE_URL);
  dbUrl.pathname = `/${dbName}`;
  const migrator = await openDatabase({
    DATABASE_URL: dbUrl.toString(),
    DATABASE_POOL_SIZE: 2,
    dataDir: '',
  });
  await migrator.migrate();
  await migrator.close();

  const dataDir = mkdtempSync(join(tmpdir(), 'bench-fanout-'));
  const removeDataDir = defer(async () => rmSync(dataDir, { recursive: true, force: true }));
  const shared = {
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: redis.url,
    AUTH_SECRET: randomBytes(32).toString('base64url'),
    PUBLIC_URL: ORIGIN,
    LOG_LEVEL: 'warn',
    REALTIME_RATE_PER_SECOND: '1000',
    REALTIME_RATE_BURST: '1000',
    DATA_DIR: dataDir,
  };
  const [portA, portB] = [await freePort(), await freePort()];
  const a = track(startServer({ ...shared, INSTANCE_ID: 'bench-a' }, portA));
  const b = track(startServer({ ...shared, INSTANCE_ID: 'bench-b' }, portB));
  const servers = [a, b];
  defer(async () => Promise.all(servers.map(stopProcess)));
  await Promise.all(servers.map((s) => waitHealthy(s)));
  const ports = [portA, portB];

  // One member, one conversation they hold (their messages are agent replies: no AI answer).
  let cookie = '';
  let csrf = '';
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${a.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: ORIGIN,
        ...(cookie ? { cookie } : {}),
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
      },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    return res;
  };
  const signUp = await post('/api/auth/sign-up/email', {
    name: 'Fan Out',
    email: `fanout-${randomBytes(4).toString('hex')}@example.com`,
    password: 'benchmark password for fan-out',
    organizationName: 'Fan-out Bench',
  });
  cookie =
    signUp.headers
      .getSetCookie()
      .find((c) => c.includes('session_token='))
      ?.split(';')[0] ?? '';
  if (!cookie) throw new Error('sign-up set no session cookie');
  csrf = (
    (await (await fetch(`${a.url}/api/csrf`, { headers: { cookie } })).json()) as {
      token: string;
    }
  ).token;
  const created = (await (await post('/trpc/conversations.create', {})).json()) as {
    result: { data: { id: string } };
  };
  const conversationId = created.result.data.id;
  await post('/trpc/conversations.claim', { id: conversationId });

  const target: Target & { counters: OursCounters } = {
    recorder: null,
    publish: () => {},
    counters: { frames: 0, created: 0, createdBytes: 0, nonAgent: 0, errors: [], closes: [] },
  };
  const c = target.counters;
  const note = (list: string[], what: string) => {
    if (list.length < 20) list.push(what);
  };
  let closing = false;

  // Subscribers, alternating between the instances.
  const sockets: WebSocket[] = [];
  const setupStart = performance.now();
  await inBatches(CLIENTS, CONNECT_BATCH, async (i) => {
    let subscribed: ((ok: boolean, why?: string) => void) | null = null;
    const ws = await openOurs(
      ports[i % 2] as number,
      cookie,
      (data) => {
        c.frames++;
        if (data.indexOf(CREATED) !== -1) {
          const f = JSON.parse(data.toString()) as {
            data: { message: { text: string; author: { type: string } } };
          };
          const now = performance.now();
          const message = f.data.message;
          if (message.author.type !== 'agent') c.nonAgent++;
          c.created++;
          if (i === 0) c.createdBytes = data.length;
          target.recorder?.record(i, JSON.parse(message.text) as Payload, now);
          return;
        }
        if (data.indexOf(EVENT) !== -1) return; // conversation.updated, presence
        const f = JSON.parse(data.toString()) as { type: string; code?: string; message?: string };
        if (f.type === 'subscribed') subscribed?.(true);
        else if (f.type === 'error' || f.type === 'resync') {
          note(c.errors, `client ${i}: ${data.toString().slice(0, 300)}`);
          subscribed?.(false, data.toString());
        }
      },
      (code, reason) => {
        if (!closing) note(c.closes, `client ${i}: ${code} ${reason}`);
      },
    );
    sockets.push(ws);
    const ok = new Promise<void>((resolve, reject) => {
      subscribed = (yes, why) => (yes ? resolve() : reject(new Error(`subscribe: ${why}`)));
    });
    ws.send(JSON.stringify({ v: 1, type: 'subscribe', requestId: 's', conversationId }));
    await ok;
  });
  const connectMs = Math.round(performance.now() - setupStart);
  // Each subscribe announces presence to everyone already subscribed: let that storm pass.
  const settleMs = await waitQuiet(() => c.frames);
  const setupFrames = c.frames;
  console.log(
    `ours: ${CLIENTS} clients subscribed in ${connectMs} ms; ${setupFrames} frames (presence) settled after ${settleMs} ms more`,
  );

  // The publisher: one more socket on instance A.
  const acks = { accepted: [] as number[], done: 0, errors: [] as string[] };
  const sentAt = new Map<string, number>();
  const publisher = await openOurs(
    portA,
    cookie,
    (data) => {
      const f = JSON.parse(data.toString()) as {
        type: string;
        requestId?: string;
        data?: { stage?: string };
      };
      if (f.type === 'ack' && f.requestId) {
        if (f.data?.stage === 'accepted') {
          const t = sentAt.get(f.requestId);
          if (t !== undefined) acks.accepted.push(performance.now() - t);
        } else if (f.data?.stage === 'done') {
          acks.done++;
          sentAt.delete(f.requestId);
        }
      } else if (f.type === 'error') {
        note(acks.errors, data.toString().slice(0, 300));
        if (f.requestId) sentAt.delete(f.requestId);
      }
    },
    (code, reason) => {
      if (!closing) note(c.closes, `publisher: ${code} ${reason}`);
    },
  );
  target.unanswered = () => sentAt.size;
  target.publish = (text, p) => {
    const requestId = `p${p.k}-${p.s}`;
    sentAt.set(requestId, p.t);
    publisher.send(
      `{"v":1,"type":"send","requestId":"${requestId}","conversationId":"${conversationId}","text":${JSON.stringify(text)}}`,
    );
  };

  const cpu: CpuSources = {
    instances: servers,
    redisPort: redis.port,
    postgresPids: async () =>
      (
        await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [
          dbName,
        ])
      ).rows.map((r) => r.pid),
  };
  const steps = [];
  for (const [k, rate] of RATES.entries()) {
    const framesBefore = c.frames;
    const createdBefore = c.created;
    acks.accepted = [];
    acks.done = 0;
    const { result } = await runStep(
      target,
      k,
      rate,
      (p) => JSON.stringify(p),
      cpu,
      `ours round ${roundNo + 1}`,
    );
    const sorted = Float64Array.from(acks.accepted).sort();
    steps.push({
      ...result,
      framesPerDelivery: round(
        (c.frames - framesBefore) / Math.max(1, c.created - createdBefore),
        3,
      ),
      publisherAckMs: {
        acked: acks.done,
        p50: round(percentile(sorted, 0.5)),
        p99: round(percentile(sorted, 0.99)),
      },
    });
    await sleep(2_000);
  }

  // What the database kept: each step's messages, and how often created_at order (what a
  // reloaded conversation shows) differs from the order they were sent in.
  const owner = new pg.Client({ connectionString: dbUrl.toString() });
  await owner.connect();
  const rows = (
    await owner.query<{ content: string }>(
      "select content from messages where session_id = $1 and author_type = 'agent' order by created_at, id",
      [conversationId],
    )
  ).rows;
  await owner.end();
  const stored = new Map<number, { stored: number; storedOutOfOrder: number; last: number }>();
  for (const row of rows) {
    const p = JSON.parse(row.content) as Payload;
    const entry = stored.get(p.k) ?? { stored: 0, storedOutOfOrder: 0, last: -1 };
    entry.stored++;
    if (p.s < entry.last) entry.storedOutOfOrder++;
    else entry.last = p.s;
    stored.set(p.k, entry);
  }
  for (const [k, step] of steps.entries()) {
    const entry = stored.get(k);
    Object.assign(step, {
      database: {
        sentIncludingWarmup: step.sent + Math.round(step.rate * WARMUP),
        stored: entry?.stored ?? 0,
        storedOutOfOrder: entry?.storedOutOfOrder ?? 0,
      },
    });
  }

  closing = true;
  for (const ws of [...sockets, publisher]) ws.terminate();
  const exitCodes = await Promise.all(servers.map(stopProcess));
  await dropDatabase();
  await removeDataDir();
  const serverLog = servers.map((s) => summariseLog(s.output()));
  for (const [i, log] of serverLog.entries())
    if (Object.keys(log).length)
      console.log(`ours instance ${i ? 'B' : 'A'} logged: ${JSON.stringify(log, null, 2)}`);
  return {
    steps,
    frameBytes: c.createdBytes,
    setup: { connectMs, presenceFrames: setupFrames, presenceSettleMs: settleMs },
    nonAgentMessages: c.nonAgent,
    clientErrors: c.errors,
    publisherErrors: acks.errors,
    unexpectedCloses: c.closes,
    serverExitCodes: exitCodes,
    /** Each instance's log lines (warn and up), counted by message and error. */
    serverLog,
  };
}

// ---- baseline --------------------------------------------------------------------------

function openSocketIo(port: number, role: 'sub' | 'pub'): Promise<Socket> {
  const socket = connectSocketIo(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    query: { role },
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

async function measureBaseline(redis: RedisServer, frameBytes: number, roundNo: number) {
  const [portA, portB] = [await freePort(), await freePort()];
  const a = track(startServer({ REDIS_URL: redis.url, INSTANCE_ID: 'sio-a' }, portA, SIO_SERVER));
  const b = track(startServer({ REDIS_URL: redis.url, INSTANCE_ID: 'sio-b' }, portB, SIO_SERVER));
  const servers = [a, b];
  defer(async () => Promise.all(servers.map(stopProcess)));
  await Promise.all(servers.map((s) => waitHealthy(s)));
  await sleep(500); // the adapter's stream reader starts at "$" once its duplicate connects
  const ports = [portA, portB];
  const cpu: CpuSources = { instances: servers, redisPort: redis.port };

  // Pad the payload so the Socket.IO frame (42["message","..."]) is as large as ours.
  const frameOf = (text: string) => 2 + JSON.stringify(['message', text]).length;
  const sample = { k: 0, s: 1000, t: 123456.789 };
  const padding = Math.max(0, frameBytes - frameOf(JSON.stringify({ ...sample, p: '' })));
  const pad = 'x'.repeat(padding);
  const text = (p: Payload) => JSON.stringify({ ...p, p: pad });

  const target: Target = { recorder: null, publish: () => {} };
  const closes: string[] = [];
  let closing = false;
  const sockets: Socket[] = [];
  const setupStart = performance.now();
  await inBatches(CLIENTS, CONNECT_BATCH, async (i) => {
    const socket = await openSocketIo(ports[i % 2] as number, 'sub');
    socket.on('message', (payload: string) => {
      const now = performance.now();
      target.recorder?.record(i, JSON.parse(payload) as Payload, now);
    });
    socket.on('disconnect', (reason) => {
      if (!closing && closes.length < 20) closes.push(`client ${i}: ${reason}`);
    });
    sockets.push(socket);
  });
  const connectMs = Math.round(performance.now() - setupStart);
  console.log(`baseline: ${CLIENTS} clients connected in ${connectMs} ms`);
  const publisher = await openSocketIo(portA, 'pub');
  target.publish = (payload) => {
    publisher.emit('publish', payload);
  };
  await sleep(1_000);

  const steps = [];
  for (const [k, rate] of RATES.entries()) {
    const { result } = await runStep(target, k, rate, text, cpu, `baseline round ${roundNo + 1}`);
    steps.push(result);
    await sleep(2_000);
  }
  const measuredFrame = frameOf(text({ k: 0, s: 1000, t: 123456.789 }));

  closing = true;
  for (const socket of [...sockets, publisher]) socket.disconnect();
  const exitCodes = await Promise.all(servers.map(stopProcess));
  const serverLog = servers.map((s) => summariseLog(s.output()));
  for (const [i, log] of serverLog.entries())
    if (Object.keys(log).length)
      console.log(`baseline instance ${i ? 'B' : 'A'} logged: ${JSON.stringify(log, null, 2)}`);
  return {
    steps,
    frameBytes: measuredFrame,
    setup: { connectMs },
    unexpectedCloses: closes,
    serverExitCodes: exitCodes,
    /** Each instance's log lines (warn and up), counted by message and error. */
    serverLog,
  };
}

// ---- run -------------------------------------------------------------------------------

type Step = ReturnType<typeof summarise> & { cpuCores: { otherProcesses: number } | null };

/** The median of each headline metric over some rounds of one step. */
function medians(runs: Step[]) {
  const pick = (f: (x: Step) => number) => median(runs.map(f));
  return {
    rounds: runs.length,
    sent: pick((x) => x.sent),
    delivered: pick((x) => x.delivered),
    expected: pick((x) => x.expected),
    deliveryRatio: pick((x) => x.deliveryRatio),
    deliveredPerSecond: pick((x) => x.deliveredPerSecond),
    latencyMs: {
      p50: pick((x) => x.latencyMs.p50),
      p90: pick((x) => x.latencyMs.p90),
      p99: pick((x) => x.latencyMs.p99),
      max: pick((x) => x.latencyMs.max),
    },
  };
}

/**
 * Per rate: medians over every round, medians over the quiet rounds only (other processes used
 * less than QUIET_CORES during the measured window; null when none was), and every round.
 */
function byRate<S extends Step>(rounds: S[][]) {
  return RATES.map((rate, i) => {
    const runs = rounds.map((r) => r[i]).filter((x): x is S => x !== undefined);
    const quiet = runs.filter((x) => (x.cpuCores?.otherProcesses ?? 1) < QUIET_CORES);
    return {
      rate,
      clients: CLIENTS,
      median: medians(runs),
      medianQuiet: quiet.length ? medians(quiet) : null,
      rounds: runs,
    };
  });
}

type Medians = ReturnType<typeof medians>;
const ratioOf = (o: Medians, b: Medians) => ({
  throughput: round(o.deliveredPerSecond / b.deliveredPerSecond, 3),
  p50: round(o.latencyMs.p50 / b.latencyMs.p50, 3),
  p99: round(o.latencyMs.p99 / b.latencyMs.p99, 3),
});

try {
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  console.log(
    `fanout: ${CLIENTS} clients over 2 instances, rates ${RATES.join(', ')} msg/s, ${WARMUP}s warm-up + ${SECONDS}s each, ${ROUNDS} round(s)`,
  );
  const oursRounds = [];
  const baselineRounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    // A clean Redis for each system: nothing of the other's left in it.
    if (r > 0) await redis.restart();
    const ours = await measureOurs(redis, r);
    await redis.restart();
    const baseline = await measureBaseline(redis, ours.frameBytes, r);
    oursRounds.push(ours);
    baselineRounds.push(baseline);
  }
  const { steps: _o, ...oursFirst } = oursRounds[0] as (typeof oursRounds)[number];
  const { steps: _b, ...baselineFirst } = baselineRounds[0] as (typeof baselineRounds)[number];
  const ours = byRate(oursRounds.map((r) => r.steps));
  const baseline = byRate(baselineRounds.map((r) => r.steps));

  const ratio: Record<string, ReturnType<typeof ratioOf>> = {};
  const ratioQuiet: Record<string, ReturnType<typeof ratioOf> | null> = {};
  for (const [i, o] of ours.entries()) {
    const b = baseline[i];
    if (!b) continue;
    ratio[`${o.rate}/s`] = ratioOf(o.median, b.median);
    ratioQuiet[`${o.rate}/s`] =
      o.medianQuiet && b.medianQuiet ? ratioOf(o.medianQuiet, b.medianQuiet) : null;
  }
  writeResult('fanout', {
    ours: {
      steps: ours,
      runs: oursRounds.map(({ steps: _, ...rest }) => rest),
      frameBytes: oursFirst.frameBytes,
    },
    baseline: {
      steps: baseline,
      runs: baselineRounds.map(({ steps: _, ...rest }) => rest),
      frameBytes: baselineFirst.frameBytes,
    },
    ratio,
    ratioQuiet,
    unit: 'deliveries/s (one message reaching one client); latency in ms, send to receive; medians over rounds; ratio = ours / baseline of those medians per rate step (throughput: higher is better; p50, p99: lower is better)',
    notes: [
      `${CLIENTS} WebSocket clients split evenly over two instances (A, B) sharing one private redis-server (restarted empty between systems); one publisher socket on A sends at a fixed rate; rate steps ${RATES.join(', ')} messages/s, each ${WARMUP}s of warm-up (not measured) then ${SECONDS}s measured. A round runs ours (all steps) and then the baseline (all steps), never at the same time; ${ROUNDS} round(s), each with fresh processes, database and connections; per-rate medians over rounds, every round kept under steps[].rounds.`,
      'ours: two `node --import tsx apps/server/src/main.ts` processes (LOG_LEVEL=warn, REALTIME_RATE_PER_SECOND=1000, REALTIME_RATE_BURST=1000) on one fresh, migrated PostgreSQL database; the member claimed the conversation, so each `send` frame is stored (one transaction that locks the conversation row) as an agent reply, published to the tenant Redis stream, read back by both instances (XREADGROUP, one group per instance) and delivered as message.created. framesPerDelivery counts every frame a subscriber got per message.created (above 1: extra frames such as conversation.updated). Our latency therefore includes the database write; publisherAckMs is send to the accepted ack on the publisher; database.stored/storedOutOfOrder check what the table kept, in created_at order.',
      `baseline: two Socket.IO 4.8 processes (bench/fanout/socketio-server.ts) with @socket.io/redis-streams-adapter 0.3.1 (ioredis client, RESP2, adapter defaults), websocket transport only, subscribers in one room; the publisher emits to A, which does io.to(room).emit('message', payload); the payload is padded so its frame is as large as our message.created frame (${oursFirst.frameBytes} bytes). Nothing is stored.`,
      'Latency = receive time - send time on one clock (performance.now() of the bench process, which holds all clients and the publisher, so a busy client event loop adds to both sides alike). delivered = deliveries of measured messages received by the end of the drain (until 3 s pass without one, at most 60 s after the last send; each client/message once; ours also waits, within those 60 s, until every send is answered, so no backlog spills into the next step); deliveredPerSecond = deliveries of any message of the step received inside the measured window / its length (it can exceed rate x clients while a backlog from the warm-up drains); expected = sent x clients.',
      `Everything (4 server processes over a run, redis-server, PostgreSQL, ${CLIENTS} clients) shares this 2-core machine with whatever else runs on it: cpuCores gives cores used per process during each measured window (PostgreSQL: the backends of the bench database) and otherProcesses the rest of the machine; each step first waits up to ${QUIET_WAIT_MS / 1000}s for other processes to go below ${QUIET_CORES} cores (otherCoresBefore). Steps where otherProcesses is high are contended; medianQuiet and ratioQuiet use only the rounds whose measured window had otherProcesses < ${QUIET_CORES} cores (null when none had).`,
      'Target (issue): throughput at least Socket.IO’s and p99 no higher than Socket.IO’s; no pass/fail is computed here.',
    ],
  });
} finally {
  await cleanupAll();
}
