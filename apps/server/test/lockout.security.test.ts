import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieOf, data, type Harness, startHarness, uniqueEmail } from './harness.ts';

type AuditRow = {
  action: string;
  actor_user_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  metadata: Record<string, unknown>;
};

/** Audit entries are written after the answer (their timing must not leak); wait for them. */
async function auditOf(h: Harness, tenantId: string, action: string, atLeast = 1) {
  for (let i = 0; ; i++) {
    const rows = await h.t.ownerQuery<AuditRow>(
      `select action, actor_user_id, host(ip_address) as ip_address, user_agent, metadata
         from audit_logs where tenant_id = $1 and action = $2 order by created_at, id`,
      [tenantId, action],
    );
    if (rows.length >= atLeast || i > 200) return rows;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(testDrivers())('sign-in lockout (%s)', (driver) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(driver);
  });
  afterAll(() => h?.close());

  const signIn = (email: string, password: string, headers: Record<string, string> = {}) =>
    h.app
      .inject({
        method: 'POST',
        url: '/api/auth/sign-in/email',
        headers: {
          'content-type': 'application/json',
          origin: 'http://localhost:3000',
          ...headers,
        },
        payload: JSON.stringify({ email, password }),
      })
      .then((raw) => ({
        status: raw.statusCode,
        body: JSON.parse(raw.body || 'null') as Record<string, unknown>,
        raw,
      }));
  const wrong = 'not the right password';
  const stateOf = async (userId: string) =>
    (
      await h.t.ownerQuery<{ failed: number; locked: boolean }>(
        `select failed_sign_ins as failed, coalesce(locked_until > now(), false) as locked
           from users where id = $1`,
        [userId],
      )
    )[0];

  it('locks an account after 5 wrong passwords: then even the right one is refused', async () => {
    const acct = await h.signUp('Lockout Target Ltd');
    for (let i = 1; i <= 5; i++) {
      const r = await signIn(acct.email, wrong);
      expect(r.status, `attempt ${i}`).toBe(401);
    }
    expect(await stateOf(acct.userId)).toEqual({ failed: 5, locked: true });
    const right = await signIn(acct.email, acct.password);
    expect(right.status).toBe(429);
    expect(right.body).toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
    const retryAfter = Number(right.raw.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(cookieOf(right.raw)).toBeUndefined();
    // A session from before the lock is not what is locked: sessions are a separate control.
    expect((await h.query('users.me', acct.cookie)).status).toBe(200);
  });

  it('answers an unknown email exactly like a wrong password, and locks it the same way', async () => {
    const acct = await h.signUp('Enumeration Probe Inc');
    const nobody = uniqueEmail('nobody');
    const shape = (r: Awaited<ReturnType<typeof signIn>>) => ({
      status: r.status,
      body: r.body,
      retryAfter: r.raw.headers['retry-after'] === undefined ? 'none' : 'set',
      cookie: cookieOf(r.raw) ?? 'none',
    });
    for (let i = 1; i <= 6; i++) {
      const known = shape(await signIn(acct.email, wrong));
      const unknown = shape(await signIn(nobody, wrong));
      expect(unknown, `attempt ${i}`).toEqual(known);
      expect(known.status, `attempt ${i}`).toBe(i <= 5 ? 401 : 429);
      if (i === 1)
        expect(known.body).toEqual({
          code: 'INVALID_EMAIL_OR_PASSWORD',
          message: 'Invalid email or password',
        });
    }
    // Upper case is the same email for the counter as for the account.
    expect((await signIn(nobody.toUpperCase(), wrong)).status).toBe(429);
  });

  it('resets the count after a successful sign-in', async () => {
    const acct = await h.signUp('Reset Counter Co');
    for (let i = 0; i < 4; i++) expect((await signIn(acct.email, wrong)).status).toBe(401);
    expect(await stateOf(acct.userId)).toEqual({ failed: 4, locked: false });
    expect((await signIn(acct.email, acct.password)).status).toBe(200);
    expect(await stateOf(acct.userId)).toEqual({ failed: 0, locked: false });
    for (let i = 0; i < 4; i++) expect((await signIn(acct.email, wrong)).status).toBe(401);
    expect((await signIn(acct.email, acct.password)).status).toBe(200);
  });

  it('lifts the lock when it expires, and counts afresh', async () => {
    const acct = await h.signUp('Lock Expiry GmbH');
    for (let i = 0; i < 5; i++) await signIn(acct.email, wrong);
    expect((await signIn(acct.email, acct.password)).status).toBe(429);
    await h.t.ownerQuery(
      `update users set locked_until = now() - interval '1 second' where id = $1`,
      [acct.userId],
    );
    const after = await signIn(acct.email, acct.password);
    expect(after.status).toBe(200);
    expect(data(await h.query('users.me', cookieOf(after.raw)))).toMatchObject({
      id: acct.userId,
    });
    expect(await stateOf(acct.userId)).toEqual({ failed: 0, locked: false });
  });

  it('counts parallel guesses one by one: a burst gets exactly 5 password checks', async () => {
    const acct = await h.signUp('Burst Target plc');
    const replies = await Promise.all(Array.from({ length: 12 }, () => signIn(acct.email, wrong)));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    expect((await signIn(acct.email, acct.password)).status).toBe(429);
  });

  it('audits success, failure and the lock in every organisation of the person, with IP and agent', async () => {
    const owner = await h.signUp('Audited Org A');
    const member = await h.joinAs(owner, 'member'); // also owns an organisation of their own
    const homeTenant = member.homeTenantId;
    const agent = { 'user-agent': 'LockoutTest/1.0 (audit)' };
    expect((await signIn(member.email, member.password, agent)).status).toBe(200);
    for (let i = 0; i < 5; i++) await signIn(member.email, wrong, agent);

    for (const tenantId of [owner.tenantId, homeTenant]) {
      const ok = await auditOf(h, tenantId, 'auth.sign_in', 2); // joinAs signed in once too
      expect(ok.at(-1)).toMatchObject({
        actor_user_id: member.userId,
        ip_address: '127.0.0.1',
        user_agent: 'LockoutTest/1.0 (audit)',
      });
      const failed = await auditOf(h, tenantId, 'auth.sign_in_failed', 5);
      expect(failed.map((r) => r.metadata.failedAttempts)).toEqual([1, 2, 3, 4, 5]);
      expect(failed[0]).toMatchObject({ actor_user_id: member.userId, ip_address: '127.0.0.1' });
      const locked = await auditOf(h, tenantId, 'auth.locked');
      expect(locked).toHaveLength(1);
      expect(locked[0]?.metadata).toMatchObject({ failedAttempts: 5, lockedForMinutes: 15 });
      // Nothing of the password reaches the log.
      expect(JSON.stringify([...ok, ...failed, ...locked])).not.toContain(wrong);
    }
  });

  it('audits the sign-up that founded an organisation: founder, name, IP and agent', async () => {
    const email = uniqueEmail('founder');
    const raw = await h.app.inject({
      method: 'POST',
      url: '/api/auth/sign-up/email',
      headers: {
        'content-type': 'application/json',
        origin: 'http://localhost:3000',
        'user-agent': 'LockoutTest/1.0 (sign-up)',
      },
      payload: JSON.stringify({
        name: 'Fran Founder',
        email,
        password: 'a long passphrase for the founder',
        organizationName: '  Founded Here Ltd ',
      }),
    });
    expect(raw.statusCode).toBe(200);
    const cookie = cookieOf(raw);
    const me = data<{ id: string; tenantId: string }>(await h.query('users.me', cookie));
    const [entry, ...more] = await auditOf(h, me.tenantId, 'auth.sign_up');
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      actor_user_id: me.id,
      ip_address: '127.0.0.1',
      user_agent: 'LockoutTest/1.0 (sign-up)',
      metadata: { organizationName: 'Founded Here Ltd' },
    });
    const [row] = await h.t.ownerQuery<{ resource_type: string; resource_id: string }>(
      `select resource_type, resource_id from audit_logs where tenant_id = $1 and action = 'auth.sign_up'`,
      [me.tenantId],
    );
    expect(row).toEqual({ resource_type: 'tenant', resource_id: me.tenantId });
  });

  it('records the socket address, not a client-supplied X-Forwarded-For (TRUST_PROXY unset)', async () => {
    const acct = await h.signUp('Spoof Check Ltd');
    const r = await signIn(acct.email, acct.password, {
      'x-forwarded-for': '203.0.113.9',
      'x-platform-client-ip': '198.51.100.7',
    });
    expect(r.status).toBe(200);
    const audit = await auditOf(h, acct.tenantId, 'auth.sign_in'); // (sign-up is not a sign-in)
    expect(audit.map((r) => r.ip_address)).toEqual(['127.0.0.1']);
    const [session] = await h.t.ownerQuery<{ ip_address: string }>(
      `select ip_address from auth_sessions where user_id = $1 order by created_at desc limit 1`,
      [acct.userId],
    );
    expect(session?.ip_address).toBe('127.0.0.1');
  });
});

