import { randomBytes } from 'node:crypto';
import { loadConfig } from '@platform/config';
import { openDatabase } from '@platform/db';
import { openTestDatabase, type TestDatabase } from '@platform/db/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { stopServer } from '../src/in-flight.ts';
import { createLogger } from '../src/logger.ts';
import { openPlatform, type Platform } from '../src/platform.ts';
import { cookieOf } from './harness.ts';

/**
 * Production runs through PgBouncer in transaction mode, where consecutive transactions of
 * one client land on different server connections. CI sets PGBOUNCER_URL (see .ci/run).
 */
const bouncer = process.env.PGBOUNCER_URL;

describe('through PgBouncer in transaction mode', () => {
  let t: TestDatabase;
  let platform: Platform;
  let app: FastifyInstance;

  beforeAll(async () => {
    t = await openTestDatabase('postgres');
    if (!bouncer)
      throw new Error('PGBOUNCER_URL is not set (vitest.config.ts excludes this file then)');
    const url = new URL(bouncer);
    url.pathname = new URL(t.url as string).pathname;
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: '/tmp/platform-pgbouncer-test',
      AUTH_SECRET: randomBytes(32).toString('base64url'),
      PUBLIC_URL: 'http://localhost:3000',
      DATABASE_URL: url.toString(),
      SESSION_CACHE_SECONDS: '0', // every request takes the auth transaction too
    });
    const db = await openDatabase(config);
    expect(await db.migrate()).toEqual({ applied: 0 }); // the advisory lock works through it
    platform = await openPlatform(config, createLogger(config), { db });
    app = await buildApp(platform);
  });
  afterAll(async () => {
    if (app) await stopServer(app, 10_000);
    await platform?.db.close();
    await t?.close();
  });

  it('keeps every interleaved request in its own tenant', async () => {
    const accounts = [];
    for (const org of ['Bouncer A', 'Bouncer B', 'Bouncer C']) {
      const email = `${org.replace(' ', '-').toLowerCase()}-${randomBytes(3).toString('hex')}@example.com`;
      const r = await app.inject({
        method: 'POST',
        url: '/api/auth/sign-up/email',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({
          name: org,
          email,
          password: 'through the bouncer',
          organizationName: org,
        }),
      });
      expect(r.statusCode).toBe(200);
      accounts.push({ email, cookie: cookieOf(r) as string });
    }
    const calls = Array.from(
      { length: 150 },
      (_, i) => accounts[i % accounts.length] as (typeof accounts)[0],
    );
    const replies = await Promise.all(
      calls.map(async (a) => {
        const r = await app.inject({
          method: 'GET',
          url: '/trpc/users.list',
          headers: { cookie: a.cookie },
        });
        return {
          want: a.email,
          got: r.json().result.data.items.map((i: { email: string }) => i.email),
        };
      }),
    );
    for (const r of replies) expect(r.got).toEqual([r.want]);
  });
});
