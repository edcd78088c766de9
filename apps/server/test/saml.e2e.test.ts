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
import {
  encryptAssertion,
  idpMetadata,
  type KeyPair,
  makeKeyPair,
  type ResponseOptions,
  readAuthnRequest,
  samlResponse,
} from './saml-idp.ts';

const ACS = `${PUBLIC_URL}/api/auth/sso/saml/acs`;
const IDP_ORIGIN = 'https://idp.saml-test.example';

type Connection = {
  id: string;
  protocol: string;
  issuer: string;
  saml: {
    spEntityId: string;
    acsUrl: string;
    metadataUrl: string;
    encryptionCertificate: string | null;
  } | null;
};

const stateCookieOf = (raw: LightMyRequestResponse) => {
  const header = raw.headers['set-cookie'];
  const all = Array.isArray(header) ? header : header ? [header] : [];
  return all.find((c) => c.includes('sso_state='))?.split(';')[0] ?? '';
};

describe.each(testDrivers())('single sign-on over SAML 2.0 (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  let idp: KeyPair;
  let rogue: KeyPair;
  let conn: Connection;
  const tag = randomBytes(3).toString('hex');
  const domain = `saml-${tag}.test`;
  const entityId = `${IDP_ORIGIN}/${tag}`;

  const auditOf = (action: string) =>
    h.t.ownerQuery<{ actor_user_id: string | null; metadata: Record<string, unknown> }>(
      'select actor_user_id, metadata from audit_logs where tenant_id = $1 and action = $2 order by created_at',
      [owner.tenantId, action],
    );

  /** Start (POST), then the IdP's answer posted to the ACS with the browser's state cookie. */
  const signIn = async (
    email: string,
    opts: Partial<ResponseOptions> & { encryptTo?: string } = {},
  ) => {
    const start = await h.post('/api/auth/sso/start', { email });
    expect(start.status, start.raw.body).toBe(200);
    const request = readAuthnRequest(String(start.body.url));
    const cookie = stateCookieOf(start.raw);
    const response = samlResponse({
      issuer: entityId,
      audience: request.issuer,
      destination: ACS,
      inResponseTo: request.id,
      email,
      signer: idp,
      ...opts,
    });
    const form = new URLSearchParams({
      SAMLResponse: opts.encryptTo ? await encryptAssertion(response, opts.encryptTo) : response,
      RelayState: request.relayState,
    }).toString();
    const post = (body: string, c: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/auth/sso/saml/acs',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: IDP_ORIGIN,
          cookie: c,
          'user-agent': 'saml-e2e-browser',
        },
        payload: body,
      });
    const reply = await post(form, cookie);
    return { reply, request, start, form, cookie, post };
  };
  const json = (r: LightMyRequestResponse) => JSON.parse(r.body) as Record<string, unknown>;

  beforeAll(async () => {
    idp = makeKeyPair('test-idp');
    rogue = makeKeyPair('rogue-idp');
    h = await startHarness(driver);
    owner = await h.signUp('SAML Corp');
    const created = await h.mutate('sso.create', owner.cookie, {
      protocol: 'saml',
      name: 'Test IdP',
      samlMetadata: idpMetadata(entityId, `${IDP_ORIGIN}/sso`, idp.certBase64),
      domains: [domain],
    });
    expect(created.status, created.raw.body).toBe(200);
    conn = data<Connection>(created);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('shows the SP entity ID, ACS URL and serves SP metadata', async () => {
    expect(conn).toMatchObject({ protocol: 'saml', issuer: entityId });
    expect(conn.saml?.acsUrl).toBe(ACS);
    const md = await h.app.inject({ method: 'GET', url: `/api/auth/sso/saml/metadata/${conn.id}` });
    expect(md.statusCode, md.body).toBe(200);
    expect(md.body).toContain(`entityID="${conn.saml?.spEntityId}"`);
    expect(md.body).toContain(ACS);
  });

  it('provisions a new person just in time, signed in for the organisation, audited; reuses them next time', async () => {
    const email = `alice@${domain}`;
    const { reply } = await signIn(email);
    expect(reply.statusCode, reply.body).toBe(302);
    expect(reply.headers.location).toBe(`${PUBLIC_URL}/account`);
    const me = data(await h.query('users.me', cookieOf(reply)));
    expect(me).toMatchObject({ email, tenantId: owner.tenantId, role: 'member' });
    const signIns = await auditOf('auth.sso_sign_in');
    expect(signIns.at(-1)).toMatchObject({ actor_user_id: me.id });
    expect(signIns.at(-1)?.metadata).toMatchObject({
      protocol: 'saml',
      created: true,
      provisioned: true,
    });
    const again = await signIn(email);
    expect(again.reply.statusCode, again.reply.body).toBe(302);
    expect(data(await h.query('users.me', cookieOf(again.reply))).id).toBe(me.id);
  });

  it('refuses tampered, foreign-signed, wrong-audience, expired, mismatched and replayed responses (4xx, audited)', async () => {
    const email = `bob@${domain}`;
    const cases: [string, Partial<ResponseOptions>, string][] = [
      [
        'tampered',
        { tamper: (x) => x.replace(`>${email}<`, `>mallory@${domain}<`) },
        'invalid_signature',
      ],
      ['other key', { signer: rogue }, 'invalid_signature'],
      ['audience', { audience: 'https://someone-else.example/sp' }, 'wrong_audience'],
      ['expired', { validForSeconds: -600 }, 'expired'],
      ['in response to', { inResponseTo: '_not-the-request' }, 'in_response_to_mismatch'],
      [
        'unsigned',
        { tamper: (x) => x.replace(/<(ds:)?Signature[\s\S]*<\/(ds:)?Signature>/, '') },
        'invalid_signature',
      ],
      ['destination', { destination: 'https://elsewhere.example/acs' }, 'wrong_destination'],
      ['issuer', { issuer: 'https://impostor.example/idp' }, 'wrong_issuer'],
    ];
    for (const [label, opts, reason] of cases) {
      const { reply } = await signIn(email, opts);
      expect(reply.statusCode, `${label}: ${reply.body}`).toBe(400);
      expect(json(reply), label).toMatchObject({
        code: 'SSO_INVALID_RESPONSE',
        field: 'SAMLResponse',
      });
      expect(cookieOf(reply), label).toBeFalsy();
      expect((await auditOf('auth.sso_sign_in_failed')).at(-1)?.metadata, label).toMatchObject({
        reason,
      });
    }
    const [users] = await h.t.ownerQuery<{ n: number }>(
      'select count(*)::int as n from users where email in ($1, $2)',
      [email, `mallory@${domain}`],
    );
    expect(users?.n).toBe(0);
    // A good response replayed: the state was used up by the first post.
    const ok = await signIn(email);
    expect(ok.reply.statusCode, ok.reply.body).toBe(302);
    const replay = await ok.post(ok.form, ok.cookie);
    expect(replay.statusCode).toBe(400);
    expect(json(replay)).toMatchObject({ code: 'SSO_STATE_INVALID' });
    // Without the browser's state cookie (a forwarded response): refused.
    const other = await signIn(email);
    const noCookie = await other.post(other.form, '');
    expect(noCookie.statusCode).toBe(400);
  });

  /** The certificate our SP metadata publishes for encryption, as PEM (null: none). */
  const metadataCert = async () => {
    const got = await h.app.inject({
      method: 'GET',
      url: `/api/auth/sso/saml/metadata/${conn.id}`,
    });
    expect(got.statusCode).toBe(200);
    const b64 = /use="encryption"[\s\S]*?<ds:X509Certificate>([^<]+)</.exec(got.body)?.[1];
    return b64 ? `-----BEGIN CERTIFICATE-----\n${b64.trim()}\n-----END CERTIFICATE-----\n` : null;
  };
  const pemBody = (pem: string | null | undefined) =>
    pem?.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '') ?? null;

  it('decrypts assertions encrypted to the connection’s own certificate, and only those', async () => {
    // Each connection has its own key pair; the certificate is in sso.create's answer and in
    // the SP metadata, never the private key.
    const cert = await metadataCert();
    expect(cert).not.toBeNull();
    expect(pemBody(conn.saml?.encryptionCertificate)).toBe(pemBody(cert));
    const listed = await h.query('sso.list', owner.cookie);
    expect(listed.raw.body).not.toContain('PRIVATE KEY');
    expect(listed.raw.body).toContain(pemBody(cert)?.slice(0, 40));

    const email = `enc-${tag}@${domain}`;
    const ok = await signIn(email, { encryptTo: cert as string });
    expect(ok.reply.statusCode, ok.reply.body).toBe(302);
    expect(cookieOf(ok.reply)).toBeTruthy();
    expect(
      Buffer.from(new URLSearchParams(ok.form).get('SAMLResponse') ?? '', 'base64').toString(),
    ).toContain('EncryptedAssertion');

    // Encrypted to someone else's certificate: refused, audited, nobody signed in.
    const foreign = await signIn(`enc2-${tag}@${domain}`, { encryptTo: rogue.cert });
    expect(foreign.reply.statusCode, foreign.reply.body).toBe(400);
    expect(json(foreign.reply)).toMatchObject({
      code: 'SSO_INVALID_RESPONSE',
      field: 'SAMLResponse',
    });
    expect(cookieOf(foreign.reply)).toBeFalsy();
    expect((await auditOf('auth.sso_sign_in_failed')).at(-1)?.metadata).toMatchObject({
      reason: 'undecryptable_assertion',
    });
    // Encrypted, but signed by another key: decrypting proves nothing about who sent it.
    const forged = await signIn(`enc3-${tag}@${domain}`, {
      encryptTo: cert as string,
      signer: rogue,
    });
    expect(forged.reply.statusCode, forged.reply.body).toBe(400);
    expect((await auditOf('auth.sso_sign_in_failed')).at(-1)?.metadata).toMatchObject({
      reason: 'invalid_signature',
    });
  });

  it('rotates the SP key pair on request (the old certificate stops working), audited', async () => {
    const old = await metadataCert();
    const rotated = await h.mutate('sso.update', owner.cookie, { id: conn.id, rotateSpKey: true });
    expect(rotated.status, rotated.raw.body).toBe(200);
    const fresh = await metadataCert();
    expect(pemBody(fresh)).not.toBe(pemBody(old));
    expect(pemBody(data<Connection>(rotated).saml?.encryptionCertificate)).toBe(pemBody(fresh));
    const stale = await signIn(`rot-${tag}@${domain}`, { encryptTo: old as string });
    expect(stale.reply.statusCode).toBe(400);
    const current = await signIn(`rot-${tag}@${domain}`, { encryptTo: fresh as string });
    expect(current.reply.statusCode, current.reply.body).toBe(302);
    expect((await auditOf('sso.updated')).at(-1)?.metadata).toMatchObject({ spKeyRotated: true });
    // Only for SAML, and only `true`.
    const bad = await h.mutate('sso.update', owner.cookie, { id: conn.id, rotateSpKey: false });
    expect(bad.status).toBe(400);
    expect(trpcError(bad).data.field).toBe('rotateSpKey');

    // A connection without a key pair (made before there were): plain signed assertions still
    // work, the metadata offers no encryption, and a rotation gives it one.
    await h.t.ownerQuery(
      'update sso_connections set client_secret_encrypted = null where id = $1',
      [conn.id],
    );
    expect(await metadataCert()).toBeNull();
    const plain = await signIn(`plain-${tag}@${domain}`);
    expect(plain.reply.statusCode, plain.reply.body).toBe(302);
    const refused = await signIn(`plain-${tag}@${domain}`, { encryptTo: fresh as string });
    expect(refused.reply.statusCode).toBe(400);
    expect(
      (await h.mutate('sso.update', owner.cookie, { id: conn.id, rotateSpKey: true })).status,
    ).toBe(200);
    expect(await metadataCert()).not.toBeNull();
  });

  it('starts from the IdP’s app tile by domain (loginUrl), as a sign-in this browser began', async () => {
    const listed = data<{ items: Array<Connection & { loginUrl: string | null }> }>(
      await h.query('sso.list', owner.cookie),
    ).items;
    const loginUrl = listed.find((c) => c.id === conn.id)?.loginUrl ?? '';
    expect(loginUrl).toBe(`${PUBLIC_URL}/api/auth/sso/start?domain=${domain}`);
    const start = await h.app.inject({
      method: 'GET',
      url: new URL(loginUrl).pathname + new URL(loginUrl).search,
    });
    expect(start.statusCode, start.body).toBe(302);
    const request = readAuthnRequest(String(start.headers.location));
    expect(request.issuer).toBe(conn.saml?.spEntityId);
    const email = `tile-${tag}@${domain}`;
    const reply = await h.app.inject({
      method: 'POST',
      url: '/api/auth/sso/saml/acs',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: IDP_ORIGIN,
        cookie: stateCookieOf(start),
      },
      payload: new URLSearchParams({
        SAMLResponse: samlResponse({
          issuer: entityId,
          audience: request.issuer,
          destination: ACS,
          inResponseTo: request.id,
          email,
          signer: idp,
        }),
        RelayState: request.relayState,
      }).toString(),
    });
    expect(reply.statusCode, reply.body).toBe(302);
    expect(cookieOf(reply)).toBeTruthy();
    // Exactly one of email and domain; an unknown domain is a 404 naming it.
    for (const [query, field, status] of [
      ['', 'email', 400],
      [`email=a%40${domain}&domain=${domain}`, 'email', 400],
      ['domain=nobody-has-this.example', 'domain', 404],
    ] as const) {
      const r = await h.app.inject({ method: 'GET', url: `/api/auth/sso/start?${query}` });
      expect(r.statusCode, query).toBe(status);
      expect(json(r), query).toMatchObject({ field });
    }
  });

  it('redirects a GET start to the IdP with an AuthnRequest and RelayState', async () => {
    const r = await h.app.inject({
      method: 'GET',
      url: `/api/auth/sso/start?email=${encodeURIComponent(`dora@${domain}`)}`,
    });
    expect(r.statusCode, r.body).toBe(302);
    const location = String(r.headers.location);
    expect(location.startsWith(`${IDP_ORIGIN}/sso?`)).toBe(true);
    const request = readAuthnRequest(location);
    expect(request.issuer).toBe(conn.saml?.spEntityId);
    expect(request.xml).toContain(`AssertionConsumerServiceURL="${ACS}"`);
    expect(request.relayState).toBeTruthy();
    expect(stateCookieOf(r)).toBeTruthy();
  });

  it('takes new metadata at sso.update (a rotated certificate) and refuses OIDC fields', async () => {
    const rotate = (pair: KeyPair) =>
      h.mutate('sso.update', owner.cookie, {
        id: conn.id,
        samlMetadata: idpMetadata(entityId, `${IDP_ORIGIN}/sso`, pair.certBase64),
      });
    expect((await rotate(rogue)).status).toBe(200);
    const email = `erin@${domain}`;
    expect((await signIn(email)).reply.statusCode).toBe(400);
    expect((await signIn(email, { signer: rogue })).reply.statusCode).toBe(302);
    expect((await rotate(idp)).status).toBe(200);
    const wrong = await h.mutate('sso.update', owner.cookie, {
      id: conn.id,
      clientSecret: 'x-secret',
    });
    expect(wrong.status).toBe(400);
    expect(trpcError(wrong).data.field).toBe('clientSecret');
    const [updated] = (await auditOf('sso.updated')).slice(-1);
    expect(updated?.metadata).toMatchObject({ samlMetadataChanged: true });
  });

  it("refuses an email outside the connection's domains", async () => {
    const { reply } = await signIn(`carol@${domain}`, { email: `carol@elsewhere-${tag}.test` });
    expect(reply.statusCode, reply.body).toBe(403);
    expect(json(reply)).toMatchObject({ code: 'SSO_DOMAIN_MISMATCH', field: 'email' });
  });

  it('refuses a removed member (403 SSO_MEMBER_REMOVED), audited', async () => {
    const email = `rex@${domain}`;
    const first = await signIn(email);
    const rex = data<{ id: string }>(await h.query('users.me', cookieOf(first.reply)));
    expect((await h.mutate('users.remove', owner.cookie, { userId: rex.id })).status).toBe(200);
    const again = await signIn(email);
    expect(again.reply.statusCode, again.reply.body).toBe(403);
    expect(json(again.reply)).toMatchObject({ code: 'SSO_MEMBER_REMOVED' });
    expect((await auditOf('auth.sso_sign_in_failed')).at(-1)?.metadata).toMatchObject({
      reason: 'removed_by_admin',
    });
  });

  it('refuses bad metadata at sso.create (400 naming samlMetadata); only owners create', async () => {
    const base = { protocol: 'saml', name: 'Bad', domains: [`bad-${tag}.test`] };
    const noCert = idpMetadata(entityId, `${IDP_ORIGIN}/sso`, idp.certBase64).replace(
      /<md:KeyDescriptor[\s\S]*?<\/md:KeyDescriptor>/,
      '',
    );
    for (const samlMetadata of [
      '<not xml',
      noCert,
      idpMetadata(entityId, 'http://169.254.169.254/sso', idp.certBase64),
      idpMetadata(entityId, 'https://metadata.google.internal/sso', idp.certBase64),
      idpMetadata(entityId, '', idp.certBase64),
      idpMetadata(entityId, `${IDP_ORIGIN}/sso`, 'bm90IGEgY2VydA=='),
    ]) {
      const r = await h.mutate('sso.create', owner.cookie, { ...base, samlMetadata });
      expect(r.status, r.raw.body).toBe(400);
      expect(trpcError(r).data.field).toBe('samlMetadata');
    }
    const missing = await h.mutate('sso.create', owner.cookie, base);
    expect(trpcError(missing).data.field).toBe('samlMetadata');
    const good = idpMetadata(entityId, `${IDP_ORIGIN}/sso`, idp.certBase64);
    const admin = await h.joinAs(owner, 'admin');
    const r = await h.mutate('sso.create', admin.cookie, { ...base, samlMetadata: good });
    expect(r.status).toBe(403);
  });
});
