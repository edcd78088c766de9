import { randomBytes } from 'node:crypto';
import { testDrivers } from '@platform/db/testing';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieOf, data, type Harness, startHarness, trpcError, uniqueEmail } from './harness.ts';

describe.each(testDrivers())('auth flows (%s)', (driver) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(driver);
  });
  afterAll(() => h?.close());

  const counts = async () => {
    const [r] = await h.t.ownerQuery<{ users: number; tenants: number; sessions: number }>(
      `select (select count(*)::int from users) as users, (select count(*)::int from tenants) as tenants,
              (select count(*)::int from auth_sessions) as sessions`,
    );
    return r;
  };

  it('signs up: creates the tenant, makes the person its owner, sets a safe session cookie', async () => {
    const email = uniqueEmail('founder');
    const reply = await h.post('/api/auth/sign-up/email', {
      name: 'Founder',
      email,
      password: 'a long enough passphrase',
      organizationName: 'Initech Systems',
    });
    expect(reply.status).toBe(200);
    const setCookie = String(reply.raw.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/); // only in production
    const cookie = cookieOf(reply.raw);
    const me = data(await h.query('users.me', cookie));
    expect(me).toMatchObject({ email, name: 'Founder', role: 'owner' });
    const tenant = data(await h.query('tenants.current', cookie));
    expect(tenant).toMatchObject({
      name: 'Initech Systems',
      slug: 'initech-systems',
      role: 'owner',
    });
    const [hash] = await h.t.ownerQuery<{ password: string }>(
      `select a.password from accounts a join users u on u.id = a.user_id where u.email = $1`,
      [email],
    );
    expect(hash?.password).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$/);
  });

  it('derives distinct slugs for organisations with the same name', async () => {
    const one = await h.signUp('Same Name Ltd');
    const two = await h.signUp('Same Name Ltd');
    const s1 = data<{ slug: string }>(await h.query('tenants.current', one.cookie)).slug;
    const s2 = data<{ slug: string }>(await h.query('tenants.current', two.cookie)).slug;
    expect(s1).toBe('same-name-ltd');
    expect(s2).toBe('same-name-ltd-2');
  });

  it('signs in with a new session id, and rejects a wrong password', async () => {
    const acct = await h.signUp('Sign In Co');
    const signIn = await h.post('/api/auth/sign-in/email', {
      email: acct.email,
      password: acct.password,
    });
    expect(signIn.status).toBe(200);
    const fresh = cookieOf(signIn.raw);
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(acct.cookie);
    expect(data(await h.query('users.me', fresh)).id).toBe(acct.userId);

    const wrong = await h.post('/api/auth/sign-in/email', {
      email: acct.email,
      password: 'not the password at all',
    });
    expect(wrong.status).toBe(401);
    expect(cookieOf(wrong.raw)).toBeUndefined();
    const unknown = await h.post('/api/auth/sign-in/email', {
      email: uniqueEmail('nobody'),
      password: 'whatever it is',
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body.message).toBe(wrong.body.message); // no account enumeration
  });

  it('signs out: the session stops working', async () => {
    const acct = await h.signUp('Sign Out Co');
    expect((await h.query('users.me', acct.cookie)).status).toBe(200);
    const out = await h.post('/api/auth/sign-out', {}, acct.cookie);
    expect(out.status).toBe(200);
    const after = await h.query('users.me', acct.cookie);
    expect(after.status).toBe(401);
    expect(trpcError(after).data.code).toBe('UNAUTHORIZED');
  });

  it('verifies a legacy bcrypt hash once, then rehashes it to Argon2id', async () => {
    const owner = await h.signUp('Legacy Corp');
    const email = uniqueEmail('legacy');
    const password = 'an old but long password';
    const [user] = await h.t.ownerQuery<{ id: string }>(
      `insert into users (name, email) values ('Legacy', $1) returning id`,
      [email],
    );
    const userId = (user as { id: string }).id;
    await h.t.ownerQuery(
      `insert into accounts (user_id, account_id, provider_id, password) values ($1::uuid, $1::text, 'credential', $2)`,
      [userId, bcrypt.hashSync(password, 10)],
    );
    await h.t.ownerQuery(
      `insert into memberships (tenant_id, user_id, role) values ($1, $2, 'member')`,
      [owner.tenantId, userId],
    );
    const stored = async () =>
      (
        await h.t.ownerQuery<{ password: string }>(
          `select password from accounts where user_id = $1`,
          [userId],
        )
      )[0]?.password;
    expect(await stored()).toMatch(/^\$2[ab]\$/);

    const first = await h.post('/api/auth/sign-in/email', { email, password });
    expect(first.status).toBe(200);
    expect(await stored()).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$/);
    expect(data(await h.query('users.me', cookieOf(first.raw))).role).toBe('member');

    const second = await h.post('/api/auth/sign-in/email', { email, password });
    expect(second.status).toBe(200);
    expect(
      (await h.post('/api/auth/sign-in/email', { email, password: 'an old but wrong password' }))
        .status,
    ).toBe(401);
  });

  it('enforces the password policy with the field at fault, changing nothing', async () => {
    const before = await counts();
    const base = { name: 'P', email: uniqueEmail('policy'), organizationName: 'Policy Org' };
    const short = await h.post('/api/auth/sign-up/email', { ...base, password: 'elevenchars' });
    expect(short.status).toBe(400);
    expect(short.body).toMatchObject({
      field: 'password',
      message: 'password: must be at least 12 characters',
    });
    const long = await h.post('/api/auth/sign-up/email', { ...base, password: 'x'.repeat(129) });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ field: 'password' });
    // (Lengths only: a weak password of the right length is the password policy's test.)
    const exactMin = await h.post('/api/auth/sign-up/email', { ...base, password: 'Tq7#vR2!pLx9' });
    expect(exactMin.status).toBe(200);
    const exactMax = await h.post('/api/auth/sign-up/email', {
      ...base,
      email: uniqueEmail('policy'),
      password: randomBytes(96).toString('base64url'),
    });
    expect(exactMax.status).toBe(200);
    const after = await counts();
    expect(after?.users).toBe((before?.users ?? 0) + 2);
  });

  it('answers bad sign-up input with 400 naming the field, and a taken email with 409', async () => {
    const taken = await h.signUp('Taken Email Inc');
    const before = await counts();
    const valid = {
      name: 'N',
      email: uniqueEmail('bad'),
      password: 'long enough password',
      organizationName: 'Org',
    };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, organizationName: undefined }, 'organizationName'],
      [{ ...valid, organizationName: '   ' }, 'organizationName'],
      [{ ...valid, email: 'not-an-email' }, 'email'],
      [{ ...valid, email: 12345 }, 'email'],
      [{ ...valid, name: ['array'] }, 'name'],
      [{ ...valid, isAdmin: true }, 'isAdmin'],
      [{ ...valid, tenantId: taken.tenantId }, 'tenantId'],
    ];
    for (const [body, field] of cases) {
      const reply = await h.post('/api/auth/sign-up/email', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.field).toBe(field);
    }
    const dup = await h.post('/api/auth/sign-up/email', {
      ...valid,
      email: taken.email.toUpperCase(),
    });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ field: 'email' });
    expect(await counts()).toEqual(before);
  });

  it('refuses cross-site browser requests carrying the session cookie', async () => {
    const acct = await h.signUp('Csrf Target Ltd');
    const send = (url: string, headers: Record<string, string>, body: unknown = {}) =>
      h.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', ...headers },
        payload: JSON.stringify(body),
      });
    const evil = await send('/api/auth/sign-out', {
      cookie: acct.cookie,
      origin: 'https://evil.example',
    });
    expect(evil.statusCode).toBe(403);
    const noOrigin = await send('/api/auth/sign-out', {
      cookie: acct.cookie,
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'cors',
    });
    expect(noOrigin.statusCode).toBe(403);
    const login = await send(
      '/api/auth/sign-in/email',
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
      { email: acct.email, password: acct.password },
    );
    expect(login.statusCode).toBe(403);
    expect((await h.query('users.me', acct.cookie)).status).toBe(200);
  });

  it('accepts scripted clients that send no browser headers (curl, Node fetch)', async () => {
    const acct = await h.signUp('Script Client Co');
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      headers: { 'sec-fetch-mode': 'cors', 'content-type': 'application/json' },
      payload: JSON.stringify({ email: acct.email, password: acct.password }),
    });
    expect(r.statusCode).toBe(200);
  });

  it('stops trusting a session revoked elsewhere within SESSION_CACHE_SECONDS', async () => {
    const strict = await startHarness(driver, { SESSION_CACHE_SECONDS: '0' });
    try {
      const acct = await strict.signUp('Revoked Elsewhere Inc');
      expect((await strict.query('users.me', acct.cookie)).status).toBe(200);
      // Another instance (or an operator) deletes the session row.
      await strict.t.ownerQuery('delete from auth_sessions where user_id = $1', [acct.userId]);
      expect((await strict.query('users.me', acct.cookie)).status).toBe(401);
    } finally {
      await strict.close();
    }
    const acct = await h.signUp('Revoked Cached Inc');
    expect((await h.query('users.me', acct.cookie)).status).toBe(200);
    await h.t.ownerQuery('delete from auth_sessions where user_id = $1', [acct.userId]);
    h.platform.identity.invalidate(); // what a sign-out on this instance does
    expect((await h.query('users.me', acct.cookie)).status).toBe(401);
  });
});
