import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Addresses a URL chosen by a tenant (an AI vendor's base URL, an SSO issuer) may never
 * reach: link-local ranges, where clouds serve instance metadata and credentials
 * (169.254.169.254, fd00:ec2::254), and Alibaba's metadata address. An administrator of one
 * organisation choosing a URL must not make the server fetch its own cloud credentials.
 * Loopback and private ranges stay allowed (a self-hosted model server, an on-premises
 * Keycloak); see the README's Security section.
 *
 * It lives here, in the package every other one depends on, so that the AI providers and
 * single sign-on share one policy.
 */
const FORBIDDEN = new BlockList();
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4');
FORBIDDEN.addAddress('100.100.100.200', 'ipv4');
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6');
FORBIDDEN.addAddress('fd00:ec2::254', 'ipv6');
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

/** What a refused URL is told, naming no address the server resolved. */
export const FORBIDDEN_ADDRESS_PROBLEM = 'must not point at a link-local or cloud metadata address';

/** Whether an IP address (v4 or v6, as text) is one the server must never connect to. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, 'ipv4');
  if (family !== 6) return false;
  // An IPv4 address written as IPv6 (::ffff:169.254.169.254) is that IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return mapped ? FORBIDDEN.check(mapped, 'ipv4') : FORBIDDEN.check(address, 'ipv6');
}

/** A host as compared: lower case, without IPv6 brackets or the root's trailing dot. */
export const normalHost = (host: string) =>
  host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');

/**
 * Whether a host is refused before any look-up: a metadata service's name, or a forbidden
 * address written out (connections to a literal address never consult DNS).
 */
export function isForbiddenHost(host: string): boolean {
  const h = normalHost(host);
  return METADATA_HOSTS.has(h) || (isIP(h) !== 0 && isForbiddenAddress(h));
}

/** Resolves a name to all its addresses (dns.lookup with `all`); tests inject their own. */
export type ResolveAll = (host: string, family: 0 | 4 | 6) => Promise<LookupAddress[]>;

const systemResolve: ResolveAll = (host, family) =>
  lookup(host, { all: true, verbatim: true, family });

/**
 * Why a URL is refused (it names or resolves to a metadata or link-local address), or null.
 * A name that does not resolve is left to the request that follows, which then cannot reach
 * it. This is the check when a URL is saved; DNS may answer differently later, so requests
 * also connect through guardedLookup.
 */
export async function outboundUrlProblem(
  url: string,
  resolve: ResolveAll = systemResolve,
): Promise<string | null> {
  let host: string;
  try {
    host = normalHost(new URL(url).hostname);
  } catch {
    return 'must be an http(s) URL';
  }
  if (isForbiddenHost(host)) return FORBIDDEN_ADDRESS_PROBLEM;
  if (isIP(host)) return null;
  try {
    const addresses = await resolve(host, 0);
    return addresses.some((a) => isForbiddenAddress(a.address)) ? FORBIDDEN_ADDRESS_PROBLEM : null;
  } catch {
    return null;
  }
}

/** A connection refused by the outbound address policy. */
export class ForbiddenAddressError extends Error {
  readonly code = 'ERR_FORBIDDEN_ADDRESS';
  constructor(readonly host: string) {
    super(`${host} resolves to a link-local or cloud metadata address; not connecting`);
    this.name = 'ForbiddenAddressError';
  }
}

const familyOf = (family: number | string | undefined): 0 | 4 | 6 =>
  family === 4 || family === 'IPv4' ? 4 : family === 6 || family === 'IPv6' ? 6 : 0;

/**
 * A `lookup` for net/http/https connections that refuses, with ForbiddenAddressError, a name
 * any of whose addresses is forbidden (one bad answer among good ones is how DNS rebinding
 * starts). The socket connects to the very address checked here, so a name that changed its
 * answer since it was saved is caught at connect time. Literal addresses never reach a
 * lookup: check them with isForbiddenHost first.
 */
export function guardedLookup(resolve: ResolveAll = systemResolve): LookupFunction {
  return (hostname, options, callback) => {
    const refuse = (err: NodeJS.ErrnoException) => callback(err, '', 0);
    if (METADATA_HOSTS.has(normalHost(hostname))) {
      refuse(new ForbiddenAddressError(hostname));
      return;
    }
    resolve(hostname, familyOf(options.family)).then((addresses) => {
      const first = addresses[0];
      if (!first) {
        const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        err.code = 'ENOTFOUND';
        return refuse(err);
      }
      if (addresses.some((a) => isForbiddenAddress(a.address)))
        return refuse(new ForbiddenAddressError(hostname));
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    }, refuse);
  };
}
