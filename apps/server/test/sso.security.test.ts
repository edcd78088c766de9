import { randomBytes } from 'node:crypto';
import { testDrivers } from '@platform/db/testing';
import type { LightMyRequestResponse } from 'fastify';
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
import { startTestIdp, type TestIdp } from './oidc-idp.ts';

const CALLBACK = `${PUBLIC_URL}/api/auth/sso/callback`;

type Connection = {
  id: string;
  name: string;
  domains: string[];
  issuer: string;
  clientId: string;
  clientSecretHint: string | null;
  defaultRole: string;
  enabled: boolean;
  redirectUri: string | null;
};

const setCookies = (raw: LightMyRequestResponse): string[] => {
  const header = raw.headers['set-cookie'];
  return Array.isArray(header) ? header : header ? [header] : [];
};
const stateCookieOf = (raw: LightMyRequestResponse) =>
  setCookies(raw)
    .find((c) => c.includes('sso_state='))
    ?.split(';')[0];
const json = (raw: LightMyRequestResponse) => JSON.parse(raw.body) as Record<string, unknown>;

describe.each(testDrivers())('single sign-on over OpenID Connect (%s)', (driver) => {
  let h: Harness;
  let idp: TestIdp;
  let owner: Account;
  /** This run's domains: unique, so both drivers' runs never share one. */
  const tag = randomBytes(3).toString('hex');
  const domain = `acme-${tag}.test`;
  const otherDomain = `elsewhere-${tag}.test`;
  let conn: Connection;

  const person = (sub: string, account: { email?: string; email_verified?: boolean }) => {
    idp.accounts.set(sub, { name: `Person ${sub}`, ...account });
    return account.email ?? '';
  };

  /** POST /api/auth/sso/start, the provider's login, then the callback: the callback's reply. */
  const signIn = async (email: string, opts: { returnTo?: string } = {}) => {
    const start = await h.post('/api/auth/sso/start', { email, ...opts });
    expect(start.status, start.raw.body).toBe(200);
    const stateCookie = stateCookieOf(start.raw);
    expect(stateCookie).toBeTruthy();
    const back = await idp.authorize(String(start.body.url));
    expect(back.href.startsWith(CALLBACK)).toBe(true);
    const reply = await h.app.inject({
      method: 'GET',
      url: `${back.pathname}${back.search}`,
      headers: { cookie: stateCookie ?? '', 'user-agent': 'sso-e2e-browser' },
    });
    return { reply, back, stateCookie: stateCookie ?? '' };
  };

  const auditOf = (tenantId: string, action: string) =>
    h.t.ownerQuery<{
      actor_user_id: string | null;
      resource_id: string | null;
      metadata: Record<string, unknown>;
      user_agent: string | null;
    }>(
      'select actor_user_id, resource_id, metadata, user_agent from audit_logs where tenant_id = $1 and action = $2 order by created_at',
      [tenantId, action],
    );

  beforeAll(async () => {
    idp = await startTestIdp(CALLBACK);
    h = await startHarness(driver);
    owner = await h.signUp('Acme SSO Corp');
    const created = await h.mutate('sso.create', owner.cookie, {
      name: 'Acme IdP',
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      domains: [domain.toUpperCase(), domain],
      defaultRole: 'member',
    });
    expect(created.status, created.raw.body).toBe(200);
    conn = data<Connection>(created);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await idp?.close();
  });

  it('lets an owner create a connection: domains lower-cased, the secret sealed and never returned', async () => {
    expect(conn.domains).toEqual([domain]);
    expect(conn.redirectUri).toBe(CALLBACK);
    expect(conn.clientSecretHint).toBe(`…${idp.clientSecret.slice(-4)}`);
    const listed = await h.query('sso.list', owner.cookie);
    expect(listed.status).toBe(200);
    expect(listed.raw.body).toContain(conn.id);
    expect(listed.raw.body).not.toContain(idp.clientSecret);
    const [row] = await h.t.ownerQuery<{ client_secret_encrypted: string }>(
      'select client_secret_encrypted from sso_connections where id = $1',
      [conn.id],
    );
    expect(row?.client_secret_encrypted).toBeTruthy();
    expect(row?.client_secret_encrypted).not.toContain(idp.clientSecret);
    const [entry] = await auditOf(owner.tenantId, 'sso.created');
    expect(entry?.resource_id).toBe(conn.id);
    expect(JSON.stringify(entry?.metadata)).not.toContain(idp.clientSecret);
  });

  it('provisions a new person just in time, at the default role, signed in for the organisation', async () => {
    const email = person(`alice-${tag}`, { email: `alice@${domain}`, email_verified: true });
    const { reply } = await signIn(email);
    expect(reply.statusCode, reply.body).toBe(302);
    expect(reply.headers.location).toBe(`${PUBLIC_URL}/account`);
    const cookie = cookieOf(reply);
    expect(cookie).toBeTruthy();
    const me = await h.query('users.me', cookie);
    expect(me.status, me.raw.body).toBe(200);
    expect(data(me)).toMatchObject({ email, tenantId: owner.tenantId, role: 'member' });
    const tenant = await h.query('tenants.current', cookie);
    expect(data(tenant)).toMatchObject({ id: owner.tenantId, role: 'member' });
    // A member of the organisation, not an admin: the default role, nothing more.
    expect((await h.query('sso.list', cookie)).status).toBe(403);
    const userId = String(data(me).id);
    const [link] = await h.t.ownerQuery<{ provider_id: string; account_id: string }>(
      'select provider_id, account_id from accounts where user_id = $1',
      [userId],
    );
    expect(link).toEqual({ provider_id: `sso:${conn.id}`, account_id: `alice-${tag}` });
    const [provisioned] = await auditOf(owner.tenantId, 'member.provisioned');
    expect(provisioned).toMatchObject({ actor_user_id: userId, resource_id: userId });
    expect(provisioned?.metadata).toMatchObject({
      via: 'sso',
      connectionId: conn.id,
      role: 'member',
    });
    const signIns = await auditOf(owner.tenantId, 'auth.sso_sign_in');
    expect(signIns.at(-1)).toMatchObject({ actor_user_id: userId, user_agent: 'sso-e2e-browser' });
    expect(signIns.at(-1)?.metadata).toMatchObject({ created: true, provisioned: true });
  });

  it('reuses the same person on a second sign-in (no second user, no second membership)', async () => {
    const email = person(`bob-${tag}`, { email: `bob@${domain}`, email_verified: true });
    const first = await signIn(email);
    const second = await signIn(email);
    expect(second.reply.statusCode, second.reply.body).toBe(302);
    const a = data(await h.query('users.me', cookieOf(first.reply)));
    const b = data(await h.query('users.me', cookieOf(second.reply)));
    expect(b.id).toBe(a.id);
    const [count] = await h.t.ownerQuery<{ users: number; members: number }>(
      `select (select count(*)::int from users where email = $1) as users,
              (select count(*)::int from memberships where user_id = $2) as members`,
      [email, a.id],
    );
    expect(count).toEqual({ users: 1, members: 1 });
    expect((await auditOf(owner.tenantId, 'auth.sso_sign_in')).at(-1)?.metadata).toMatchObject({
      created: false,
      provisioned: false,
    });
  });

  it('does not provision again someone an admin removed, until readmitted', async () => {
    const email = person(`rex-${tag}`, { email: `rex@${domain}`, email_verified: true });
    const first = await signIn(email);
    expect(first.reply.statusCode, first.reply.body).toBe(302);
    const rex = data<{ id: string }>(await h.query('users.me', cookieOf(first.reply)));
    const removed = await h.mutate('users.remove', owner.cookie, { userId: rex.id });
    expect(removed.status, removed.raw.body).toBe(200);
    expect((await h.query('users.me', cookieOf(first.reply))).status).toBe(401);

    const again = await signIn(email);
    expect(again.reply.statusCode, again.reply.body).toBe(403);
    expect(JSON.parse(again.reply.body)).toMatchObject({ code: 'SSO_MEMBER_REMOVED' });
    expect(cookieOf(again.reply)).toBeFalsy();
    const [member] = await h.t.ownerQuery(
      'select 1 from memberships where tenant_id = $1 and user_id = $2',
      [owner.tenantId, rex.id],
    );
    expect(member).toBeUndefined();
    expect(
      (await auditOf(owner.tenantId, 'auth.sso_sign_in_failed')).some(
        (e) => e.metadata.reason === 'removed_by_admin',
      ),
    ).toBe(true);

    const readmitted = await h.mutate('users.readmit', owner.cookie, { userId: rex.id });
    expect(readmitted.status, readmitted.raw.body).toBe(200);
    const back = await signIn(email);
    expect(back.reply.statusCode, back.reply.body).toBe(302);
    expect(data(await h.query('users.me', cookieOf(back.reply)))).toMatchObject({
      id: rex.id,
      tenantId: owner.tenantId,
      role: 'member',
    });
  });

  it('lands on a same-origin returnTo, and refuses another origin', async () => {
    const email = person(`carol-${tag}`, { email: `carol@${domain}`, email_verified: true });
    const { reply } = await signIn(email, { returnTo: '/dashboard/settings?tab=sso' });
    expect(reply.headers.location).toBe(`${PUBLIC_URL}/dashboard/settings?tab=sso`);
    for (const returnTo of ['https://evil.example/x', '//evil.example/x', '/\\evil.example']) {
      const r = await h.post('/api/auth/sso/start', { email, returnTo });
      expect(r.status, returnTo).toBe(400);
      expect(r.body.field).toBe('returnTo');
    }
  });

  it('redirects a GET start straight to the provider', async () => {
    const r = await h.app.inject({
      method: 'GET',
      url: `/api/auth/sso/start?email=${encodeURIComponent(`carol@${domain}`)}`,
    });
    expect(r.statusCode, r.body).toBe(302);
    const location = new URL(String(r.headers.location));
    expect(location.origin).toBe(new URL(idp.issuer).origin);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('client_id')).toBe(idp.clientId);
    expect(location.searchParams.get('nonce')).toBeTruthy();
    expect(stateCookieOf(r)).toBeTruthy();
  });

  it('answers 404 for an email domain without single sign-on, and 400 for a bad email', async () => {
    const r = await h.post('/api/auth/sso/start', { email: `someone@nowhere-${tag}.test` });
    expect(r.status).toBe(404);
    expect(r.body.message).toContain('No single sign-on for this email domain');
    const bad = await h.post('/api/auth/sso/start', { email: 'not-an-email' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('email');
  });

  it('refuses a callback whose state is wrong, replayed, or from another browser (400, never 500)', async () => {
    const email = person(`dave-${tag}`, { email: `dave@${domain}`, email_verified: true });
    const start = await h.post('/api/auth/sso/start', { email });
    const stateCookie = stateCookieOf(start.raw) ?? '';
    const back = await idp.authorize(String(start.body.url));
    const call = (search: string, cookie?: string) =>
      h.app.inject({
        method: 'GET',
        url: `/api/auth/sso/callback${search}`,
        headers: cookie ? { cookie } : {},
      });
    const forged = new URLSearchParams(back.search);
    forged.set('state', 'not-the-state');
    for (const r of [
      await call(`?${forged}`, stateCookie),
      await call(back.search), // a forwarded link: not the browser that started it
      await call('?code=abc', stateCookie),
    ]) {
      expect(r.statusCode, r.body).toBe(400);
      expect(json(r)).toMatchObject({ code: 'SSO_STATE_INVALID', field: 'state' });
      expect(cookieOf(r)).toBeUndefined();
    }
    const ok = await call(back.search, stateCookie);
    expect(ok.statusCode, ok.body).toBe(302);
    const replay = await call(back.search, stateCookie);
    expect(replay.statusCode).toBe(400);
    expect(json(replay)).toMatchObject({ code: 'SSO_STATE_INVALID' });
  });

  it('checks the ID token nonce and the PKCE verifier it stored at the start', async () => {
    const email = person(`nina-${tag}`, { email: `nina@${domain}`, email_verified: true });
    for (const [field, code] of [
      ['nonce', 'SSO_INVALID_RESPONSE'],
      ['codeVerifier', 'SSO_PROVIDER_ERROR'],
    ] as const) {
      const start = await h.post('/api/auth/sso/start', { email });
      const state = new URL(String(start.body.url)).searchParams.get('state');
      const [row] = await h.t.ownerQuery<{ value: string }>(
        'select value from verification_tokens where identifier = $1',
        [`sso-state:${state}`],
      );
      const pending = JSON.parse(row?.value ?? '{}') as Record<string, string>;
      // What an attacker replaying someone else's code could not know: another nonce/verifier.
      pending[field] = randomBytes(32).toString('base64url');
      await h.t.ownerQuery('update verification_tokens set value = $1 where identifier = $2', [
        JSON.stringify(pending),
        `sso-state:${state}`,
      ]);
      const back = await idp.authorize(String(start.body.url));
      const r = await h.app.inject({
        method: 'GET',
        url: `/api/auth/sso/callback${back.search}`,
        headers: { cookie: stateCookieOf(start.raw) ?? '' },
      });
      expect(r.statusCode, `${field}: ${r.body}`).toBe(400);
      expect(json(r)).toMatchObject({ code });
      expect(cookieOf(r)).toBeUndefined();
    }
  });

  it('refuses with 400 when the person cancels at the provider (access_denied)', async () => {
    const email = person(`erin-${tag}`, { email: `erin@${domain}`, email_verified: true });
    idp.next = 'deny';
    const { reply } = await signIn(email);
    expect(reply.statusCode, reply.body).toBe(400);
    expect(json(reply)).toMatchObject({ code: 'SSO_PROVIDER_ERROR', field: 'error' });
    expect(String(json(reply).message)).toContain('access_denied');
    expect(cookieOf(reply)).toBeUndefined();
    const failed = await auditOf(owner.tenantId, 'auth.sso_sign_in_failed');
    expect(failed.at(-1)?.metadata).toMatchObject({ reason: 'provider_error:access_denied' });
  });

  it("refuses an identity whose email is outside the connection's domains", async () => {
    person(`mallory-${tag}`, { email: `mallory@${otherDomain}`, email_verified: true });
    idp.next = `mallory-${tag}`;
    const { reply } = await signIn(`frank@${domain}`);
    expect(reply.statusCode, reply.body).toBe(403);
    expect(json(reply)).toMatchObject({ code: 'SSO_DOMAIN_MISMATCH', field: 'email' });
    expect(cookieOf(reply)).toBeUndefined();
    const [users] = await h.t.ownerQuery<{ n: number }>(
      'select count(*)::int as n from users where email = $1',
      [`mallory@${otherDomain}`],
    );
    expect(users?.n).toBe(0);
    const failed = await auditOf(owner.tenantId, 'auth.sso_sign_in_failed');
    expect(failed.at(-1)?.metadata).toMatchObject({ reason: 'domain_mismatch' });
  });

  it('accepts an email whose verification the provider does not state (as Entra), in its domains', async () => {
    const email = person(`olga-${tag}`, { email: `olga@${domain}` });
    const { reply } = await signIn(email);
    expect(reply.statusCode, reply.body).toBe(302);
    expect(data(await h.query('users.me', cookieOf(reply)))).toMatchObject({ email });
  });

  it('refuses an email the provider has not verified', async () => {
    const email = person(`gina-${tag}`, { email: `gina@${domain}`, email_verified: false });
    const { reply } = await signIn(email);
    expect(reply.statusCode, reply.body).toBe(403);
    expect(json(reply)).toMatchObject({ code: 'SSO_EMAIL_NOT_VERIFIED', field: 'email' });
    expect(cookieOf(reply)).toBeUndefined();
    const [users] = await h.t.ownerQuery<{ n: number }>(
      'select count(*)::int as n from users where email = $1',
      [email],
    );
    expect(users?.n).toBe(0);
  });

  it('links an existing member’s password account only when the provider verified the email', async () => {
    const member = await h.joinAs(owner, 'admin');
    // The member's address moves into the SSO domain (identity rows are the auth module's).
    const email = `henry-${tag}@${domain}`;
    await h.t.ownerQuery('update users set email = $1 where id = $2', [email, member.userId]);
    // Their newest membership is elsewhere: a password sign-in would act there, SSO must not.
    const elsewhere = await h.signUp('Henry Side Project');
    await h.t.ownerQuery(
      `insert into memberships (tenant_id, user_id, role, created_at) values ($1, $2, 'member', now() + interval '1 minute')`,
      [elsewhere.tenantId, member.userId],
    );
    person(`henry-unverified-${tag}`, { email });
    idp.next = `henry-unverified-${tag}`;
    const refused = await signIn(email);
    expect(refused.reply.statusCode, refused.reply.body).toBe(409);
    expect(json(refused.reply)).toMatchObject({ code: 'SSO_ACCOUNT_EXISTS', field: 'email' });

    person(`henry-${tag}`, { email, email_verified: true });
    idp.next = `henry-${tag}`;
    const { reply } = await signIn(email);
    expect(reply.statusCode, reply.body).toBe(302);
    const me = data(await h.query('users.me', cookieOf(reply)));
    // The same account, keeping its role (admin), not the connection's default.
    expect(me).toMatchObject({ id: member.userId, tenantId: owner.tenantId, role: 'admin' });
    expect((await auditOf(owner.tenantId, 'auth.sso_sign_in')).at(-1)?.metadata).toMatchObject({
      linked: true,
      provisioned: false,
    });
    // The password still works (and acts for the newest membership, as before).
    const password = await h.post('/api/auth/sign-in/email', { email, password: member.password });
    expect(password.status).toBe(200);
    const viaPassword = data(await h.query('users.me', cookieOf(password.raw)));
    expect(viaPassword.tenantId).toBe(elsewhere.tenantId);
  });

  it('never links an existing account that is not a member of the organisation', async () => {
    const email = `ivy-${tag}@${domain}`;
    const stranger = await h.signUp('Ivy Home Org', { email });
    person(`ivy-${tag}`, { email, email_verified: true });
    const { reply } = await signIn(email);
    expect(reply.statusCode, reply.body).toBe(409);
    expect(json(reply)).toMatchObject({ code: 'SSO_ACCOUNT_EXISTS', field: 'email' });
    const [links] = await h.t.ownerQuery<{ n: number }>(
      `select count(*)::int as n from accounts where user_id = $1 and provider_id like 'sso:%'`,
      [stranger.userId],
    );
    expect(links?.n).toBe(0);
    const [member] = await h.t.ownerQuery<{ n: number }>(
      'select count(*)::int as n from memberships where user_id = $1 and tenant_id = $2',
      [stranger.userId, owner.tenantId],
    );
    expect(member?.n).toBe(0);
  });

  it('keeps domains unique across organisations (409), refuses public and invalid ones (400)', async () => {
    const rival = await h.signUp('Rival Corp');
    const base = {
      name: 'Rival IdP',
      issuer: idp.issuer,
      clientId: 'rival',
      clientSecret: 'rival-secret-value',
    };
    const taken = await h.mutate('sso.create', rival.cookie, { ...base, domains: [domain] });
    expect(taken.status, taken.raw.body).toBe(409);
    expect(trpcError(taken).data.field).toBe('domains');
    expect(taken.raw.body).not.toContain(owner.tenantId);
    for (const domains of [['gmail.com'], ['not a domain'], ['localhost'], []]) {
      const r = await h.mutate('sso.create', rival.cookie, { ...base, domains });
      expect(r.status, JSON.stringify(domains)).toBe(400);
      expect(trpcError(r).data.field).toMatch(/^domains/);
    }
    // A second connection of the same organisation cannot claim it either.
    const again = await h.mutate('sso.create', owner.cookie, { ...base, domains: [domain] });
    expect(again.status).toBe(409);
    const free = await h.mutate('sso.create', rival.cookie, {
      ...base,
      domains: [`rival-${tag}.test`],
    });
    expect(free.status, free.raw.body).toBe(200);
    // Moving onto a taken domain is refused too.
    const moved = await h.mutate('sso.update', rival.cookie, {
      id: data<Connection>(free).id,
      domains: [`rival-${tag}.test`, domain],
    });
    expect(moved.status).toBe(409);
    expect(trpcError(moved).data.field).toBe('domains');
  });

  it('checks the issuer: https only (http for localhost outside production), discovery must work', async () => {
    const base = {
      name: 'Bad',
      clientId: 'x',
      clientSecret: 'y-secret-value',
      domains: [`issuer-${tag}.test`],
    };
    for (const issuer of [
      'http://idp.example.com',
      'ftp://localhost/',
      'not a url',
      `${idp.issuer}/nested`,
      'http://localhost:9/unreachable',
    ]) {
      const r = await h.mutate('sso.create', owner.cookie, { ...base, issuer });
      expect(r.status, `${issuer}: ${r.raw.body}`).toBe(400);
      expect(trpcError(r).data.field).toBe('issuer');
    }
  });

  it('lets only owners change connections; admins read them; members get 403', async () => {
    const admin = await h.joinAs(owner, 'admin');
    const member = await h.joinAs(owner, 'member');
    expect((await h.query('sso.list', admin.cookie)).status).toBe(200);
    expect((await h.query('sso.list', member.cookie)).status).toBe(403);
    const input = {
      name: 'Sneaky',
      issuer: idp.issuer,
      clientId: 'x',
      clientSecret: 'y-secret-value',
      domains: [`sneaky-${tag}.test`],
    };
    for (const who of [admin, member]) {
      expect((await h.mutate('sso.create', who.cookie, input)).status).toBe(403);
      expect(
        (await h.mutate('sso.update', who.cookie, { id: conn.id, enabled: false })).status,
      ).toBe(403);
      expect((await h.mutate('sso.remove', who.cookie, { id: conn.id })).status).toBe(403);
    }
  });

  it('updates without returning the secret, audits the change, and a disabled connection is 404 at start', async () => {
    const email = person(`jack-${tag}`, { email: `jack@${domain}`, email_verified: true });
    const newSecret = `rotated-${randomBytes(8).toString('hex')}`;
    const off = await h.mutate('sso.update', owner.cookie, {
      id: conn.id,
      enabled: false,
      clientSecret: newSecret,
      defaultRole: 'admin',
    });
    expect(off.status, off.raw.body).toBe(200);
    expect(off.raw.body).not.toContain(newSecret);
    expect(data<Connection>(off)).toMatchObject({ enabled: false, defaultRole: 'admin' });
    const r = await h.post('/api/auth/sso/start', { email });
    expect(r.status).toBe(404);
    const [updated] = (await auditOf(owner.tenantId, 'sso.updated')).slice(-1);
    expect(updated?.metadata).toMatchObject({
      before: { enabled: true, defaultRole: 'member' },
      after: { enabled: false, defaultRole: 'admin' },
      clientSecretChanged: true,
    });
    expect(JSON.stringify(updated?.metadata)).not.toContain(newSecret);
    // Back on, with the provider's real secret.
    const on = await h.mutate('sso.update', owner.cookie, {
      id: conn.id,
      enabled: true,
      clientSecret: idp.clientSecret,
      defaultRole: 'member',
    });
    expect(on.status, on.raw.body).toBe(200);
    const { reply } = await signIn(email);
    expect(reply.statusCode, reply.body).toBe(302);
  });

  it('refuses a sign-in in flight once its connection is removed, and audits the removal', async () => {
    const email = person(`kate-${tag}`, { email: `kate@${domain}`, email_verified: true });
    const start = await h.post('/api/auth/sso/start', { email });
    const stateCookie = stateCookieOf(start.raw) ?? '';
    const back = await idp.authorize(String(start.body.url));
    const removed = await h.mutate('sso.remove', owner.cookie, { id: conn.id });
    expect(removed.status, removed.raw.body).toBe(200);
    const r = await h.app.inject({
      method: 'GET',
      url: `/api/auth/sso/callback${back.search}`,
      headers: { cookie: stateCookie },
    });
    expect(r.statusCode, r.body).toBe(400);
    expect(json(r)).toMatchObject({ code: 'SSO_NOT_CONFIGURED' });
    expect((await h.post('/api/auth/sso/start', { email })).status).toBe(404);
    const [entry] = await auditOf(owner.tenantId, 'sso.removed');
    expect(entry?.resource_id).toBe(conn.id);
    const gone = await h.mutate('sso.remove', owner.cookie, { id: conn.id });
    expect(gone.status).toBe(404);
  });
});
