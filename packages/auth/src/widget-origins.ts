/**
 * A widget's origin allow-list: which web pages may embed it. One parser serves both sides,
 * so what an administrator may save is exactly what the public widget session will honour:
 * - an exact origin, `https://shop.example.com`, `http://localhost:3000`;
 * - a wildcard subdomain, `https://*.example.com` (any depth below it, never example.com itself).
 */

/** `scheme://[*.]host[:port]` with nothing after the authority but an optional slash. */
const SHAPE = /^(https?):\/\/(\*\.)?([^/?#@\\\s*]+)\/?$/i;
/** Letters, digits and inner hyphens per label (IDNs arrive here as punycode from URL). */
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;
/** Stands in for `*` while URL normalises the rest of the host. */
const PLACEHOLDER = 'wildcard-label';

export type OriginPattern = {
  /** The canonical text: lowercase, default port dropped, no trailing slash. */
  text: string;
  protocol: 'http:' | 'https:';
  /** For a wildcard, the domain its subdomains belong to. */
  host: string;
  /** '' for the scheme's default port. */
  port: string;
  wildcard: boolean;
};

/** An allow-list entry in canonical form, or null when it is neither shape above. */
export function parseOriginPattern(entry: string): OriginPattern | null {
  const shape = SHAPE.exec(entry.trim());
  if (!shape) return null;
  const [, scheme = '', star, authority = ''] = shape;
  const wildcard = Boolean(star);
  let url: URL;
  try {
    // URL lowercases, converts IDNs to punycode and drops a default port.
    url = new URL(`${scheme}://${wildcard ? `${PLACEHOLDER}.` : ''}${authority}`);
  } catch {
    return null;
  }
  const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
  const host = wildcard ? url.hostname.slice(PLACEHOLDER.length + 1) : url.hostname;
  if (wildcard) {
    // `*.com` would admit every site under a top-level domain; an IP has no subdomains.
    if (!DOMAIN.test(host) || !host.includes('.') || IPV4.test(host)) return null;
  } else if (!DOMAIN.test(host) && !IPV6.test(host)) return null;
  const port = url.port;
  const text = `${protocol}//${wildcard ? '*.' : ''}${host}${port ? `:${port}` : ''}`;
  return { text, protocol, host, port, wildcard };
}

/**
 * Whether a page origin (the browser's `Origin` header, already canonical) is on the list.
 * Entries are read through the same parser, so a hand-written row in another case or with a
 * trailing slash still matches, and a malformed one matches nothing.
 */
export function originAllowed(origin: string, allowList: readonly string[]): boolean {
  let page: URL;
  try {
    page = new URL(origin);
  } catch {
    return false;
  }
  if (page.origin !== origin) return false;
  return allowList.some((entry) => {
    const pattern = parseOriginPattern(entry);
    if (!pattern) return false;
    if (!pattern.wildcard) return pattern.text === origin;
    return (
      page.protocol === pattern.protocol &&
      page.port === pattern.port &&
      page.hostname.endsWith(`.${pattern.host}`)
    );
  });
}
