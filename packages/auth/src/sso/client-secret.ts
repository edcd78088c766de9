import type { SsoDeps } from './context.ts';
import { refuse } from './errors.ts';
import { parseSpKey, type SpKeyPair } from './saml/sp-key.ts';
import { ssoSecretContext } from './secrets.ts';

type Sealed = { connectionId: string; tenantId: string; clientSecretEncrypted: string | null };

/**
 * The connection's client secret, opened; null, logged at warn for operators, when none is
 * stored or it cannot be opened: the key it was sealed with changed (AUTH_SECRET or
 * PROVIDER_KEYS_SECRET rotated) or the ciphertext is damaged. Only an administrator entering
 * the secret again (sso.update) mends it; sso.list flags such connections.
 */
export function openClientSecret(deps: Pick<SsoDeps, 'secrets' | 'log'>, conn: Sealed) {
  const where = { connectionId: conn.connectionId, tenantId: conn.tenantId };
  if (!conn.clientSecretEncrypted) {
    deps.log.warn(where, 'sso connection has no client secret; an administrator must enter it');
    return null;
  }
  try {
    return deps.secrets.decrypt(
      conn.clientSecretEncrypted,
      ssoSecretContext(conn.tenantId, conn.connectionId),
    );
  } catch {
    // The cipher's error says nothing useful and nothing secret; the connection is what matters.
    deps.log.warn(
      where,
      'sso client secret cannot be decrypted (encryption key changed or value damaged); an administrator must enter it again',
    );
    return null;
  }
}

/**
 * A SAML connection's service-provider key pair (for encrypted assertions), opened; null when
 * the connection has none (made before keys were) or it cannot be opened (logged as above).
 */
export function openSpKey(deps: Pick<SsoDeps, 'secrets' | 'log'>, conn: Sealed): SpKeyPair | null {
  if (!conn.clientSecretEncrypted) return null;
  const opened = openClientSecret(deps, conn);
  return opened === null ? null : parseSpKey(opened);
}

/** What the person signing in is told when the connection's secret cannot be used. */
export const misconfigured = () =>
  refuse(
    'client_secret_unreadable',
    'SERVICE_UNAVAILABLE',
    'SSO_MISCONFIGURED',
    'This organisation’s single sign-on is misconfigured (its client secret can no longer be read); an administrator must enter the client secret again. Until then, sign in another way',
  );