describe.each(testDrivers())('sign-in lockout settings (%s)', (driver) => {
  it('takes LOCKOUT_THRESHOLD and LOCKOUT_MINUTES from configuration, and TRUST_PROXY hops', async () => {
    const h = await startHarness(driver, {
      LOCKOUT_THRESHOLD: '2',
      LOCKOUT_MINUTES: '3',
      TRUST_PROXY: '127.0.0.1',
    });
    try {
      const acct = await h.signUp('Strict Settings Co');
      const attempt = (password: string) =>
        h.app.inject({
          method: 'POST',
          url: '/api/auth/sign-in/email',
          headers: {
            'content-type': 'application/json',
            origin: 'http://localhost:3000',
            'x-forwarded-for': '203.0.113.9',
          },
          payload: JSON.stringify({ email: acct.email, password }),
        });
      expect((await attempt('wrong password one')).statusCode).toBe(401);
      expect((await attempt('wrong password two')).statusCode).toBe(401);
      const locked = await attempt(acct.password);
      expect(locked.statusCode).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(180);
      // Behind a trusted proxy, the forwarded client address is the one recorded.
      for (let i = 0; ; i++) {
        const rows = await h.t.ownerQuery<{ ip: string }>(
          `select host(ip_address) as ip from audit_logs where tenant_id = $1 and action = 'auth.locked'`,
          [acct.tenantId],
        );
        if (rows.length || i > 200) {
          expect(rows).toEqual([{ ip: '203.0.113.9' }]);
          break;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      await h.close();
    }
  });
});
