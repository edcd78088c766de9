import type { LookupAddress } from 'node:dns';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSsoIssuers } from '@platform/auth';
import { ForbiddenAddressError, guardedLookup, type ResolveAll } from '@platform/config';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_URL } from './harness.ts';
import { startTestIdp, type TestIdp } from './oidc-idp.ts';

/**
 * The connect-time half of the SSRF guard on SSO issuers. DNS cannot be made to answer a
 * link-local address offline, so the resolver is injected: the rest (the lookup policy, the
 * HTTP client, openid-client's discovery and token requests) is the real code.
 */

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

/** A resolver whose answers the test changes, counting the questions it was asked. */
function fakeDns(initial: LookupAddress[]) {
  const state = { answer: initial, asked: [] as string[] };
  const resolve: ResolveAll = async (host) => {
    state.asked.push(host);
    return state.answer;
  };
  return { state, resolve };
}

const lookupOnce = (resolve: ResolveAll, host: string, all: boolean) =>
  new Promise<unknown>((done, fail) =>
    guardedLookup(resolve)(host, { all }, (err, address) => (err ? fail(err) : done(address))),
  );

/** The errors down an error's cause chain. */
const causes = (err: unknown): unknown[] => {
  const out: unknown[] = [];
  for (let e = err; e instanceof Error && out.length < 6; e = e.cause) out.push(e);
  return out;
};

describe('the outbound address guard (connect time)', () => {
  it('refuses a name any of whose addresses is link-local or a metadata address', async () => {
    for (const answer of [
      [v4('169.254.169.254')],
      [v4('10.0.0.5'), v4('169.254.10.1')], // one bad answer among good ones (rebinding)
      [v6('fe80::1')],
      [v6('fd00:ec2::254')],
      [v6('::ffff:169.254.169.254')],
      [v4('100.100.100.200')],
    ]) {
      const { resolve } = fakeDns(answer);
      await expect(lookupOnce(resolve, 'idp.example.com', true)).rejects.toBeInstanceOf(
        ForbiddenAddressError,
      );
      await expect(lookupOnce(resolve, 'idp.example.com', false)).rejects.toBeInstanceOf(
        ForbiddenAddressError,
      );
    }
    // A metadata service's name is refused whatever it resolves to, without asking DNS.
    const { state, resolve } = fakeDns([v4('10.1.2.3')]);
    await expect(lookupOnce(resolve, 'metadata.google.internal.', false)).rejects.toBeInstanceOf(
      ForbiddenAddressError,
    );
    expect(state.asked).toEqual([]);
  });

  it('lets loopback and private addresses through (on-premises identity providers)', async () => {
    const { resolve } = fakeDns([v4('127.0.0.1'), v4('10.0.0.5'), v6('::1'), v6('fd12::1')]);
    expect(await lookupOnce(resolve, 'keycloak.corp', true)).toEqual([
      v4('127.0.0.1'),
      v4('10.0.0.5'),
      v6('::1'),
      v6('fd12::1'),
    ]);
    expect(await lookupOnce(resolve, 'keycloak.corp', false)).toBe('127.0.0.1');
  });
});

describe('SSO requests to identity providers go through the guard', () => {
  let idp: TestIdp;
  beforeAll(async () => {
    idp = await startTestIdp(`${PUBLIC_URL}/api/auth/sso/callback`);
  });
  afterAll(async () => {
    await idp?.close();
  });
  const port = () => new URL(idp.issuer).port;
  const client = (connectionId: string) => ({
    connectionId,
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
  });

  it('discovers through the injected resolver, and refuses once the name resolves to a metadata address', async () => {
    const dns = fakeDns([v4('127.0.0.1')]);
    const issuers = createSsoIssuers({ allowHttpLocalhost: true, resolve: dns.resolve });
    expect(await issuers.check(idp.issuer)).toBeNull();
    expect(dns.state.asked).toContain('localhost');
    // The name now answers the cloud's metadata address: saving it, or a sign-in's discovery,
    // is refused without connecting there.
    dns.state.answer = [v4('169.254.169.254')];
    expect(await issuers.check(idp.issuer)).toBe(
      'must not point at a link-local or cloud metadata address',
    );
    const refused = await issuers.configuration(client('c-after')).catch((e: unknown) => e);
    expect(causes(refused).some((e) => e instanceof ForbiddenAddressError)).toBe(true);
  });

  it('refuses the token request when the name changed its answer after discovery (DNS rebinding)', async () => {
    const dns = fakeDns([v4('127.0.0.1')]);
    const issuers = createSsoIssuers({ allowHttpLocalhost: true, resolve: dns.resolve });
    const config = await issuers.configuration(client('c-rebind'));
    dns.state.answer = [v4('169.254.169.254')];
    const asked = dns.state.asked.length;
    const callback = new URL(`${PUBLIC_URL}/api/auth/sso/callback`);
    callback.search = new URLSearchParams({ code: 'x', state: 's', iss: idp.issuer }).toString();
    const refused = await oidc
      .authorizationCodeGrant(config, callback, { expectedState: 's', pkceCodeVerifier: 'v' })
      .catch((e: unknown) => e);
    expect(dns.state.asked.length).toBeGreaterThan(asked);
    expect(refused).toBeInstanceOf(TypeError);
    expect(causes(refused).some((e) => e instanceof ForbiddenAddressError)).toBe(true);
  });

  it('refuses issuers written as link-local or metadata addresses before any request', () => {
    const issuers = createSsoIssuers({ allowHttpLocalhost: true });
    for (const issuer of [
      'http://169.254.169.254/',
      'https://169.254.169.254/',
      'https://[fe80::1]/',
      'https://[fd00:ec2::254]/',
      'https://[::ffff:169.254.169.254]/',
      'https://2852039166/', // 169.254.169.254 as one number
      'https://metadata.google.internal/',
    ])
      expect(issuers.urlProblem(issuer), issuer).toBe(
        'must not point at a link-local or cloud metadata address',
      );
    // Loopback stays usable (the tests' provider, a developer's Keycloak).
    expect(issuers.urlProblem(`http://127.0.0.1:${port()}`)).toBeNull();
    expect(issuers.urlProblem('https://10.0.0.5/realms/acme')).toBeNull();
  });

  it('reports a provider that never answers as a timeout (unreachable), not as a bad answer', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    try {
      const issuers = createSsoIssuers({ allowHttpLocalhost: true, timeoutSeconds: 0.2 });
      const issuer = `http://localhost:${(silent.address() as AddressInfo).port}`;
      const failed = await issuers
        .configuration({ connectionId: 'c-silent', issuer, clientId: 'x', clientSecret: 'y' })
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(oidc.ClientError);
      expect((failed as oidc.ClientError).code).toBe('OAUTH_TIMEOUT');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((done) => silent.close(() => done()));
    }
  });
});
