import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  cookieOf,
  data,
  type Harness,
  PUBLIC_URL,
  startHarness,
  trpcError,
} from './harness.ts';

type SessionItem = {
  id: string;
  userAgent: string | null;
  ipAddress: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  current: boolean;
};

describe.each(testDrivers())('sessions: listing, revoking, limits (%s)', (driver) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(driver);
  });
  afterAll(() => h?.close());

  /** Signs in again from another "device"; the new session's cookie. */
  const signInFrom = async (acct: Account, userAgent: string) => {
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      headers: { 'content-type': 'application/json', origin: PUBLIC_URL, 'user-agent': userAgent },
      payload: JSON.stringify({ email: acct.email, password: acct.password }),
    });
    const cookie = cookieOf(r);
    if (r.statusCode !== 200 || !cookie) throw new Error(`sign-in failed: ${r.statusCode}`);
    return cookie;
  };
  const list = async (cookie: string) =>
    data<{ items: SessionItem[] }>(await h.query('sessions.list', cookie)).items;
  const me = async (cookie: string | undefined) => (await h.query('users.me', cookie)).status;
  const tokenOf = (cookie: string) => decodeURIComponent(cookie.split('=')[1] ?? '').split('.')[0];
  const sessionRow = async (cookie: string) =>
    (
      await h.t.ownerQuery<{ id: string }>('select id from auth_sessions where token = $1', [
        tokenOf(cookie),
      ])
    )[0]?.id;

  it('lists the caller’s sessions with device, IP and times, marking the current one, never a token', async () => {
    const acct = await h.signUp('Session List Ltd');
    const laptop = await signInFrom(acct, 'Mozilla/5.0 (Laptop)');
    const phone = await signInFrom(acct, 'Mozilla/5.0 (Phone)');
    const reply = await h.query('sessions.list', laptop);
    expect(reply.status).toBe(200);
    const items = data<{ items: SessionItem[] }>(reply).items;
    expect(items).toHaveLength(3);
    expect(items.filter((s) => s.current)).toHaveLength(1);
    const current = items.find((s) => s.current);
    expect(current).toMatchObject({
      id: await sessionRow(laptop),
      userAgent: 'Mozilla/5.0 (Laptop)',
    });
    expect(current?.ipAddress).toBe('127.0.0.1');
    expect(items.map((s) => s.userAgent)).toContain('Mozilla/5.0 (Phone)');
    for (const s of items) {
      expect(Date.parse(s.createdAt)).toBeLessThanOrEqual(Date.parse(s.lastSeenAt) + 1000);
      expect(Date.parse(s.expiresAt)).toBeGreaterThan(Date.now());
    }
    for (const cookie of [acct.cookie, laptop, phone])
      expect(reply.raw.body).not.toContain(tokenOf(cookie));
    // Better Auth's own listing would hand page scripts every token: it is closed.
    const native = await h.app.inject({
      method: 'GET',
      url: '/api/auth/list-sessions',
      headers: { cookie: laptop },
    });
    expect(native.statusCode).toBe(404);
    for (const cookie of [acct.cookie, laptop, phone])
      expect(native.body).not.toContain(tokenOf(cookie));
  });

  it('revokes one session: its cookie is refused at once; the others keep working', async () => {
    const acct = await h.signUp('Session Revoke Co');
    const other = await signInFrom(acct, 'Other device');
    const otherId = await sessionRow(other);
    expect(await me(other)).toBe(200); // cached by the identity resolver now
    const r = await h.mutate('sessions.revoke', acct.cookie, { id: otherId });
    expect(r.status).toBe(200);
    expect(data(r)).toEqual({ id: otherId, current: false });
    expect(await me(other)).toBe(401);
    expect(await me(acct.cookie)).toBe(200);
    expect((await list(acct.cookie)).map((s) => s.id)).not.toContain(otherId);
    // Again: it is gone.
    const again = await h.mutate('sessions.revoke', acct.cookie, { id: otherId });
    expect(trpcError(again).data.code).toBe('NOT_FOUND');
    const bad = await h.mutate('sessions.revoke', acct.cookie, { id: 'not-a-uuid' });
    expect(bad.status).toBe(400);
    expect(trpcError(bad).data.field).toBe('id');
  });

  it('revokeOthers ends every other session and keeps the current one', async () => {
    const acct = await h.signUp('Sign Out Elsewhere Ltd');
    const a = await signInFrom(acct, 'Device A');
    const b = await signInFrom(acct, 'Device B');
    const r = await h.mutate('sessions.revokeOthers', b, {});
    expect(data(r)).toEqual({ revoked: 2 });
    expect(await me(acct.cookie)).toBe(401);
    expect(await me(a)).toBe(401);
    expect(await me(b)).toBe(200);
    expect((await list(b)).map((s) => s.current)).toEqual([true]);
  });

  it("cannot list or revoke another person's session (NOT_FOUND, nothing changes)", async () => {
    const alice = await h.signUp('Alice Org');
    const bob = await h.joinAs(alice, 'member'); // same organisation, still not Alice's sessions
    const aliceSession = await sessionRow(alice.cookie);
    for (const attacker of [bob.cookie, (await h.signUp('Mallory Org')).cookie]) {
      const r = await h.mutate('sessions.revoke', attacker, { id: aliceSession });
      expect(r.status).toBe(404);
      expect(trpcError(r).data.code).toBe('NOT_FOUND');
      expect((await list(attacker)).map((s) => s.id)).not.toContain(aliceSession);
    }
    expect(await me(alice.cookie)).toBe(200);
    expect(await sessionRow(alice.cookie)).toBe(aliceSession);
  });

  it('a password change ends every other session and rotates the current one', async () => {
    const acct = await h.signUp('Password Change Revokes Inc');
    const other = await signInFrom(acct, 'Forgotten tablet');
    const r = await h.post(
      '/api/auth/change-password',
      // The client asks to keep the others; the server revokes them anyway.
      {
        currentPassword: acct.password,
        newPassword: 'Quartz Pelican Harvest Lantern',
        revokeOtherSessions: false,
      },
      acct.cookie,
    );
    expect(r.status).toBe(200);
    const fresh = cookieOf(r.raw);
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(acct.cookie);
    h.platform.identity.invalidate(); // (the bridge does this after any session-ending POST)
    expect(await me(other)).toBe(401);
    expect(await me(acct.cookie)).toBe(401);
    expect(await me(fresh)).toBe(200);
    expect(await list(fresh as string)).toHaveLength(1);
  });

  it('ends a session idle for longer than SESSION_IDLE_MINUTES, and Better Auth agrees', async () => {
    const acct = await h.signUp('Idle Timeout Co');
    const second = await signInFrom(acct, 'Idle browser');
    await h.t.ownerQuery(
      `update auth_sessions set last_seen_at = now() - interval '31 minutes' where token = any($1)`,
      [[tokenOf(acct.cookie), tokenOf(second)]],
    );
    h.platform.identity.invalidate();
    expect(await me(acct.cookie)).toBe(401);
    const session = await h.app.inject({
      method: 'GET',
      url: '/api/auth/get-session',
      headers: { cookie: second },
    });
    expect(session.statusCode).toBe(200);
    expect(session.body).toBe('null');
    expect(
      await h.t.ownerQuery('select 1 from auth_sessions where user_id = $1', [acct.userId]),
    ).toEqual([]);
  });

  it('keeps an active session alive, stamping last_seen_at at most once a minute', async () => {
    const acct = await h.signUp('Active Session Ltd');
    const seen = async () =>
      (
        await h.t.ownerQuery<{ ago: number }>(
          `select extract(epoch from now() - last_seen_at)::int as ago from auth_sessions where token = $1`,
          [tokenOf(acct.cookie)],
        )
      )[0]?.ago;
    await h.t.ownerQuery(
      `update auth_sessions set last_seen_at = now() - interval '29 minutes' where token = $1`,
      [tokenOf(acct.cookie)],
    );
    h.platform.identity.invalidate();
    expect(await me(acct.cookie)).toBe(200);
    expect(await seen()).toBeLessThan(5);
    // Within the minute nothing is written: set it 30 s back, use the session, still 30 s.
    await h.t.ownerQuery(
      `update auth_sessions set last_seen_at = now() - interval '30 seconds' where token = $1`,
      [tokenOf(acct.cookie)],
    );
    h.platform.identity.invalidate();
    expect(await me(acct.cookie)).toBe(200);
    expect(await seen()).toBeGreaterThanOrEqual(29);
  });

  it('ends a session older than SESSION_ABSOLUTE_HOURS however busy it is', async () => {
    const acct = await h.signUp('Absolute Lifetime GmbH');
    await h.t.ownerQuery(
      `update auth_sessions set created_at = now() - interval '12 hours 1 minute', last_seen_at = now()
        where token = $1`,
      [tokenOf(acct.cookie)],
    );
    h.platform.identity.invalidate();
    expect(await me(acct.cookie)).toBe(401);
    // Better Auth's own expiry is the absolute limit too, and never slides.
    const [row] = await h.t.ownerQuery<{ hours: number }>(
      `select round(extract(epoch from expires_at - created_at) / 3600)::int as hours
         from auth_sessions where user_id = $1`,
      [acct.userId],
    );
    expect(row).toBeUndefined(); // the expired session was deleted
    const again = await signInFrom(acct, 'New day');
    const [fresh] = await h.t.ownerQuery<{ hours: number }>(
      `select round(extract(epoch from expires_at - created_at) / 3600)::int as hours
         from auth_sessions where token = $1`,
      [tokenOf(again)],
    );
    expect(fresh?.hours).toBe(12);
  });

  it('asks for a fresh sign-in (5 minutes) before changing the email address', async () => {
    const acct = await h.signUp('Email Change Co');
    const fresh = await h.post(
      '/api/auth/change-email',
      { newEmail: 'new@example.com' },
      acct.cookie,
    );
    // Email changes are not enabled at all yet; a fresh session reaches that answer.
    expect(fresh.status).toBe(400);
    await h.t.ownerQuery(
      `update auth_sessions set created_at = now() - interval '6 minutes' where token = $1`,
      [tokenOf(acct.cookie)],
    );
    h.platform.identity.invalidate();
    const stale = await h.post(
      '/api/auth/change-email',
      { newEmail: 'new@example.com' },
      acct.cookie,
    );
    expect(stale.status).toBe(403);
    expect(stale.body).toMatchObject({ code: 'SESSION_NOT_FRESH' });
  });

  it('issues a new session token at sign-in whatever cookie the browser already had (fixation)', async () => {
    const victim = await h.signUp('Fixation Victim Ltd');
    const attacker = await h.signUp('Fixation Attacker Ltd');
    const forged = 'better-auth.session_token=attacker-chosen-value.c2lnbmF0dXJl';
    for (const planted of [attacker.cookie, forged]) {
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/auth/sign-in/email',
        headers: { 'content-type': 'application/json', origin: PUBLIC_URL, cookie: planted },
        payload: JSON.stringify({ email: victim.email, password: victim.password }),
      });
      expect(r.statusCode).toBe(200);
      const issued = cookieOf(r);
      expect(issued).toBeDefined();
      expect(tokenOf(issued as string)).not.toBe(tokenOf(planted));
      expect(data(await h.query('users.me', issued)).id).toBe(victim.userId);
    }
    // The planted session is still the attacker's own, not the victim's.
    expect(data(await h.query('users.me', attacker.cookie)).id).toBe(attacker.userId);
    expect(await me(forged)).toBe(401);
  });
});

