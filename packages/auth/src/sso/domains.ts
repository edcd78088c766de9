/**
 * Email domains an SSO connection may claim. A connection decides who may sign in as anyone
 * with an email at its domains, so the list is strict: lower-case DNS names with a dot, and
 * never a public mailbox provider (claiming gmail.com would let one organisation's identity
 * provider speak for every Gmail user).
 */

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TOP_LEVEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** Mailbox providers whose addresses belong to the people, not to an organisation. */
export const PUBLIC_EMAIL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'yahoo.com',
  'ymail.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'pm.me',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  'mail.com',
  'yandex.com',
  'yandex.ru',
  'mail.ru',
  'qq.com',
  '163.com',
  '126.com',
  'zoho.com',
  'fastmail.com',
  'hey.com',
  'tutanota.com',
]);

export const MAX_SSO_DOMAINS = 20;

/** Why `domain` (already trimmed and lower-cased) cannot be claimed, or null when it can. */
export function domainProblem(domain: string): string | null {
  if (domain.length > 253) return `${domain.slice(0, 40)}… is longer than 253 characters`;
  const labels = domain.split('.');
  const top = labels.at(-1) ?? '';
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || !TOP_LEVEL.test(top))
    return `${domain} is not a domain name (e.g. example.com)`;
  if (PUBLIC_EMAIL_DOMAINS.has(domain))
    return `${domain} is a public email provider; only an organisation's own domain can use single sign-on`;
  return null;
}

/** The lower-cased domain of an email address, or null when it has none. */
export function emailDomain(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1) return null;
  return email
    .slice(at + 1)
    .trim()
    .toLowerCase();
}
