import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a tenant's vendor URL may never reach: link-local ranges, where clouds serve
 * instance metadata and credentials (169.254.169.254, fd00:ec2::254), and Alibaba's
 * metadata address. An administrator of one organisation choosing a base URL must not make
 * the server fetch its own cloud credentials. Loopback and private ranges stay allowed
 * (a self-hosted OpenAI-compatible server); see the README's Security section.
 */
const FORBIDDEN = new BlockList();
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4');
FORBIDDEN.addAddress('100.100.100.200', 'ipv4');
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6');
FORBIDDEN.addAddress('fd00:ec2::254', 'ipv6');
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

const forbidden = (address: string) => {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, 'ipv4');
  if (family !== 6) return false;
  // An IPv4 address written as IPv6 (::ffff:169.254.169.254) is that IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return mapped ? FORBIDDEN.check(mapped, 'ipv4') : FORBIDDEN.check(address, 'ipv6');
};

/**
 * Why a vendor base URL is refused (it names or resolves to a metadata or link-local
 * address), or null. A name that does not resolve is left to the key check, which then
 * cannot reach it.
 */
export async function baseUrlProblem(baseUrl: string): Promise<string | null> {
  let host: string;
  try {
    host = new URL(baseUrl).hostname
      .toLowerCase()
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '');
  } catch {
    return 'must be an http(s) URL';
  }
  const refused = 'must not point at a link-local or cloud metadata address';
  if (METADATA_HOSTS.has(host)) return refused;
  if (isIP(host)) return forbidden(host) ? refused : null;
  try {
    const addresses = await lookup(host, { all: true, verbatim: true });
    return addresses.some((a) => forbidden(a.address)) ? refused : null;
  } catch {
    return null;
  }
}