describe.each(testDrivers())('admins revoke a member’s sessions (%s)', (driver) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(driver);
  });
  afterAll(() => h?.close());

  it('ends the member’s sessions acting for this organisation, audited; other organisations’ stay', async () => {
    const owner = await h.signUp('Revoking Org');
    // The member signs up (a session for their own organisation), then joins and signs in.
    const member = await h.signUp('Member Home Org');
    await h.t.ownerQuery(
      `insert into memberships (tenant_id, user_id, role) values ($1, $2, 'member')`,
      [owner.tenantId, member.userId],
    );
    const signIn = await h.post('/api/auth/sign-in/email', {
      email: member.email,
      password: member.password,
    });
    const inOwnersOrg = cookieOf(signIn.raw) as string;
    expect(data(await h.query('users.me', inOwnersOrg)).tenantId).toBe(owner.tenantId);

    const r = await h.mutate('users.revokeSessions', owner.cookie, { userId: member.userId });
    expect(r.status).toBe(200);
    expect(data(r)).toEqual({ userId: member.userId, revoked: 1 });
    expect((await h.query('users.me', inOwnersOrg)).status).toBe(401);
    expect((await h.query('users.me', member.cookie)).status).toBe(200);
    const audit = await h.t.ownerQuery<{
      actor_user_id: string;
      resource_id: string;
      ip: string;
      metadata: { revoked: number };
    }>(
      `select actor_user_id, resource_id, host(ip_address) as ip, metadata from audit_logs
        where tenant_id = $1 and action = 'member.sessions_revoked'`,
      [owner.tenantId],
    );
    expect(audit).toEqual([
      {
        actor_user_id: owner.userId,
        resource_id: member.userId,
        ip: '127.0.0.1',
        metadata: { revoked: 1 },
      },
    ]);
  });

  it('is for owners and admins, about members of their organisation only', async () => {
    const owner = await h.signUp('Guarded Org');
    const admin = await h.joinAs(owner, 'admin');
    const member = await h.joinAs(owner, 'member');
    const stranger = await h.signUp('Stranger Org');

    const byMember = await h.mutate('users.revokeSessions', member.cookie, {
      userId: admin.userId,
    });
    expect(trpcError(byMember).data.code).toBe('FORBIDDEN');
    const onOwner = await h.mutate('users.revokeSessions', admin.cookie, { userId: owner.userId });
    expect(trpcError(onOwner).data.code).toBe('FORBIDDEN');
    const outsider = await h.mutate('users.revokeSessions', owner.cookie, {
      userId: stranger.userId,
    });
    expect(trpcError(outsider).data.code).toBe('NOT_FOUND');
    const self = await h.mutate('users.revokeSessions', owner.cookie, { userId: owner.userId });
    expect(self.status).toBe(400);
    expect(trpcError(self).data.field).toBe('userId');
    for (const a of [owner, admin, member, stranger])
      expect((await h.query('users.me', a.cookie)).status).toBe(200);

    const byAdmin = await h.mutate('users.revokeSessions', admin.cookie, { userId: member.userId });
    expect(data(byAdmin)).toMatchObject({ revoked: 1 });
    expect((await h.query('users.me', member.cookie)).status).toBe(401);
  });
});
