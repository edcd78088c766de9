/**
 * users.me (session look-up, withTenant, one query) against a bare Fastify route running the
 * same SELECT with no auth and no RLS, on the same database, alternating rounds in one run.
 * PGlite always; PostgreSQL too when DATABASE_URL is set. Target: ours >= 50% of bare on PostgreSQL.
 */
import { type Driver, preparePostgresTemplate, testDrivers } from '@platform/db/testing';
import { initTRPC } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import Fastify from 'fastify';
import pg from 'pg';
import { sendFetchResponse, toFetchRequest } from '../apps/server/src/fetch-bridge.ts';
import { type Load, load, medianLoad, startBenchServer, writeResult } from './lib.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 10;
const POOL = 10;
const USER_SQL =
  'select id, name, email, email_verified, image, created_at from users where id = $1';

async function measure(driver: Driver) {
  const server = await startBenchServer(driver, POOL);
  const { t, cookie, userId } = server;
  const oursUrl = server.url;

  // The baseline: the same SELECT, straight to the database as its owner.
  const bare = Fastify();
  let query: (id: string) => Promise<unknown[]>;
  let closeBare = async () => {};
  if (t.url) {
    const pool = new pg.Pool({ connectionString: t.url, max: POOL });
    pool.on('error', () => {}); // connections cut when the bench database is dropped
    query = async (id) => (await pool.query(USER_SQL, [id])).rows;
    closeBare = () => pool.end();
  } else {
    query = (id) => t.ownerQuery(USER_SQL, [id]);
  }
  bare.get('/me', async () => (await query(userId))[0]);
  // Reference point: the same bare SELECT served as a tRPC procedure through the same Fetch
  // bridge as ours, with no auth and no transaction: what tRPC itself costs.
  const t0 = initTRPC.create({ isDev: false });
  const floorRouter = t0.router({ me: t0.procedure.query(async () => (await query(userId))[0]) });
  bare.get('/trpc/*', async (request, reply) =>
    sendFetchResponse(
      reply,
      await fetchRequestHandler({
        endpoint: '/trpc',
        req: toFetchRequest(request, 'http://127.0.0.1'),
        router: floorRouter,
      }),
    ),
  );
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

  const check = await fetch(`${oursUrl}/trpc/users.me`, { headers: { cookie } });
  if (check.status !== 200) throw new Error(`users.me answered ${check.status}`);

  const oursRounds: Load[] = [];
  const bareRounds: Load[] = [];
  const floorRounds: Load[] = [];
  const opts = { connections: CONNECTIONS, seconds: SECONDS };
  await load(`${oursUrl}/trpc/users.me`, { ...opts, seconds: 2, headers: { cookie } }); // warm-up
  await load(`${bareUrl}/me`, { ...opts, seconds: 2 });
  for (let i = 0; i < ROUNDS; i++) {
    bareRounds.push(await load(`${bareUrl}/me`, opts));
    floorRounds.push(await load(`${bareUrl}/trpc/me`, opts));
    oursRounds.push(await load(`${oursUrl}/trpc/users.me`, { ...opts, headers: { cookie } }));
    console.log(
      `${driver} round ${i + 1}: ours ${oursRounds.at(-1)?.rps.toFixed(0)} req/s, bare ${bareRounds.at(-1)?.rps.toFixed(0)} req/s, tRPC floor ${floorRounds.at(-1)?.rps.toFixed(0)} req/s`,
    );
  }
  await bare.close();
  await closeBare();
  await server.close();
  const o = medianLoad(oursRounds);
  const b = medianLoad(bareRounds);
  const f = medianLoad(floorRounds);
  return {
    ours: o,
    baseline: b,
    trpcFloor: f,
    ratio: Number((o.rps / b.rps).toFixed(3)),
    floorRatio: Number((f.rps / b.rps).toFixed(3)),
  };
}

const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
if (process.env.DATABASE_URL) await preparePostgresTemplate(process.env.DATABASE_URL);
for (const driver of testDrivers()) results[driver] = await measure(driver);

const by = <K extends 'ours' | 'baseline'>(k: K) =>
  Object.fromEntries(Object.entries(results).map(([d, r]) => [d, r[k]]));
writeResult('api', {
  ours: by('ours'),
  baseline: by('baseline'),
  ratio: Object.fromEntries(Object.entries(results).map(([d, r]) => [d, r.ratio])),
  reference: Object.fromEntries(
    Object.entries(results).map(([d, r]) => [
      d,
      { trpcFloor: r.trpcFloor, floorRatio: r.floorRatio },
    ]),
  ),
  unit: 'requests/s (latency p50/p99 in ms); ratio = ours.rps / baseline.rps',
  notes: [
    `ours: GET /trpc/users.me with a session cookie (Better Auth session look-up as the auth role, then withTenant: SET LOCAL ROLE + tenant, membership check, one SELECT); baseline: bare Fastify GET running "${USER_SQL}" as the table owner, no auth, no RLS, no transaction.`,
    `${CONNECTIONS} connections, ${SECONDS}s per round, ${ROUNDS} alternating rounds, medians reported; pool ${POOL} for both; server and load generator share this 2-core machine.`,
    'reference.trpcFloor: the baseline SELECT as a bare tRPC procedure (no auth, no RLS, no transaction) through the same Fastify-to-Fetch bridge; floorRatio = trpcFloor.rps / baseline.rps bounds what any tRPC procedure can reach here.',
    'Target: ratio >= 0.5 on PostgreSQL.',
  ],
});
console.log(JSON.stringify(results, null, 2));
