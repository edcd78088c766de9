import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '@platform/config';
import { type Driver, openTestDatabase } from '@platform/db/testing';
import { buildApp } from '../apps/server/src/app.ts';
import { stopServer } from '../apps/server/src/in-flight.ts';
import { createLogger } from '../apps/server/src/logger.ts';
import { openPlatform } from '../apps/server/src/platform.ts';

const autocannonBin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

export type Load = { rps: number; p50: number; p99: number; non2xx: number; errors: number };

type AutocannonJson = {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
};

/**
 * Drives one URL with autocannon in its own process (so the load generator does not share
 * the server's event loop) and returns throughput and latency (ms).
 */
export async function load(
  url: string,
  opts: {
    connections: number;
    seconds: number;
    headers?: Record<string, string>;
    method?: 'GET' | 'POST';
    body?: string;
  },
): Promise<Load> {
  const args = [
    autocannonBin,
    '--json',
    '-c',
    String(opts.connections),
    '-d',
    String(opts.seconds),
    '-m',
    opts.method ?? 'GET',
  ];
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}=${v}`);
  if (opts.body) args.push('-b', opts.body);
  args.push(url);
  const { stdout } = await promisify(execFile)(process.execPath, args, {
    maxBuffer: 64 * 1024 * 1024,
  });
  const r = JSON.parse(stdout) as AutocannonJson;
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Median of each metric over rounds. */
export function medianLoad(rounds: Load[]): Load & { rounds: number } {
  const pick = (k: keyof Load) => median(rounds.map((r) => r[k]));
  return {
    rps: pick('rps'),
    p50: pick('p50'),
    p99: pick('p99'),
    non2xx: pick('non2xx'),
    errors: pick('errors'),
    rounds: rounds.length,
  };
}

export function writeResult(name: string, result: Record<string, unknown>) {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${name}.json`;
  writeFileSync(file, `${JSON.stringify({ name, ...result }, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

/**
 * Our server on a fresh database, listening on a loopback port, with one organisation
 * signed up (production settings, logs off).
 */
export async function startBenchServer(driver: Driver, poolSize = 10) {
  const t = await openTestDatabase(driver);
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-')),
    AUTH_SECRET: randomBytes(32).toString('base64url'),
    PUBLIC_URL: 'http://127.0.0.1',
    DATABASE_POOL_SIZE: String(poolSize),
    ...(t.url ? { DATABASE_URL: t.url } : {}),
  });
  const platform = await openPlatform(config, createLogger(config), { db: t.db });
  const app = await buildApp(platform);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const account = { email: 'bench@example.com', password: 'benchmark password' };
  const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...account, name: 'Bench', organizationName: 'Bench Co' }),
  });
  const cookie = signUp.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const userId = ((await signUp.json()) as { user: { id: string } }).user.id;
  return {
    t,
    url,
    account,
    cookie,
    userId,
    close: async () => {
      await stopServer(app, 10_000);
      platform.redis?.disconnect();
      await t.close();
    },
  };
}
