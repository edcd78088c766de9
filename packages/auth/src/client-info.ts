import { isIP } from 'node:net';

/**
 * The header the server sets on every request it hands to Better Auth, holding the client IP
 * as Fastify resolved it (the socket address, or X-Forwarded-For only from TRUST_PROXY hops).
 * Better Auth reads the IP from this header alone (`advanced.ipAddress.ipAddressHeaders`), so
 * a client's own X-Forwarded-For cannot pick the address sessions, rate limits and the audit
 * log record. The bridge overwrites any value a client sent under this name.
 */
export const CLIENT_IP_HEADER = 'x-platform-client-ip';

export type ClientInfo = { ipAddress: string | null; userAgent: string | null };

/** Client IP (only a real address: the audit column is `inet`) and a bounded user agent. */
export function clientInfo(headers: Headers | undefined): ClientInfo {
  const ip = headers?.get(CLIENT_IP_HEADER)?.trim();
  const agent = headers?.get('user-agent');
  return {
    ipAddress: ip && isIP(ip) ? ip : null,
    userAgent: agent ? agent.slice(0, 500) : null,
  };
}
