import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
// oidc-provider ships no type declarations; the few calls below are typed by hand.
import Provider from 'oidc-provider';

/** A person at the identity provider, by subject. */
export type IdpAccount = { email?: string; email_verified?: boolean; name?: string };

type InteractionDetails = {
  prompt: { name: string; details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[] } };
  params: { client_id: string; login_hint?: string };
  session?: { accountId: string };
};
type Grant = {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
};
type OidcProvider = {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: new (opts: { accountId: string; clientId: string }) => Grant;
};
const ProviderClass = Provider as unknown as new (
  issuer: string,
  config: Record<string, unknown>,
) => OidcProvider;

export type TestIdp = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** People who can sign in, by subject. */
  accounts: Map<string, IdpAccount>;
  /**
   * Who the next sign-in is: a subject, 'deny' (the person cancels: access_denied), or null
   * for the account whose email the platform sent as login_hint.
   */
  next: string | null;
  /**
   * Follows an authorization URL as a browser would (cookies kept, the login and consent
   * completed at once) until the provider redirects off-site; answers that redirect's URL.
   */
  authorize(url: string): Promise<URL>;
  close(): Promise<void>;
};

/**
 * A real OpenID Connect provider (oidc-provider) on a random local port, over http on
 * localhost (allowed outside production), with one confidential client whose redirect URI
 * is the platform's callback. Interactions are answered programmatically: no forms.
 */
export async function startTestIdp(redirectUri: string): Promise<TestIdp> {
  const accounts = new Map<string, IdpAccount>();
  const clientId = `platform-${randomBytes(4).toString('hex')}`;
  const clientSecret = randomBytes(24).toString('base64url');
  let provider: OidcProvider | undefined;
  const idp: Partial<TestIdp> & { next: string | null } = { next: null };

  const interaction = async (req: IncomingMessage, res: ServerResponse, p: OidcProvider) => {
    const details = await p.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      const chosen = idp.next;
      idp.next = null;
      if (chosen === 'deny')
        return p.interactionFinished(req, res, {
          error: 'access_denied',
          error_description: 'The person cancelled the sign-in',
        });
      const hint = details.params.login_hint;
      const accountId =
        chosen ?? [...accounts].find(([, a]) => a.email && a.email === hint)?.[0] ?? 'unknown';
      return p.interactionFinished(
        req,
        res,
        { login: { accountId } },
        { mergeWithLastSubmission: false },
      );
    }
    const accountId = details.session?.accountId ?? '';
    const grant = new p.Grant({ accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    return p.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  };

  const server = createServer((req, res) => {
    const p = provider;
    if (!p) {
      res.statusCode = 503;
      res.end();
      return;
    }
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res, p).catch((err) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    p.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  provider = new ProviderClass(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: async (_ctx: unknown, sub: string) => {
      const account = accounts.get(sub);
      return account ? { accountId: sub, claims: async () => ({ sub, ...account }) } : undefined;
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
      Grant: 600,
    },
  });

  const authorize = async (url: string): Promise<URL> => {
    const jar = new Map<string, string>();
    let next = url;
    for (let hop = 0; hop < 12; hop++) {
      const reply = await fetch(next, {
        redirect: 'manual',
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const raw of reply.headers.getSetCookie()) {
        const pair = raw.split(';')[0] ?? '';
        const eq = pair.indexOf('=');
        if (eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      const location = reply.headers.get('location');
      if (!location)
        throw new Error(`the provider stopped at ${reply.status}: ${await reply.text()}`);
      const target = new URL(location, next);
      if (target.origin !== new URL(issuer).origin) return target;
      next = target.href;
    }
    throw new Error('the provider redirected too many times');
  };

  return Object.assign(idp, {
    issuer,
    clientId,
    clientSecret,
    accounts,
    authorize,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as TestIdp;
}
