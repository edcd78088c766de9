import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { KeyCipher } from '@platform/ai';
import { ssoSecretContext } from '@platform/auth';
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

/**
 * Single sign-on when things around it fail: the identity provider down, a client secret the
 * server can no longer open, issuers at cloud metadata addresses. Never a 500; a clear answer
 * to the person signing in and a warn line for operators, without secrets.
 */

const CALLBACK = `${PUBLIC_URL}/api/auth/sso/callback`;
const UNREACHABLE = 'The identity provider could not be reached';
const FORBIDDEN = 'must not point at a link-local or cloud metadata address';

type Connection = {
  id: string;
  clientSecretHint: string | null;
  clientSecretUnreadable: boolean;
};
type LogLine = { level: number; msg: string; connectionId?: string; step?: string };

const stateCookieOf = (raw: LightMyRequestResponse) => {
  const header = raw.headers['set-cookie'];
  const all = Array.isArray(header) ? header : header ? [header] : [];
  return all.find((c) => c.includes('sso_state='))?.split(';')[0] ?? '';
};
const json = (raw: LightMyRequestResponse) => JSON.parse(raw.body) as Record<string, unknown>;

/** A local port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  return typeof address === 'object' && address ? address.port : 9;
}

describe.each(testDrivers())('single sign-on when things fail (%s)', (driver) => {
  let h: Harness;
  /** Stays up for the whole file. */
  let idp: TestIdp;
  /** Stopped half-way through a sign-in. */
  let doomed: TestIdp;
  let owner: Account;
  let conn: Connection;
  let doomedConn: Connection;
  const lines: string[] = [];
  const tag = randomBytes(3).toString('hex');
  const domain = `edges-${tag}.test`;
  const doomedDomain = `doomed-${tag}.test`;

  const person = (provider: TestIdp, sub: string, email: string) => {
    provider.accounts.set(sub, { email, email_verified: true, name: sub });
    return email;
  };
  const start = (email: string) => h.post('/api/auth/sso/start', { email });
  const callback = (search: string, cookie: string) =>
    h.app.inject({ method: 'GET', url: `/api/auth/sso/callback${search}`, headers: { cookie } });
  /** Started and through the provider's login: what the browser brings back to the callback. */
  const throughProvider = async (provider: TestIdp, email: string) => {
    const started = await start(email);
    expect(started.status, started.raw.body).toBe(200);
    const back = await provider.authorize(String(started.body.url));
    return { back, cookie: stateCookieOf(started.raw) };
  };
  const setIssuer = (id: string, issuer: string) =>
    h.t.ownerQuery('update sso_connections set issuer = $1 where id = $2', [issuer, id]);
  const setSealed = (id: string, sealed: string) =>
    h.t.ownerQuery('update sso_connections set client_secret_encrypted = $1 where id = $2', [
      sealed,
      id,
    ]);
  const sealedOf = async (id: string) =>
    (
      await h.t.ownerQuery<{ s: string }>(
        'select client_secret_encrypted as s from sso_connections where id = $1',
        [id],
      )
    )[0]?.s ?? '';
  const failures = (tenantId: string) =>
    h.t.ownerQuery<{ metadata: { reason?: string } }>(
      `select metadata from audit_logs where tenant_id = $1 and action = 'auth.sso_sign_in_failed' order by created_at`,
      [tenantId],
    );
  /** Warn lines logged since `from` about this connection. */
  const warnings = (from: number, connectionId: string) =>
    lines
      .slice(from)
      .map((l) => JSON.parse(l) as LogLine)
      .filter((l) => l.level === 40 && l.connectionId === connectionId);

  beforeAll(async () => {
    idp = await startTestIdp(CALLBACK);
    doomed = await startTestIdp(CALLBACK);
    h = await startHarness(driver, { LOG_LEVEL: 'info' }, { log: (line) => lines.push(line) });
    owner = await h.signUp('Edges SSO Corp');
    const create = async (provider: TestIdp, d: string) => {
      const r = await h.mutate('sso.create', owner.cookie, {
        name: d,
        issuer: provider.issuer,
        clientId: provider.clientId,
        clientSecret: provider.clientSecret,
        domains: [d],
      });
      expect(r.status, r.raw.body).toBe(200);
      return data<Connection>(r);
    };
    conn = await create(idp, domain);
    doomedConn = await create(doomed, doomedDomain);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await idp?.close();
    await doomed?.close();
  });

  it('answers 502 at the callback when the provider went down before the code exchange', async () => {
    const email = person(doomed, `pat-${tag}`, `pat@${doomedDomain}`);
    const { back, cookie } = await throughProvider(doomed, email);
    await doomed.close();
    const from = lines.length;
    const r = await callback(back.search, cookie);
    expect(r.statusCode, r.body).toBe(502);
    expect(json(r)).toMatchObject({ code: 'SSO_PROVIDER_UNREACHABLE' });
    expect(String(json(r).message)).toContain(UNREACHABLE);
    expect(cookieOf(r)).toBeUndefined();
    expect((await failures(owner.tenantId)).at(-1)?.metadata).toMatchObject({
      reason: 'provider_unreachable',
    });
    const logged = warnings(from, doomedConn.id);
    expect(logged.map((l) => l.step)).toContain('code exchange');
    expect(logged.map((l) => l.msg).join()).toContain('could not be reached');
    const text = lines.slice(from).join('\n');
    expect(text).not.toContain(doomed.clientSecret);
    expect(text).not.toContain(back.searchParams.get('code') ?? 'no code?');
  });

  it('answers 502 at the start when discovery fails (provider down, nothing cached)', async () => {
    await setIssuer(doomedConn.id, `http://localhost:${await closedPort()}`);
    const from = lines.length;
    const r = await start(`pat@${doomedDomain}`);
    expect(r.status, r.raw.body).toBe(502);
    expect(r.body).toMatchObject({ code: 'SSO_PROVIDER_UNREACHABLE' });
    expect(String(r.body.message)).toContain('could not be reached');
    expect(stateCookieOf(r.raw)).toBe('');
    const logged = warnings(from, doomedConn.id);
    expect(logged.map((l) => l.msg).join()).toContain('could not be reached');
    expect(lines.slice(from).join('\n')).not.toContain(doomed.clientSecret);
  });

  it('answers 502 at the callback when discovery fails there', async () => {
    const email = person(idp, `quinn-${tag}`, `quinn@${domain}`);
    const { back, cookie } = await throughProvider(idp, email);
    // The configuration is cached by issuer: another issuer means discovery at the callback.
    await setIssuer(conn.id, `http://localhost:${await closedPort()}`);
    try {
      const from = lines.length;
      const r = await callback(back.search, cookie);
      expect(r.statusCode, r.body).toBe(502);
      expect(json(r)).toMatchObject({ code: 'SSO_PROVIDER_UNREACHABLE' });
      expect(warnings(from, conn.id).map((l) => l.step)).toContain('discovery');
      expect(cookieOf(r)).toBeUndefined();
    } finally {
      await setIssuer(conn.id, idp.issuer);
    }
  });

  it('answers 503 naming the misconfiguration when the client secret cannot be decrypted; sso.list still works; re-entering it mends it', async () => {
    const email = person(idp, `robin-${tag}`, `robin@${domain}`);
    const good = await sealedOf(conn.id);
    const damaged = `${good.slice(0, -6)}${good.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
    // Sealed with another key: what rotating AUTH_SECRET (or PROVIDER_KEYS_SECRET) does.
    const otherKey = new KeyCipher(randomBytes(32).toString('base64url')).encrypt(
      idp.clientSecret,
      ssoSecretContext(owner.tenantId, conn.id),
    );
    for (const sealed of [damaged, otherKey, 'not base64 at all!']) {
      await setSealed(conn.id, sealed);
      const from = lines.length;
      const r = await start(email);
      expect(r.status, r.raw.body).toBe(503);
      expect(r.body).toMatchObject({ code: 'SSO_MISCONFIGURED' });
      expect(String(r.body.message)).toContain('must enter the client secret again');
      const logged = warnings(from, conn.id);
      expect(logged.map((l) => l.msg).join()).toContain('cannot be decrypted');
      expect(lines.slice(from).join('\n')).not.toContain(sealed);

      const listed = await h.query('sso.list', owner.cookie);
      expect(listed.status, listed.raw.body).toBe(200);
      const items = (data<{ items: Connection[] }>(listed).items ?? []).filter(
        (c) => c.id === conn.id,
      );
      expect(items).toEqual([
        expect.objectContaining({ clientSecretHint: null, clientSecretUnreadable: true }),
      ]);
      expect(listed.raw.body).not.toContain(idp.clientSecret);
    }

    // Broken between the start and the callback: the callback refuses the same way, audited.
    await setSealed(conn.id, good);
    const { back, cookie } = await throughProvider(idp, email);
    await setSealed(conn.id, otherKey);
    const r = await callback(back.search, cookie);
    expect(r.statusCode, r.body).toBe(503);
    expect(json(r)).toMatchObject({ code: 'SSO_MISCONFIGURED' });
    expect(cookieOf(r)).toBeUndefined();
    expect((await failures(owner.tenantId)).at(-1)?.metadata).toMatchObject({
      reason: 'client_secret_unreadable',
    });

    // An owner enters the secret again: sign-ins work, the list shows its hint.
    const mended = await h.mutate('sso.update', owner.cookie, {
      id: conn.id,
      clientSecret: idp.clientSecret,
    });
    expect(mended.status, mended.raw.body).toBe(200);
    expect(data<Connection>(mended)).toMatchObject({
      clientSecretHint: `…${idp.clientSecret.slice(-4)}`,
      clientSecretUnreadable: false,
    });
    const again = await throughProvider(idp, email);
    const ok = await callback(again.back.search, again.cookie);
    expect(ok.statusCode, ok.body).toBe(302);
    expect(cookieOf(ok)).toBeTruthy();
  });

  it('refuses issuers at link-local and cloud metadata addresses when saved (400 naming issuer)', async () => {
    const base = {
      name: 'Metadata',
      clientId: 'x',
      clientSecret: 'y-secret-value',
      domains: [`metadata-${tag}.test`],
    };
    for (const issuer of [
      'http://169.254.169.254/',
      'https://169.254.169.254/latest/meta-data',
      'https://[fe80::1]/',
      'https://[fd00:ec2::254]/',
      'https://metadata.google.internal/',
      'https://100.100.100.200/',
    ]) {
      const r = await h.mutate('sso.create', owner.cookie, { ...base, issuer });
      expect(r.status, `${issuer}: ${r.raw.body}`).toBe(400);
      expect(trpcError(r).data.field).toBe('issuer');
      expect(trpcError(r).message).toContain(FORBIDDEN);
      const u = await h.mutate('sso.update', owner.cookie, { id: conn.id, issuer });
      expect(u.status, `${issuer}: ${u.raw.body}`).toBe(400);
      expect(trpcError(u).data.field).toBe('issuer');
    }
    const [row] = await h.t.ownerQuery<{ issuer: string }>(
      'select issuer from sso_connections where id = $1',
      [conn.id],
    );
    expect(row?.issuer).toBe(idp.issuer);
  });

  it('never fetches from a stored issuer at a metadata address (saved before the rule): 502 at the start', async () => {
    await setIssuer(doomedConn.id, 'https://169.254.169.254/');
    const from = lines.length;
    const r = await start(`pat@${doomedDomain}`);
    expect(r.status, r.raw.body).toBe(502);
    expect(r.body).toMatchObject({ code: 'SSO_PROVIDER_UNREACHABLE' });
    const logged = warnings(from, doomedConn.id);
    expect(logged.map((l) => l.msg).join()).toContain('link-local or cloud metadata');
  });
});
