import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, cookieOf, type Harness, type Reply, startHarness } from './harness.ts';
import { enrol, signInWith } from './mfa-flow.ts';

/**
 * Endpoints that ask a signed-in person for their current password count wrong ones toward the
 * sign-in lockout (packages/auth/src/password-guard.ts): a stolen session cookie must not be a
 * way to guess the password without bound.
 */
describe.each(testDrivers())('current-password checks share the lockout (%s)', (driver) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(driver);
  });
  afterAll(() => h?.close());

  const wrong = 'not the right password';
  const newPassword = 'Quartz Pelican Harvest Lantern';

  const changePassword = (acct: Account, currentPassword: string) =>
    h.post('/api/auth/change-password', { currentPassword, newPassword }, acct.cookie);
  const signIn = (acct: Account, password = acct.password) =>
    h.post('/api/auth/sign-in/email', { email: acct.email, password });
  const stateOf = async (userId: string) =>
    (
      await h.t.ownerQuery<{ failed: number; locked: boolean }>(
        `select failed_sign_ins as failed, coalesce(locked_until > now(), false) as locked
           from users where id = $1`,
        [userId],
      )
    )[0];
  const expectLocked = (r: Reply, what: string) => {
    expect(r.status, what).toBe(429);
    expect(r.body, what).toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
    const retryAfter = Number(r.raw.headers['retry-after']);
    expect(retryAfter, what).toBeGreaterThan(14 * 60);
    expect(retryAfter, what).toBeLessThanOrEqual(15 * 60);
  };
  const expectWrong = (r: Reply, what: string) => {
    expect(r.status, what).toBe(400);
    expect(r.body, what).toMatchObject({ code: 'INVALID_PASSWORD' });
  };

  const tokenOf = (cookie: string) => decodeURIComponent(cookie.split('=')[1] ?? '').split('.')[0];
  const sessionCount = async (cookie: string) =>
    (
      await h.t.ownerQuery<{ n: number }>(
        'select count(*)::int as n from auth_sessions where token = $1',
        [tokenOf(cookie)],
      )
    )[0]?.n;

  it('5 wrong current passwords at change-password lock the account and end the guessing session', async () => {
    const acct = await h.signUp('Stolen Cookie Ltd');
    // The owner's other device: signed in before the guessing starts.
    const otherDevice = cookieOf((await signIn(acct)).raw) as string;
    for (let i = 1; i <= 5; i++) expectWrong(await changePassword(acct, wrong), `attempt ${i}`);
    expect(await stateOf(acct.userId)).toEqual({ failed: 5, locked: true });

    // The session that guessed is gone, on the spot: no password check, no procedure.
    expect(await sessionCount(acct.cookie)).toBe(0);
    expect((await changePassword(acct, acct.password)).status).toBe(401);
    expect((await h.query('tenants.current', acct.cookie)).status).toBe(401);
    // The other session lives on; the right password changes nothing while locked, there or
    // at sign-in.
    expect(await sessionCount(otherDevice)).toBe(1);
    expect((await h.query('tenants.current', otherDevice)).status).toBe(200);
    const change = await changePassword({ ...acct, cookie: otherDevice }, acct.password);
    expectLocked(change, 'change-password');
    expect(cookieOf(change.raw)).toBeUndefined();
    const signInReply = await signIn(acct);
    expectLocked(signInReply, 'sign-in');
    expect(cookieOf(signInReply.raw)).toBeUndefined();

    // Once the lock is over, the old password is still the password.
    await h.t.ownerQuery(
      `update users set locked_until = now() - interval '1 second' where id = $1`,
      [acct.userId],
    );
    expect((await signIn(acct)).status).toBe(200);
    expect((await signIn(acct, newPassword)).status).toBe(401);
  });

  it('adds up with wrong passwords at sign-in into one lock', async () => {
    const acct = await h.signUp('Mixed Guessing Co');
    for (let i = 0; i < 3; i++) expect((await signIn(acct, wrong)).status).toBe(401);
    for (let i = 0; i < 2; i++) expectWrong(await changePassword(acct, wrong), `change ${i}`);
    expect(await stateOf(acct.userId)).toEqual({ failed: 5, locked: true });
    expectLocked(await signIn(acct), 'sign-in');
    // The session's second wrong guess started the lock, and ended that session.
    expect((await changePassword(acct, acct.password)).status).toBe(401);
  });

  it('a successful change resets the count, as a successful sign-in does', async () => {
    const acct = await h.signUp('Counter Reset GmbH');
    for (let i = 0; i < 4; i++) expectWrong(await changePassword(acct, wrong), `attempt ${i}`);
    expect(await stateOf(acct.userId)).toEqual({ failed: 4, locked: false });
    const ok = await changePassword(acct, acct.password);
    expect(ok.status).toBe(200);
    expect(await stateOf(acct.userId)).toEqual({ failed: 0, locked: false });
    // A fresh count: four more wrong ones still do not lock.
    const renewed = { ...acct, cookie: cookieOf(ok.raw) as string, password: newPassword };
    for (let i = 0; i < 4; i++) expectWrong(await changePassword(renewed, wrong), `again ${i}`);
    expect((await signIn(renewed)).status).toBe(200);
  });

  it('counts a parallel burst one by one: exactly 5 password checks', async () => {
    const acct = await h.signUp('Burst Changer plc');
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => changePassword(acct, wrong)),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 400)).toHaveLength(5);
    // The rest are refused: locked (429), or, once the fifth ended the session, signed out (401).
    expect(statuses.filter((s) => s === 429 || s === 401)).toHaveLength(7);
    expectLocked(await signIn(acct), 'sign-in');
  });

  it('every endpoint that checks the current password counts, and each refuses a locked account', async () => {
    const { account, enrolment } = await enrol(h, await h.signUp('Every Check Inc'));
    // A second session, which does no guessing: it outlives the lock and is refused by it.
    const other = {
      ...account,
      cookie: await signInWith(h, account, 'recovery', enrolment.backupCodes[0] as string),
    };
    const checks: Array<[string, (password: string) => Promise<Reply>]> = [
      [
        'verify-password',
        (p) => h.post('/api/auth/verify-password', { password: p }, account.cookie),
      ],
      [
        'two-factor/enable',
        (p) => h.post('/api/auth/two-factor/enable', { password: p }, account.cookie),
      ],
      [
        'two-factor/disable',
        (p) => h.post('/api/auth/two-factor/disable', { password: p }, account.cookie),
      ],
      [
        'two-factor/generate-backup-codes',
        (p) =>
          h.post('/api/auth/two-factor/generate-backup-codes', { password: p }, account.cookie),
      ],
      ['change-password', (p) => changePassword(account, p)],
    ];
    const onOther = (name: string) =>
      name === 'change-password'
        ? (p: string) => changePassword(other, p)
        : (p: string) => h.post(`/api/auth/${name}`, { password: p }, other.cookie);
    let failed = 0;
    for (const [name, check] of checks) {
      expectWrong(await check(wrong), name);
      expect((await stateOf(account.userId))?.failed, name).toBe(++failed);
    }
    expect(await stateOf(account.userId)).toEqual({ failed: 5, locked: true });
    expect(await sessionCount(account.cookie)).toBe(0);
    for (const [name] of checks) expectLocked(await onOther(name)(account.password), name);
    expectLocked(await signIn(account), 'sign-in');
    // Nothing was changed behind the lock: MFA is still on.
    const [user] = await h.t.ownerQuery<{ on: boolean }>(
      'select two_factor_enabled as on from users where id = $1',
      [account.userId],
    );
    expect(user?.on).toBe(true);
  });

  it('does not count requests that never reached a password check', async () => {
    const acct = await h.signUp('Not A Guess Ltd');
    // No password at all: a malformed request, named as such.
    for (const path of ['/api/auth/two-factor/enable', '/api/auth/verify-password']) {
      const bare = await h.post(path, {}, acct.cookie);
      expect(bare.status, path).toBe(400);
      expect(bare.body, path).toMatchObject({ code: 'VALIDATION_ERROR', field: 'password' });
    }
    // A weak new password is refused before the current one is looked at.
    const weak = await h.post(
      '/api/auth/change-password',
      { currentPassword: wrong, newPassword: 'password1234' },
      acct.cookie,
    );
    expect(weak.body).toMatchObject({ code: 'WEAK_PASSWORD' });
    // Too long a current password: Better Auth refuses it unchecked, so it is handed back.
    const long = await h.post(
      '/api/auth/verify-password',
      { password: 'x'.repeat(200) },
      acct.cookie,
    );
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ code: 'PASSWORD_TOO_LONG' });
    // Without a session there is no one to count against, and nothing is checked.
    const anonymous = await h.post('/api/auth/verify-password', { password: acct.password });
    expect(anonymous.status).toBe(401);
    expect(await stateOf(acct.userId)).toEqual({ failed: 0, locked: false });
    // The right password passes and leaves the count at zero.
    const right = await h.post(
      '/api/auth/verify-password',
      { password: acct.password },
      acct.cookie,
    );
    expect(right.status).toBe(200);
    expect(await stateOf(acct.userId)).toEqual({ failed: 0, locked: false });
  });

  it('audits each wrong password and the lock in every organisation, with endpoint, session and IP', async () => {
    const owner = await h.signUp('Guess Audit Org');
    const member = await h.joinAs(owner, 'member'); // also owns an organisation of their own
    const homeTenant = member.homeTenantId;
    const [session] = await h.t.ownerQuery<{ id: string }>(
      'select id from auth_sessions where token = $1',
      [tokenOf(member.cookie)],
    );
    for (let i = 0; i < 5; i++) await changePassword(member, wrong);

    for (const tenantId of [owner.tenantId, homeTenant]) {
      const rows = await h.t.ownerQuery<{
        action: string;
        actor_user_id: string;
        ip: string;
        metadata: Record<string, unknown>;
      }>(
        `select action, actor_user_id, host(ip_address) as ip, metadata from audit_logs
          where tenant_id = $1 and action in ('auth.password_check_failed', 'auth.locked')
          order by created_at, id`,
        [tenantId],
      );
      const failures = rows.filter((r) => r.action === 'auth.password_check_failed');
      expect(failures.map((r) => r.metadata.failedAttempts)).toEqual([1, 2, 3, 4, 5]);
      expect(failures[0]).toMatchObject({
        actor_user_id: member.userId,
        ip: '127.0.0.1',
        metadata: { endpoint: '/change-password', sessionId: session?.id },
      });
      const locked = rows.filter((r) => r.action === 'auth.locked');
      expect(locked).toHaveLength(1);
      expect(locked[0]?.metadata).toMatchObject({
        endpoint: '/change-password',
        failedAttempts: 5,
        lockedForMinutes: 15,
        sessionEnded: true,
      });
      expect(JSON.stringify(rows)).not.toContain(wrong);
    }
  });
});
