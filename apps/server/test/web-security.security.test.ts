import { randomInt } from 'node:crypto';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type Harness, PUBLIC_URL, startHarness, uniqueEmail } from './harness.ts';

/** A fresh client address per test, so counts kept in a shared Redis never meet. */
const someIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

describe.each(testDrivers())('CSRF, security headers and rate limits (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  let other: Account;

  beforeAll(async () => {
    h = await startHarness(driver, {
      // Counts in this process: other suites sharing a Redis sign up from 127.0.0.1 too.
      // (The shared store has its own test below.)
      REDIS_URL: '',
      AUTH_RATE_LIMIT_PER_MINUTE: '4',
      TENANT_RATE_LIMIT_PER_MINUTE: '12',
      IP_RATE_LIMIT_PER_MINUTE: '1000000',
      ALLOWED_ORIGINS: 'https://admin.example.com',
    });
    owner = await h.signUp('Csrf Works');
    other = await h.signUp('Other Org');
  });
  afterAll(() => h?.close());

  const members = async () =>
    h.t.ownerQuery('select user_id, role from memberships where tenant_id = $1 order by user_id', [
      owner.tenantId,
    ]);
  const rename = (headers: Record<string, string>) =>
    h.app.inject({
      method: 'POST',
      url: '/trpc/personalities.create',
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify({ name: 'Sneaky', systemPrompt: 'Be sneaky.' }),
    });
  const personalities = async () =>
    (
      await h.t.ownerQuery<{ n: string }>(
        `select count(*) as n from ai_personalities where tenant_id = $1 and name = 'Sneaky'`,
        [owner.tenantId],
      )
    )[0]?.n;

  it('refuses cookie writes from another origin, or without the session-bound token', async () => {
    const before = { members: await members(), personalities: await personalities() };
    const token = String(await h.csrf(owner.cookie));
    const foreign = await rename({
      cookie: owner.cookie,
      origin: 'https://evil.example',
      'x-csrf-token': token,
    });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json()).toMatchObject({ code: 'CSRF', field: 'origin' });
    // No Origin and no Referer: not enough either (a write must say where it comes from).
    expect((await rename({ cookie: owner.cookie, 'x-csrf-token': token })).statusCode).toBe(403);
    const tokenless = await rename({ cookie: owner.cookie, origin: PUBLIC_URL });
    expect(tokenless.statusCode).toBe(403);
    expect(tokenless.json()).toMatchObject({ code: 'CSRF', field: 'x-csrf-token' });
    // Another session's token does not fit this session.
    const stolen = await rename({
      cookie: owner.cookie,
      origin: PUBLIC_URL,
      'x-csrf-token': String(await h.csrf(other.cookie)),
    });
    expect(stolen.statusCode).toBe(403);
    // A Referer from this site stands in for a missing Origin.
    const viaReferer = await rename({
      cookie: owner.cookie,
      referer: `${PUBLIC_URL}/account`,
      'x-csrf-token': token,
    });
    expect(viaReferer.statusCode, viaReferer.body).toBe(200);
    expect(await members()).toEqual(before.members);
    expect(Number(await personalities())).toBe(Number(before.personalities) + 1);

    // Reads need no token; the token itself needs a session.
    expect((await h.query('users.me', owner.cookie)).status).toBe(200);
    const anonymous = await h.app.inject({ method: 'GET', url: '/api/csrf' });
    expect(anonymous.statusCode).toBe(401);
    const mine = await h.app.inject({
      method: 'GET',
      url: '/api/csrf',
      headers: { cookie: owner.cookie },
    });
    expect(mine.headers['cache-control']).toBe('no-store');
    // Sign-out is a cookie write too.
    const signOut = await h.app.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      headers: { 'content-type': 'application/json', cookie: owner.cookie, origin: PUBLIC_URL },
      payload: '{}',
    });
    expect(signOut.statusCode).toBe(403);
    expect((await h.query('users.me', owner.cookie)).status).toBe(200);
  });

  it("lets the platform's pages on other allowed origins call tRPC with credentials, no one else", async () => {
    const admin = 'https://admin.example.com';
    const preflight = (origin: string) =>
      h.app.inject({
        method: 'OPTIONS',
        url: '/trpc/conversations.create',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, x-csrf-token',
        },
      });
    const ok = await preflight(admin);
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(admin);
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    expect(String(ok.headers['access-control-allow-headers'])).toContain('x-csrf-token');
    const evil = await preflight('https://evil.example');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const read = await h.app.inject({
      method: 'GET',
      url: '/trpc/users.me',
      headers: { origin: admin, cookie: owner.cookie },
    });
    expect(read.headers['access-control-allow-origin']).toBe(admin);
    // A write from there still needs the session's token, and then works.
    const write = (token?: string) =>
      h.app.inject({
        method: 'POST',
        url: '/trpc/conversations.create',
        headers: {
          origin: admin,
          cookie: owner.cookie,
          'content-type': 'application/json',
          ...(token ? { 'x-csrf-token': token } : {}),
        },
        payload: '{}',
      });
    expect((await write()).statusCode).toBe(403);
    expect((await write(await h.csrf(owner.cookie))).statusCode).toBe(200);
    // The widget's REST keeps its own CORS: never with credentials.
    const widget = await h.app.inject({
      method: 'GET',
      url: '/api/v1/conversations',
      headers: { origin: admin },
    });
    expect(widget.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('sends CSP with frame-ancestors, nosniff and a referrer policy on every response', async () => {
    for (const url of ['/health', '/trpc/users.me', '/api/v1/conversations', '/account']) {
      const r = await h.app.inject({ method: 'GET', url });
      const csp = String(r.headers['content-security-policy']);
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      expect(r.headers['referrer-policy'], url).toBe('strict-origin-when-cross-origin');
      // HSTS only in production (an http:// development server must stay reachable).
      expect(r.headers['strict-transport-security'], url).toBeUndefined();
    }
    expect(
      String(
        (await h.app.inject({ method: 'GET', url: '/health' })).headers['content-security-policy'],
      ),
    ).toContain("default-src 'self'");
    // Other sites load the widget's script.
    const script = await h.app.inject({ method: 'GET', url: '/widget.js' });
    expect(script.headers['cross-origin-resource-policy']).toBe('cross-origin');
  });

  it('limits sign-in attempts per client IP with 429 and Retry-After', async () => {
    const ip = someIp();
    const attempt = (remoteAddress: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/auth/sign-in/email',
        remoteAddress,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email: uniqueEmail('nobody'), password: 'wrong password!' }),
      });
    for (let i = 0; i < 4; i++) expect((await attempt(ip)).statusCode).not.toBe(429);
    const limited = await attempt(ip);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
    // Another address is not held back by this one.
    expect((await attempt(someIp())).statusCode).not.toBe(429);
  });

  it('limits an organisation per minute without holding back another', async () => {
    const mine = await h.signUp('Busy Org');
    let limited: Awaited<ReturnType<typeof h.query>> | undefined;
    for (let i = 0; i < 20 && !limited; i++) {
      const r = await h.query('users.me', mine.cookie);
      if (r.status === 429) limited = r;
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited?.raw.headers['retry-after'])).toBeGreaterThan(0);
    expect((await h.query('users.me', other.cookie)).status).toBe(200);
  });
});

describe.skipIf(!process.env.REDIS_URL)('rate limits shared through Redis', () => {
  const apps: Harness[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++)
      apps.push(await startHarness('pglite', { AUTH_RATE_LIMIT_PER_MINUTE: '4' }));
  });
  afterAll(() => Promise.all(apps.map((a) => a.close())));

  it('counts one client across instances', async () => {
    const ip = someIp();
    const attempt = (h: Harness) =>
      h.app.inject({
        method: 'POST',
        url: '/api/auth/sign-in/email',
        remoteAddress: ip,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email: uniqueEmail('nobody'), password: 'wrong password!' }),
      });
    const [a, b] = apps as [Harness, Harness];
    for (const h of [a, b, a, b]) expect((await attempt(h)).statusCode).not.toBe(429);
    expect((await attempt(a)).statusCode).toBe(429);
    expect((await attempt(b)).statusCode).toBe(429);
  });
});

describe('security headers in production', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('pglite', { NODE_ENV: 'production' });
  });
  afterAll(() => h?.close());

  it('adds HSTS', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/health' });
    expect(String(r.headers['strict-transport-security'])).toContain('max-age=31536000');
  });
});
