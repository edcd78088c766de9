import { randomUUID } from 'node:crypto';
import { createSpKeyPair, samlEndpoints, sealableSpKey, ssoSecretContext } from '@platform/auth';
import { schema } from '@platform/db';
import { audit } from '../../audit.ts';
import { tenantProcedure } from '../../procedures.ts';
import { assertDomainsFree, assertIssuer, assertSamlMetadata, issuersOf } from './claims.ts';
import { type CreateInput, createInput } from './inputs.ts';
import { connectionColumns, connectionView } from './view.ts';

type Ctx = Parameters<typeof assertIssuer>[0] & {
  tenantId: string;
  ai: { cipher: { encrypt(plain: string, context: string): string } };
};

/**
 * The protocol's columns, checked. SAML: the metadata's IdP entityID is the `issuer`, the
 * metadata is stored as given, `client_id` (NOT NULL) holds our SP entity ID, and the secret
 * column holds this connection's own SP key pair (for encrypted assertions), sealed.
 */
async function protocolValues(ctx: Ctx, id: string, input: CreateInput) {
  if (input.protocol === 'saml') {
    const metadata = input.samlMetadata ?? '';
    const idp = await assertSamlMetadata(ctx, metadata);
    const redirectUri = issuersOf(ctx).redirectUri;
    const spEntityId = redirectUri ? samlEndpoints(redirectUri, id).spEntityId : `saml:${id}`;
    const spKey = sealableSpKey(await createSpKeyPair(spEntityId));
    return {
      protocol: 'saml' as const,
      issuer: idp.entityId,
      clientId: spEntityId,
      clientSecretEncrypted: ctx.ai.cipher.encrypt(spKey, ssoSecretContext(ctx.tenantId, id)),
      samlMetadata: metadata,
    };
  }
  const { issuer = '', clientId = '', clientSecret = '' } = input;
  await assertIssuer(ctx, issuer);
  return {
    protocol: 'oidc' as const,
    issuer,
    clientId,
    clientSecretEncrypted: ctx.ai.cipher.encrypt(clientSecret, ssoSecretContext(ctx.tenantId, id)),
  };
}

/**
 * A new OpenID Connect or SAML connection for the caller's organisation (owners only: it decides who
 * may sign in and join). SAML: the IdP metadata must be usable (400 naming `samlMetadata`).
 * OIDC: the issuer's discovery document is fetched first (400 naming
 * `issuer` when unusable); each domain must be free across every organisation (409 naming
 * `domains`). The client secret is sealed with the platform cipher, bound to the
 * organisation and connection, and never returned. Audited without the secret.
 */
export const create = tenantProcedure.input(createInput).mutation(async ({ ctx, input }) => {
  const id = randomUUID();
  const protocolColumns = await protocolValues(ctx, id, input);
  await assertDomainsFree(ctx.tx, ctx.tenantId, input.domains, id);
  const [row] = await ctx.tx
    .insert(schema.ssoConnections)
    .values({
      id,
      tenantId: ctx.tenantId,
      name: input.name,
      domains: input.domains,
      ...protocolColumns,
      defaultRole: input.defaultRole,
    })
    .returning(connectionColumns);
  if (!row) throw new Error('sso.create: insert returned no row');
  const view = connectionView(row, ctx.ai.cipher, issuersOf(ctx).redirectUri);
  await audit(ctx, {
    action: 'sso.created',
    resourceType: 'sso_connection',
    resourceId: row.id,
    metadata: {
      protocol: row.protocol,
      name: row.name,
      issuer: row.issuer,
      clientId: row.clientId,
      domains: row.domains,
      defaultRole: row.defaultRole,
      clientSecretHint: view.clientSecretHint,
    },
  });
  return view;
});
