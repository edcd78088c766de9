import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHibp } from '../../../packages/auth/test/hibp-fake.ts';
import { cookieOf, type Harness, startHarness, uniqueEmail } from './harness.ts';

const COMMON = ['password1234', 'qwertyuiop12', 'iloveyou1234', '123456789012', 'xxxxxxxxxxxx'];

describe.each(testDrivers())('password policy on the auth endpoints (%s)', (driver) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(driver);
  });
  afterAll(() => h?.close());

  const users = async () =>
    (await h.t.ownerQuery<{ n: number }>('select count(*)::int as n from users'))[0]?.n;

  it('refuses common and predictable passwords at sign-up, naming the field, creating nothing', async () => {
    const before = await users();
    for (const password of COMMON) {
      const r = await h.post('/api/auth/sign-up/email', {
        name: 'Weak Person',
        email: uniqueEmail('weak'),
        password,
        organizationName: 'Weak Passwords Ltd',
      });
      expect(r.status, password).toBe(400);
      expect(r.body, password).toMatchObject({ code: 'WEAK_PASSWORD', field: 'password' });
      expect(String(r.body.message), password).toMatch(
        /^password: .*; choose a longer passphrase of several unrelated words$/,
      );
      expect(cookieOf(r.raw)).toBeUndefined();
    }
    expect(await users()).toBe(before);
  });

  it('refuses a password made of the person’s own details', async () => {
    const r = await h.post('/api/auth/sign-up/email', {
      name: 'Ada Lovelace',
      email: uniqueEmail('ada'),
      password: 'Lovelace Analytical',
      organizationName: 'Lovelace Analytical',
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ field: 'password' });
  });

  it('refuses a weak new password at change-password, keeping the old one', async () => {
    const acct = await h.signUp('Change Password Co');
    for (const newPassword of COMMON) {
      const r = await h.post(
        '/api/auth/change-password',
        { currentPassword: acct.password, newPassword },
        acct.cookie,
      );
      expect(r.status, newPassword).toBe(400);
      expect(r.body, newPassword).toMatchObject({ code: 'WEAK_PASSWORD', field: 'newPassword' });
      expect(String(r.body.message)).toMatch(/^newPassword: /);
    }
    // Strictly validated like the other auth inputs.
    const extra = await h.post(
      '/api/auth/change-password',
      { currentPassword: acct.password, newPassword: 'Quartz Pelican Harvest', userId: 'x' },
      acct.cookie,
    );
    expect(extra.status).toBe(400);
    expect(extra.body).toMatchObject({ field: 'userId' });
    const short = await h.post(
      '/api/auth/change-password',
      { currentPassword: acct.password, newPassword: 'short' },
      acct.cookie,
    );
    expect(short.body).toMatchObject({ field: 'newPassword' });
    const signIn = await h.post('/api/auth/sign-in/email', {
      email: acct.email,
      password: acct.password,
    });
    expect(signIn.status).toBe(200);
    const ok = await h.post(
      '/api/auth/change-password',
      { currentPassword: acct.password, newPassword: 'Quartz Pelican Harvest Lantern' },
      cookieOf(signIn.raw),
    );
    expect(ok.status).toBe(200);
  });

  it('refuses a weak new password at reset-password before looking at the token', async () => {
    const r = await h.post('/api/auth/reset-password', {
      newPassword: 'password1234',
      token: 'any-token',
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'WEAK_PASSWORD', field: 'newPassword' });
  });
});

describe.each(testDrivers())('breached-password check, opt-in (%s)', (driver) => {
  const breached = 'Rhubarb Telescope Mandolin 1987';
  let hibp: Awaited<ReturnType<typeof startFakeHibp>>;
  beforeAll(async () => {
    hibp = await startFakeHibp([breached]);
  });
  afterAll(() => hibp?.close());

  const signUp = (h: Harness, password: string) =>
    h.post('/api/auth/sign-up/email', {
      name: 'Pwned Check',
      email: uniqueEmail('hibp'),
      password,
      organizationName: 'Breach Watch Ltd',
    });

  it('is off by default: nothing is sent anywhere', async () => {
    const h = await startHarness(driver);
    try {
      const before = hibp.requests.length;
      expect((await signUp(h, breached)).status).toBe(200);
      expect(hibp.requests.length).toBe(before);
    } finally {
      await h.close();
    }
  });

  it('with HIBP_ENABLED refuses a breached password and accepts a safe one', async () => {
    const h = await startHarness(driver, { HIBP_ENABLED: 'true', HIBP_URL: hibp.url });
    try {
      const pwned = await signUp(h, breached);
      expect(pwned.status).toBe(400);
      expect(pwned.body).toMatchObject({ code: 'WEAK_PASSWORD', field: 'password' });
      expect(String(pwned.body.message)).toMatch(/known data breach/);
      expect(hibp.requests.at(-1)).toEqual({
        path: `/range/${hibp.sha1(breached).slice(0, 5)}`,
        padding: 'true',
      });
      expect((await signUp(h, 'Quartz Pelican Harvest Lantern')).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('fails open when the service is down', async () => {
    const down = createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(down.address() as AddressInfo).port}`;
    await new Promise((resolve) => down.close(resolve));
    const h = await startHarness(driver, { HIBP_ENABLED: 'true', HIBP_URL: url });
    try {
      expect((await signUp(h, breached)).status).toBe(200);
      // The offline list still applies.
      expect((await signUp(h, 'password1234')).status).toBe(400);
    } finally {
      await h.close();
    }
  });
});
