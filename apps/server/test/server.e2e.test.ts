import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, waitHealthy } from './process.ts';

const sessionCookie = (r: Response) =>
  r.headers
    .getSetCookie()
    .find((c) => c.includes('session_token='))
    ?.split(';')[0];

describe.each(testDrivers())('the server process (%s)', (driver) => {
  let t: TestDatabase | undefined;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'platform-e2e-'));
    env = { DATA_DIR: dataDir };
    if (driver === 'postgres') {
      t = await openTestDatabase('postgres');
      env.DATABASE_URL = t.url as string;
      if (process.env.REDIS_URL) env.REDIS_URL = process.env.REDIS_URL;
    }
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, signs up, drains in-flight requests on SIGTERM, and keeps data across a restart', async () => {
    const port = await freePort();
    const first = startServer(env, port);
    await waitHealthy(first);
    const url = first.url;
    expect((await fetch(`${url}/ready`)).status).toBe(200);

    const account = { email: `e2e-${Date.now()}@example.com`, password: 'restart proof password' };
    const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...account, name: 'E2E', organizationName: 'Restart Corp' }),
    });
    expect(signUp.status).toBe(200);
    const cookie = sessionCookie(signUp) as string;
    const me = await fetch(`${url}/trpc/users.me`, { headers: { cookie } });
    expect((await me.json()).result.data.email).toBe(account.email);

    if (driver === 'pglite') {
      // A second server on the same embedded database refuses to start instead of corrupting it.
      const second = startServer(env, await freePort());
      expect(await second.exited).not.toBe(0);
      expect(second.output()).toMatch(/in use by another process/);
    }

    // A sign-in (Argon2id, ~100 ms) is in flight when SIGTERM arrives: it still completes.
    const inFlight = fetch(`${url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(account),
    });
    await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGTERM');
    expect((await inFlight).status).toBe(200);
    expect(await first.exited, first.output()).toBe(0);

    const again = startServer(env, port);
    await waitHealthy(again);
    const signIn = await fetch(`${url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(account),
    });
    expect(signIn.status).toBe(200);
    const old = await fetch(`${url}/trpc/users.me`, { headers: { cookie } });
    expect(old.status).toBe(200);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  it('stops with one message listing every bad setting', async () => {
    const bad = startServer(
      { ...env, PORT: 'x', LOG_LEVEL: 'loud', NODE_ENV: 'production' },
      await freePort(),
    );
    expect(await bad.exited).toBe(1);
    const out = bad.output();
    for (const name of ['PORT', 'LOG_LEVEL', 'AUTH_SECRET', 'PUBLIC_URL'])
      expect(out).toContain(name);
  });
});
