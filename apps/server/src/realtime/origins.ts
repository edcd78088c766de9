import { trustedOrigins } from '@platform/auth';
import type { Config } from '@platform/config';

// Widget allow-lists are parsed and matched in @platform/auth, where the widgets router also
// validates what administrators save: one definition for both sides.
export { originAllowed } from '@platform/auth';

/** Origins whose pages may act with a member's session cookie: the platform's own, plus ALLOWED_ORIGINS. */
export function memberOrigins(config: Config): Set<string> {
  const extra = (config.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => new URL(o).origin);
  return new Set([...trustedOrigins(config), ...extra]);
}
