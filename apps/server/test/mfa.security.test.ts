import type { AddressInfo } from 'node:net';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, data, type Harness, startHarness, trpcError } from './harness.ts';
import {
  codeAt,
  enrol,
  mfaAudit,
  passwordStep,
  secondStep,
  setCookie,
  signInWith,
  startEnrolment,
} from './mfa-flow.ts';
import { TestSocket } from './ws-client.ts';

type Status = {
  enabled: boolean;
  pending: boolean;
  recoveryCodesLeft: number;
  lockedUntil: string | null;
  tenantRequiresMfa: boolean;
  blocked: boolean;
};

describe.each(testDrivers())('two-factor authentication (%s)', (driver) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(driver);
  });
  afterAll(() => h?.close());

  const status = async (cookie: string) => data<Status>(await h.query('mfa.status', cookie));
  const signedIn = async (cookie: string | undefined) =>
    (await h.query('users.me', cookie)).status === 200;
  const twoFactorRow = async (userId: string) => {
    const [row] = await h.t.ownerQuery<{
      backup_codes: string;
      verified: boolean;
      last_used_step: string | null;
    }>('select backup_codes, verified, last_used_step from two_factors where user_id = $1', [
      userId,
    ]);
    return row;
  };

  it('enrols with an otpauth URI and a server-drawn QR code; MFA stays off until a valid code', async () => {
    const owner = await h.signUp('Enrol Co');
    // The password re-authenticates: without it, or wrong, nothing is created.
    const bare = await h.post('/api/auth/two-factor/enable', {}, owner.cookie);
    expect(bare.status).toBe(400);
    const wrong = await h.post(
      '/api/auth/two-factor/enable',
      { password: 'not the password at all' },
      owner.cookie,
    );
    expect(wrong.status).toBe(400);
    expect(await twoFactorRow(owner.userId)).toBeUndefined();

    const enrolment = await startEnrolment(h, owner);
    const uri = new URL(enrolment.totpURI);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe(
      `/Enterprise AI Assistant Platform:${owner.email}`,
    );
    expect(uri.searchParams.get('issuer')).toBe('Enterprise AI Assistant Platform');
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('period')).toBe('30');
    expect(enrolment.totp.algorithm).toBe('SHA1');
    expect(enrolment.qrSvg).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(enrolment.qrSvg).toMatch(/<\/svg>\s*$/);
    expect(enrolment.backupCodes).toHaveLength(10);
    expect(new Set(enrolment.backupCodes).size).toBe(10);

    // Pending: not on. Sign-in still needs only the password, and the secret is not re-served.
    expect(await status(owner.cookie)).toMatchObject({ enabled: false, pending: true });
    const signIn = await h.post('/api/auth/sign-in/email', {
      email: owner.email,
      password: owner.password,
    });
    expect(signIn.body.twoFactorRedirect).toBeUndefined();
    expect(await signedIn(setCookie(signIn.raw, 'session_token'))).toBe(true);
    const again = await h.post(
      '/api/auth/two-factor/get-totp-uri',
      { password: owner.password },
      owner.cookie,
    );
    expect(again.status).toBe(403);
    expect(again.raw.body).not.toContain('otpauth://');

    // A wrong code does not turn it on; the first valid one does.
    const bad = await h.post(
      '/api/auth/two-factor/verify-totp',
      { code: codeAt(enrolment.totp) === '000000' ? '000001' : '000000' },
      owner.cookie,
    );
    expect(bad.status).toBe(401);
    const [before] = await h.t.ownerQuery<{ two_factor_enabled: boolean }>(
      'select two_factor_enabled from users where id = $1',
      [owner.userId],
    );
    expect(before?.two_factor_enabled).toBe(false);
    const ok = await h.post(
      '/api/auth/two-factor/verify-totp',
      { code: codeAt(enrolment.totp) },
      owner.cookie,
    );
    expect(ok.status).toBe(200);
    const cookie = setCookie(ok.raw, 'session_token');
    expect(cookie).toBeDefined();
    expect(await status(String(cookie))).toMatchObject({
      enabled: true,
      pending: false,
      recoveryCodesLeft: 10,
      tenantRequiresMfa: false,
      blocked: false,
    });
    expect((await twoFactorRow(owner.userId))?.verified).toBe(true);
  });

  it('signs in only after the second factor: no usable session before a correct code', async () => {
    const { account, enrolment } = await enrol(h, await h.signUp('Sign In Co'));
    const { reply, challenge } = await passwordStep(h, account);
    expect(reply.body).toMatchObject({ twoFactorRedirect: true, twoFactorMethods: ['totp'] });
    // The password step leaves no session: none in the reply, none in the database.
    expect(setCookie(reply.raw, 'session_token')).toBeUndefined();
    const sessions = await h.t.ownerQuery<{ id: string }>(
      'select id from auth_sessions where user_id = $1',
      [account.userId],
    );
    expect(sessions).toHaveLength(1); // the enrolling session only
    expect(await signedIn(challenge)).toBe(false);

    const wrong = await secondStep(h, challenge, 'totp', '12345');
    expect(wrong.status).toBe(400);
    const stillNo = await secondStep(
      h,
      challenge,
      'totp',
      codeAt(enrolment.totp, 1) === '999999' ? '999998' : '999999',
    );
    expect(stillNo.status).toBe(401);
    expect(setCookie(stillNo.raw, 'session_token')).toBeUndefined();

    const ok = await secondStep(h, challenge, 'totp', codeAt(enrolment.totp, 1));
    expect(ok.status).toBe(200);
    const cookie = setCookie(ok.raw, 'session_token');
    expect(await signedIn(cookie)).toBe(true);
    // The session acts for the user's organisation, as any other sign-in's.
    const me = data<{ tenantId: string }>(await h.query('users.me', cookie));
    expect(me.tenantId).toBe(account.tenantId);
    // The challenge is spent.
    const reuse = await secondStep(h, challenge, 'totp', codeAt(enrolment.totp, 1));
    expect(reuse.status).toBe(401);
  });

  it('accepts a code once: the same code is refused afterwards, also when two race', async () => {
    const { account, enrolment } = await enrol(h, await h.signUp('Replay Co'));
    const code = codeAt(enrolment.totp, 1);
    await signInWith(h, account, 'totp', code);
    const { challenge } = await passwordStep(h, account);
    const replayed = await secondStep(h, challenge, 'totp', code);
    expect(replayed.status).toBe(401);
    expect(replayed.body).toMatchObject({ code: 'CODE_ALREADY_USED' });
    expect(setCookie(replayed.raw, 'session_token')).toBeUndefined();
    // The enrolment code is spent as well (its step is older than the one just used).
    const older = await secondStep(h, challenge, 'totp', codeAt(enrolment.totp));
    expect(older.status).toBe(401);

    // Two sign-ins racing with one fresh code: exactly one gets a session.
    const other = await enrol(h, await h.signUp('Race Co'));
    const [a, b] = await Promise.all([
      passwordStep(h, other.account),
      passwordStep(h, other.account),
    ]);
    const fresh = codeAt(other.enrolment.totp, 1);
    const replies = await Promise.all([
      secondStep(h, a.challenge, 'totp', fresh),
      secondStep(h, b.challenge, 'totp', fresh),
    ]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 401]);
    const audit = await mfaAudit(h, other.account.userId);
    expect(audit.map((e) => e.action)).toContain('mfa.verification_failed');
  });

  it('bounds guessing: LOCKOUT_THRESHOLD wrong codes lock the factor, even for the right code', async () => {
    const { account, enrolment } = await enrol(h, await h.signUp('Guess Co'));
    const right = codeAt(enrolment.totp, 1);
    const wrong = right === '000000' ? '000001' : '000000';
    const { challenge } = await passwordStep(h, account);
    for (let i = 0; i < h.config.LOCKOUT_THRESHOLD; i++)
      expect((await secondStep(h, challenge, 'totp', wrong)).status).toBe(401);
    const locked = await secondStep(h, challenge, 'totp', right);
    expect(locked.status).toBe(429);
    expect(setCookie(locked.raw, 'session_token')).toBeUndefined();
    // A new password step does not lift the lock on the second factor.
    const next = await passwordStep(h, account);
    expect((await secondStep(h, next.challenge, 'totp', right)).status).toBe(429);
    expect((await status(account.cookie)).lockedUntil).not.toBeNull();
    // Once the lock has run out (LOCKOUT_MINUTES, moved here to the past), the right code works.
    await h.t.ownerQuery(
      `update two_factors set locked_until = now() - interval '1 second' where user_id = $1`,
      [account.userId],
    );
    const after = await passwordStep(h, account);
    expect((await secondStep(h, after.challenge, 'totp', right)).status).toBe(200);

    // A session's own checks (enrolment, re-checks) count toward the same lock.
    const second = await enrol(h, await h.signUp('Session Guess Co'));
    const bad = codeAt(second.enrolment.totp, 1) === '123456' ? '123457' : '123456';
    for (let i = 0; i < 5; i++) {
      const r = await h.post(
        '/api/auth/two-factor/verify-totp',
        { code: bad },
        second.account.cookie,
      );
      expect(r.status).toBe(401);
    }
    const r = await h.post(
      '/api/auth/two-factor/verify-totp',
      { code: codeAt(second.enrolment.totp, 1) },
      second.account.cookie,
    );
    expect(r.status).toBe(429);
  });

  it('takes a recovery code once and only once; codes are stored hashed', async () => {
    const { account, enrolment } = await enrol(h, await h.signUp('Recovery Co'));
    const [first, second] = enrolment.backupCodes as [string, string];

    const stored = (await twoFactorRow(account.userId))?.backup_codes ?? '';
    const entries = JSON.parse(stored) as string[];
    expect(entries).toHaveLength(10);
    for (const entry of entries) expect(entry).toMatch(/^hmac-sha256:[\w-]{43}$/);
    for (const code of enrolment.backupCodes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace('-', ''));
    }
    // A stored hash is not a code.
    const { challenge } = await passwordStep(h, account);
    const hashAsCode = await secondStep(h, challenge, 'recovery', entries[0] ?? '');
    expect(hashAsCode.status).toBe(401);

    const cookie = await signInWith(h, account, 'recovery', first);
    expect(await signedIn(cookie)).toBe(true);
    expect((await status(cookie)).recoveryCodesLeft).toBe(9);
    const next = await passwordStep(h, account);
    const reused = await secondStep(h, next.challenge, 'recovery', first);
    expect(reused.status).toBe(401);
    expect(setCookie(reused.raw, 'session_token')).toBeUndefined();
    // Typed without the dash, another code still works.
    const typed = await secondStep(h, next.challenge, 'recovery', second.replace('-', ''));
    expect(typed.status).toBe(200);
    expect(JSON.parse((await twoFactorRow(account.userId))?.backup_codes ?? '[]')).toHaveLength(8);

    const audit = await mfaAudit(h, account.userId);
    expect(audit.filter((e) => e.action === 'mfa.recovery_code_used')).toHaveLength(2);
    expect(audit.at(-1)?.metadata).toMatchObject({ recoveryCodesLeft: 8 });
  });

  it('regenerates recovery codes with the password: the old ones stop working', async () => {
    const { account, enrolment } = await enrol(h, await h.signUp('Regenerate Co'));
    const refused = await h.post(
      '/api/auth/two-factor/generate-backup-codes',
      { password: 'not the password at all' },
      account.cookie,
    );
    expect(refused.status).toBe(400);
    const reply = await h.post(
      '/api/auth/two-factor/generate-backup-codes',
      { password: account.password },
      account.cookie,
    );
    expect(reply.status).toBe(200);
    const fresh = (reply.body as { backupCodes: string[] }).backupCodes;
    expect(fresh).toHaveLength(10);
    const stored = (await twoFactorRow(account.userId))?.backup_codes ?? '';
    for (const code of fresh) expect(stored).not.toContain(code);
    const { challenge } = await passwordStep(h, account);
    expect(
      (await secondStep(h, challenge, 'recovery', enrolment.backupCodes[0] ?? '')).status,
    ).toBe(401);
    expect((await secondStep(h, challenge, 'recovery', fresh[0] ?? '')).status).toBe(200);
    const actions = (await mfaAudit(h, account.userId)).map((e) => e.action);
    expect(actions).toContain('mfa.recovery_codes_regenerated');
  });

  it('refuses "trust this device": every sign-in asks for the second factor', async () => {
    const { account, enrolment } = await enrol(h, await h.signUp('Trust Co'));
    const { challenge } = await passwordStep(h, account);
    const reply = await h.post(
      '/api/auth/two-factor/verify-totp',
      { code: codeAt(enrolment.totp, 1), trustDevice: true },
      challenge,
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ field: 'trustDevice' });
    expect(setCookie(reply.raw, 'trust_device')).toBeUndefined();
  });

  it('enabling ends the other sessions and is audited in every organisation of the user', async () => {
    const owner = await h.signUp('Enable Audit Co');
    const elsewhere = await h.signUp('Second Home Co');
    await h.t.ownerQuery(
      `insert into memberships (tenant_id, user_id, role) values ($1, $2, 'member')`,
      [elsewhere.tenantId, owner.userId],
    );
    const laptop = await h.post('/api/auth/sign-in/email', {
      email: owner.email,
      password: owner.password,
    });
    const laptopCookie = setCookie(laptop.raw, 'session_token');
    expect(await signedIn(laptopCookie)).toBe(true);

    const { account } = await enrol(h, owner);
    expect(await signedIn(laptopCookie)).toBe(false);
    expect(await signedIn(owner.cookie)).toBe(false); // replaced by the confirming request
    expect(await signedIn(account.cookie)).toBe(true);
    const sessions = await h.t.ownerQuery('select id from auth_sessions where user_id = $1', [
      owner.userId,
    ]);
    expect(sessions).toHaveLength(1);

    const enabled = (await mfaAudit(h, owner.userId)).filter((e) => e.action === 'mfa.enabled');
    expect(enabled.map((e) => e.tenant_id).sort()).toEqual(
      [owner.tenantId, elsewhere.tenantId].sort(),
    );
    for (const e of enabled) {
      expect(e.actor_user_id).toBe(owner.userId);
      expect(e.metadata).toMatchObject({
        method: 'totp',
        otherSessionsRevoked: 1,
        recoveryCodes: 10,
      });
    }
  });

  it('disabling needs the current password, ends the other sessions and is audited', async () => {
    const { account, enrolment } = await enrol(h, await h.signUp('Disable Co'));
    const phone = await signInWith(h, account, 'recovery', enrolment.backupCodes[0] ?? '');
    expect(await signedIn(phone)).toBe(true);

    const bare = await h.post('/api/auth/two-factor/disable', {}, account.cookie);
    expect(bare.status).toBe(400);
    const wrong = await h.post(
      '/api/auth/two-factor/disable',
      { password: 'not the password at all' },
      account.cookie,
    );
    expect(wrong.status).toBe(400);
    expect((await status(account.cookie)).enabled).toBe(true);

    const ok = await h.post(
      '/api/auth/two-factor/disable',
      { password: account.password },
      account.cookie,
    );
    expect(ok.status).toBe(200);
    const cookie = setCookie(ok.raw, 'session_token');
    expect(await signedIn(cookie)).toBe(true);
    expect(await signedIn(phone)).toBe(false);
    expect(await status(String(cookie))).toMatchObject({ enabled: false, pending: false });
    expect(await twoFactorRow(account.userId)).toBeUndefined();
    // The password alone signs in again.
    const signIn = await h.post('/api/auth/sign-in/email', {
      email: account.email,
      password: account.password,
    });
    expect(signIn.body.twoFactorRedirect).toBeUndefined();
    const disabled = (await mfaAudit(h, account.userId)).filter((e) => e.action === 'mfa.disabled');
    expect(disabled).toHaveLength(1);
    expect(disabled[0]).toMatchObject({
      tenant_id: account.tenantId,
      actor_user_id: account.userId,
      metadata: { otherSessionsRevoked: 1 },
    });
  });

  it('lets an organisation require MFA: members without it are refused until they enrol', async () => {
    const owner = await h.signUp('Policy Co');
    const member = await h.joinAs(owner, 'member');
    const admin = await h.joinAs(owner, 'admin');

    // A key the admin created before the policy acts for the admin, so it is held to it too.
    const created = await h.mutate('apiKeys.create', admin.cookie, {
      name: 'nightly',
      scopes: ['read'],
    });
    const apiKey = data<{ key: string }>(created).key;
    const byKey = () =>
      h.app.inject({
        method: 'GET',
        url: '/trpc/knowledge.list',
        headers: { authorization: `Bearer ${apiKey}` },
      });
    expect((await byKey()).statusCode).toBe(200);

    // Nobody locks themselves out: the admin setting the policy needs MFA first.
    const early = await h.mutate('mfa.setPolicy', owner.cookie, { requireMfa: true });
    expect(early.status).toBe(400);
    expect(trpcError(early).data.field).toBe('requireMfa');
    expect((await h.mutate('mfa.setPolicy', owner.cookie, { requireMfa: 'yes' })).status).toBe(400);
    expect((await h.mutate('mfa.setPolicy', member.cookie, { requireMfa: false })).status).toBe(
      403,
    );

    const { account: mfaOwner } = await enrol(h, owner);
    const set = await h.mutate('mfa.setPolicy', mfaOwner.cookie, { requireMfa: true });
    expect(set.status).toBe(200);
    const [settings] = await h.t.ownerQuery<{ settings: Record<string, unknown> }>(
      'select settings from tenants where id = $1',
      [owner.tenantId],
    );
    expect(settings?.settings).toMatchObject({ requireMfa: true });
    const policy = (await mfaAudit(h, owner.userId)).filter(
      (e) => e.action === 'mfa.policy_changed',
    );
    expect(policy).toHaveLength(1);
    expect(policy[0]).toMatchObject({
      tenant_id: owner.tenantId,
      metadata: { before: { requireMfa: false }, after: { requireMfa: true } },
    });

    // The member without MFA: tenant procedures refuse with the distinct answer...
    for (const [path, input] of [
      ['knowledge.list', undefined],
      ['conversations.list', undefined],
      ['budgets.get', undefined],
      ['ai.route', { query: 'hello' }],
    ] as const) {
      const refused = await h.query(path, member.cookie, input);
      expect(refused.status, path).toBe(403);
      expect(trpcError(refused).data.field, path).toBe('mfa');
      expect(trpcError(refused).message, path).toBe(
        'This organisation requires two-factor authentication; set it up first',
      );
    }
    expect((await h.mutate('conversations.create', member.cookie, {})).status).toBe(403);
    const keyed = await byKey();
    expect(keyed.statusCode).toBe(403);
    expect(JSON.parse(keyed.body).error.data.field).toBe('mfa');
    // The same policy over REST (a member's cookie on /api/v1) and the multipart upload.
    const rest = await h.app.inject({
      method: 'GET',
      url: '/api/v1/conversations',
      headers: { cookie: member.cookie },
    });
    expect(rest.statusCode).toBe(403);
    expect(JSON.parse(rest.body)).toMatchObject({ code: 'FORBIDDEN', field: 'mfa' });
    const boundary = 'mfa-boundary';
    const upload = await h.app.inject({
      method: 'POST',
      url: '/api/v1/knowledge/documents',
      headers: {
        cookie: admin.cookie,
        origin: h.config.PUBLIC_URL,
        'x-csrf-token': String(await h.csrf(admin.cookie)),
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.md"\r\nContent-Type: text/markdown\r\n\r\n# A\r\n--${boundary}--\r\n`,
    });
    expect(upload.statusCode, upload.body).toBe(403);
    expect(JSON.parse(upload.body)).toMatchObject({ field: 'mfa' });
    // And the organisation's live inbox over /ws.
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const socket = await TestSocket.open(`http://127.0.0.1:${port}`, {
      cookie: member.cookie,
      origin: h.config.PUBLIC_URL,
    });
    const requestId = socket.send({ type: 'subscribe' });
    const refusal = await socket.waitFor((f) => f.requestId === requestId);
    expect(refusal).toMatchObject({ type: 'error', code: 'forbidden', field: 'mfa' });
    socket.ws.close();
    const admins = await h.mutate('widgets.create', admin.cookie, { name: 'Blocked' });
    expect(trpcError(admins).data.field).toBe('mfa');
    // ...while the dashboard frame and the enrolment itself still work.
    expect((await h.query('users.me', member.cookie)).status).toBe(200);
    expect((await h.query('tenants.current', member.cookie)).status).toBe(200);
    expect(await status(member.cookie)).toMatchObject({
      enabled: false,
      tenantRequiresMfa: true,
      blocked: true,
    });
    // The owner, who has MFA, is not affected.
    expect((await h.query('knowledge.list', mfaOwner.cookie)).status).toBe(200);

    const { account: enrolled } = await enrol(h, member);
    expect((await h.query('knowledge.list', enrolled.cookie)).status).toBe(200);
    expect(await status(enrolled.cookie)).toMatchObject({ enabled: true, blocked: false });

    // Lifting the policy is audited too, and unblocks everyone.
    const lift = await h.mutate('mfa.setPolicy', mfaOwner.cookie, { requireMfa: false });
    expect(lift.status).toBe(200);
    expect((await h.query('knowledge.list', admin.cookie)).status).toBe(200);
    const changes = (await mfaAudit(h, owner.userId)).filter(
      (e) => e.action === 'mfa.policy_changed',
    );
    expect(changes.at(-1)?.metadata).toMatchObject({
      before: { requireMfa: true },
      after: { requireMfa: false },
    });
  });
});

export type { Account };
