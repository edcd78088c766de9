import { createSsoIssuers, readIdpMetadata, type SsoIssuers } from '@platform/auth';
import { outboundUrlProblem } from '@platform/config';
import { schema, type Tx } from '@platform/db';
import { and, arrayOverlaps, eq, ne, sql } from 'drizzle-orm';
import { DomainError } from '../../errors.ts';

const c = schema.ssoConnections;

/** Without the server's settings (no context), only https issuers: the production policy. */
const strictIssuers = createSsoIssuers({ allowHttpLocalhost: false });
export const issuersOf = (ctx: { sso?: SsoIssuers }) => ctx.sso ?? strictIssuers;

/**
 * Refuses (400 naming `issuer`) an issuer URL outside the policy, or one whose discovery
 * document cannot be fetched or is not OpenID Connect.
 */
export async function assertIssuer(ctx: { sso?: SsoIssuers }, issuer: string): Promise<void> {
  const problem = await issuersOf(ctx).check(issuer);
  if (problem) throw new DomainError('BAD_REQUEST', `issuer: ${problem}`, 'issuer');
}

/**
 * Refuses (409 naming `domains`) a domain another enabled connection already claims, in any
 * organisation (platform_sso_by_domain, SECURITY DEFINER), or any connection of this one.
 * A transaction-scoped advisory lock serialises the claims, so two organisations racing for
 * one domain cannot both win. The answer says a domain is taken, never by whom.
 */
export async function assertDomainsFree(
  tx: Tx,
  tenantId: string,
  domains: string[],
  selfId: string,
): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('platform_sso_domains'))`);
  for (const domain of domains) {
    const result = await tx.execute(
      sql`select connection_id from platform_sso_by_domain(${domain})`,
    );
    const owner = (result as unknown as { rows: { connection_id: string }[] }).rows[0];
    if (owner && owner.connection_id !== selfId) throw taken(domain);
  }
  // This organisation's own connections, disabled ones too (the look-up sees enabled only).
  const [mine] = await tx
    .select({ domains: c.domains })
    .from(c)
    .where(and(eq(c.tenantId, tenantId), ne(c.id, selfId), arrayOverlaps(c.domains, domains)))
    .limit(1);
  const clash = mine?.domains.find((d) => domains.includes(d));
  if (clash) throw taken(clash);
}

const taken = (domain: string) =>
  new DomainError(
    'CONFLICT',
    `domains: ${domain} already belongs to a single sign-on connection`,
    'domains',
  );

/**
 * The IdP's settings from its metadata, or 400 naming `samlMetadata`: not well-formed XML, no
 * signing certificate, no HTTP-Redirect SingleSignOnService, or an SSO URL outside the issuer
 * URL policy (https; http for localhost outside production; never a link-local or cloud
 * metadata address, also after DNS). The server never fetches that URL (browsers go there),
 * but it is held to the same rule as every URL a tenant chooses.
 */
export async function assertSamlMetadata(ctx: { sso?: SsoIssuers }, xml: string) {
  const read = readIdpMetadata(xml);
  const refused = (problem: string) =>
    new DomainError('BAD_REQUEST', `samlMetadata: ${problem}`, 'samlMetadata');
  if ('problem' in read) throw refused(read.problem);
  const problem = issuersOf(ctx).urlProblem(read.ssoUrl) ?? (await outboundUrlProblem(read.ssoUrl));
  if (problem) throw refused(`its SingleSignOnService Location ${problem}`);
  return read;
}
