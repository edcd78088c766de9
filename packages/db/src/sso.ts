import { sql } from 'drizzle-orm';
import { isUuid } from './roles.ts';
import type { Tx } from './types.ts';

/**
 * What signing in through an organisation's single sign-on needs to know before any tenant is
 * known: the enabled connection (SECURITY DEFINER look-ups platform_sso_by_domain and
 * platform_sso_connection, migration 0010). The client secret stays encrypted here.
 */
export type SsoConnectionRecord = {
  connectionId: string;
  tenantId: string;
  protocol: 'oidc' | 'saml';
  issuer: string;
  clientId: string;
  clientSecretEncrypted: string | null;
  samlMetadata: string | null;
  defaultRole: 'viewer' | 'member' | 'admin';
  /** Only from the look-up by id (the callback checks the email's domain against them). */
  domains: string[];
};

type Row = Record<string, unknown>;

function recordOf(row: Row | undefined): SsoConnectionRecord | null {
  if (!row) return null;
  return {
    connectionId: String(row.connection_id),
    tenantId: String(row.tenant_id),
    protocol: row.protocol === 'saml' ? 'saml' : 'oidc',
    issuer: String(row.issuer),
    clientId: String(row.client_id),
    clientSecretEncrypted: row.client_secret_encrypted ? String(row.client_secret_encrypted) : null,
    samlMetadata: row.saml_metadata ? String(row.saml_metadata) : null,
    defaultRole:
      row.default_role === 'admin' ? 'admin' : row.default_role === 'viewer' ? 'viewer' : 'member',
    domains: (row.domains as string[] | null | undefined) ?? [],
  };
}

const firstRow = (result: unknown): Row | undefined => (result as { rows: Row[] }).rows[0];

/** The enabled connection that owns this (lower-cased) email domain, or null. */
export async function ssoByDomainIn(tx: Tx, domain: string): Promise<SsoConnectionRecord | null> {
  return recordOf(
    firstRow(await tx.execute(sql`select * from platform_sso_by_domain(${domain.toLowerCase()})`)),
  );
}

/** An enabled connection by id, with its domains, or null (also for a malformed id). */
export async function ssoConnectionIn(
  tx: Tx,
  connectionId: string,
): Promise<SsoConnectionRecord | null> {
  if (!isUuid(connectionId)) return null;
  return recordOf(
    firstRow(await tx.execute(sql`select * from platform_sso_connection(${connectionId}::uuid)`)),
  );
}
