import { createHash } from 'node:crypto';
import {
  FORBIDDEN_ADDRESS_PROBLEM,
  ForbiddenAddressError,
  isForbiddenHost,
  type ResolveAll,
} from '@platform/config';
import { LRUCache } from 'lru-cache';
import * as oidc from 'openid-client';
import { refusedAddress } from './failures.ts';
import { guardedFetch } from './guarded-fetch.ts';

/** Hosts an issuer may use plain http on, outside production (a provider on the developer's machine). */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** How long a discovered provider configuration is reused before it is fetched again. */
const CONFIG_TTL_MS = 10 * 60_000;

export type SsoIssuerOptions = {
  /** Outside production: http is accepted for localhost issuers (tests, a local provider). */
  allowHttpLocalhost: boolean;
  /** Seconds each request to a provider may take (discovery, token, userinfo). */
  timeoutSeconds?: number;
  /** The redirect URI admins register at their provider (PUBLIC_URL/api/auth/sso/callback). */
  redirectUri?: string;
  /**
   * How providers' host names are resolved before connecting (the system's DNS by default;
   * tests inject one). Every answer goes through the outbound address policy.
   */
  resolve?: ResolveAll;
};

/** What a relying-party call needs of a connection (its secret already decrypted). */
export type OidcClientConfig = {
  connectionId: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
};

export type SsoIssuers = {
  /** The redirect URI to register at providers; null when unknown. */
  redirectUri: string | null;
  /**
   * Why this issuer URL is not acceptable (https only, http for localhost outside production;
   * never a link-local or cloud metadata address), or null.
   */
  urlProblem(issuer: string): string | null;
  /**
   * Fetches the issuer's discovery document; why it is unusable (also when its name resolves
   * to a refused address), or null when it is fine.
   */
  check(issuer: string): Promise<string | null>;
  /** The provider's configuration for one connection, discovered once and cached a while. */
  configuration(client: OidcClientConfig): Promise<oidc.Configuration>;
};

/**
 * OpenID Connect providers through openid-client: issuer URL policy, discovery (checked at
 * the connection's creation, cached for sign-ins). Error messages stay generic: an admin
 * choosing the issuer must not learn about the server's network from them. Every request to
 * a provider (discovery, keys, token, UserInfo) connects through the outbound address policy
 * (guarded-fetch.ts), so a name that resolves to a metadata address after it was saved is
 * still never reached.
 */
export function createSsoIssuers(options: SsoIssuerOptions): SsoIssuers {
  const timeout = options.timeoutSeconds ?? 10;
  const cache = new LRUCache<string, Promise<oidc.Configuration>>({ max: 500, ttl: CONFIG_TTL_MS });
  const fetcher = guardedFetch(options.resolve);

  const urlProblem = (issuer: string): string | null => {
    let url: URL;
    try {
      url = new URL(issuer);
    } catch {
      return 'must be a URL, e.g. https://accounts.google.com';
    }
    if (url.username || url.password) return 'must not contain a user name or password';
    // Before the scheme: an admin trying http://169.254.169.254 learns the real reason.
    if (isForbiddenHost(url.hostname)) return FORBIDDEN_ADDRESS_PROBLEM;
    if (url.search || url.hash) return 'must not have a query or a fragment';
    if (url.protocol === 'https:') return null;
    if (url.protocol === 'http:' && options.allowHttpLocalhost && LOCAL_HOSTS.has(url.hostname))
      return null;
    return options.allowHttpLocalhost
      ? 'must be an https URL (http only for localhost)'
      : 'must be an https URL';
  };

  const discover = (issuer: string, clientId: string, clientSecret?: string) => {
    const insecure = new URL(issuer).protocol === 'http:';
    return oidc.discovery(
      new URL(issuer),
      clientId,
      clientSecret,
      clientSecret ? oidc.ClientSecretBasic(clientSecret) : undefined,
      {
        timeout,
        // Kept by the configuration: its token and UserInfo requests are guarded too.
        [oidc.customFetch]: fetcher,
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      },
    );
  };

  return {
    redirectUri: options.redirectUri ?? null,
    urlProblem,
    async check(issuer) {
      const problem = urlProblem(issuer);
      if (problem) return problem;
      try {
        const config = await discover(issuer, 'discovery-check');
        const meta = config.serverMetadata();
        if (!meta.authorization_endpoint || !meta.token_endpoint)
          return 'its discovery document has no authorization or token endpoint';
        return null;
      } catch (e) {
        if (refusedAddress(e)) return FORBIDDEN_ADDRESS_PROBLEM;
        if (e instanceof oidc.ClientError && e.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
          return 'its discovery document names a different issuer (check the exact URL, e.g. a trailing slash)';
        return 'could not be reached, or /.well-known/openid-configuration is not an OpenID Connect discovery document';
      }
    },
    configuration(client) {
      const problem = urlProblem(client.issuer);
      // A connection saved before the address rule (or written to the table directly).
      if (problem === FORBIDDEN_ADDRESS_PROBLEM)
        return Promise.reject(new ForbiddenAddressError(new URL(client.issuer).hostname));
      if (problem) return Promise.reject(new Error(`issuer ${problem}`));
      const secret = createHash('sha256').update(client.clientSecret).digest('base64url');
      const key = [client.connectionId, client.issuer, client.clientId, secret].join('\n');
      let pending = cache.get(key);
      if (!pending) {
        pending = discover(client.issuer, client.clientId, client.clientSecret);
        // A failed discovery is not remembered: the next sign-in tries again.
        const mine = pending;
        mine.catch(() => {
          if (cache.get(key) === mine) cache.delete(key);
        });
        cache.set(key, pending);
      }
      return pending;
    },
  };
}
