import { type KeyCipher, keyHint } from '@platform/ai';
import { parseSpKey, samlEndpoints, ssoSecretContext } from '@platform/auth';
import { schema } from '@platform/db';

const c = schema.ssoConnections;

/** Every column an admin may see, and the sealed secret only to show its hint. */
export const connectionColumns = {
  id: c.id,
  tenantId: c.tenantId,
  protocol: c.protocol,
  name: c.name,
  domains: c.domains,
  issuer: c.issuer,
  clientId: c.clientId,
  clientSecretEncrypted: c.clientSecretEncrypted,
  defaultRole: c.defaultRole,
  enabled: c.enabled,
  createdAt: c.createdAt,
  updatedAt: c.updatedAt,
};

type Row = {
  id: string;
  tenantId: string;
  protocol: 'oidc' | 'saml';
  name: string;
  domains: string[];
  issuer: string;
  clientId: string;
  clientSecretEncrypted: string | null;
  defaultRole: 'viewer' | 'member' | 'admin';
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
};

/**
 * The last characters of the stored secret (null when none, or it cannot be opened), and
 * whether a stored secret cannot be opened: sealed under a key since changed (AUTH_SECRET or
 * PROVIDER_KEYS_SECRET rotated) or damaged. Sign-ins through it fail until an owner enters
 * the secret again, so the admin page says so.
 */
function secretState(row: Row, cipher: KeyCipher) {
  const none = { clientSecretHint: null, encryptionCertificate: null };
  if (!row.clientSecretEncrypted) return { ...none, clientSecretUnreadable: false };
  try {
    const secret = cipher.decrypt(
      row.clientSecretEncrypted,
      ssoSecretContext(row.tenantId, row.id),
    );
    // SAML: the secret is our SP key pair; only its (public) certificate is shown.
    if (row.protocol === 'saml')
      return {
        ...none,
        encryptionCertificate: parseSpKey(secret)?.certificatePem ?? null,
        clientSecretUnreadable: false,
      };
    return { ...none, clientSecretHint: keyHint(secret), clientSecretUnreadable: false };
  } catch {
    return { ...none, clientSecretUnreadable: true };
  }
}

/**
 * A connection as admins see it: never the client secret, only its hint. `redirectUri` is
 * what to register at an OpenID Connect provider (PUBLIC_URL/api/auth/sso/callback); for SAML,
 * `saml` holds what to give the IdP: our entity ID, the ACS URL and our metadata's address
 * (all on PUBLIC_URL's origin, which redirectUri carries) and the certificate it may encrypt
 * assertions to (null for a connection made before keys were: sso.update rotateSpKey makes
 * one). `loginUrl` is the link for an IdP's app tile. `issuer` is the IdP's entityID.
 */
export function connectionView(row: Row, cipher: KeyCipher, redirectUri: string | null) {
  const saml = row.protocol === 'saml';
  const { encryptionCertificate, ...secret } = secretState(row, cipher);
  return {
    id: row.id,
    protocol: row.protocol,
    name: row.name,
    domains: row.domains,
    issuer: row.issuer,
    clientId: row.clientId,
    ...secret,
    defaultRole: row.defaultRole,
    enabled: row.enabled,
    redirectUri: saml ? null : redirectUri,
    // For the IdP's app tile ("initiate login URI"): starts a sign-in as if from our page.
    loginUrl:
      redirectUri && row.domains[0]
        ? `${new URL(redirectUri).origin}/api/auth/sso/start?domain=${encodeURIComponent(row.domains[0])}`
        : null,
    saml:
      saml && redirectUri ? { ...samlEndpoints(redirectUri, row.id), encryptionCertificate } : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
