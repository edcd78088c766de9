import { trustedOrigins } from '@platform/auth';
import type { Config } from '@platform/config';

/** Origins whose pages may act with a member's session cookie: the platform's own, plus ALLOWED_ORIGINS. */
export function memberOrigins(config: Config): Set<string> {
  const extra = (config.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => new URL(o).origin);
  return new Set([...trustedOrigins(config), ...extra]);
}

/**
 * Whether a page origin is on a widget's allow-list: exact origins (`https://shop.example.com`)
 * or wildcard subdomains (`https://*.example.com`, which does not match example.com itself).
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
    const wildcard = /^(https?):\/\/\*\.([^/:]+)(?::(\d+))?$/.exec(entry.trim());
    if (!wildcard) return entry.trim().replace(/\/$/, '') === origin;
    const [, scheme, domain, port] = wildcard;
    return (
      page.protocol === `${scheme}:` &&
      page.hostname.endsWith(`.${domain}`) &&
      page.port === (port ?? '')
    );
  });
}
