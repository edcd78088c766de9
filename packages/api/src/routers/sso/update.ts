import { createSpKeyPair, sealableSpKey, ssoSecretContext } from '@platform/auth';
import { auditChanges, schema } from '@platform/db';
import { and, eq } from 'drizzle-orm';
import { audit } from '../../audit.ts';
import { DomainError } from '../../errors.ts';
import { tenantProcedure } from '../../procedures.ts';
import { assertDomainsFree, assertIssuer, assertSamlMetadata, issuersOf } from './claims.ts';
import { updateInput } from './inputs.ts';
import { connectionColumns, connectionView } from './view.ts';

const c = schema.ssoConnections;
const AUDITED = ['name', 'issuer', 'clientId', 'domains', 'defaultRole', 'enabled'] as const;

/**
 * Changes a connection of the caller's organisation (owners only). A new issuer is checked
 * like at creation; new domains, or turning a connection back on, must find the domains free
 * (409 naming `domains`). A new client secret replaces the sealed one and is never returned;
 * for SAML, `rotateSpKey` replaces the sealed SP key pair the same way.
 * Another organisation's connection looks like one that does not exist. Audited with the
 * values before and after (the secret only as "changed").
 */
export const update = tenantProcedure.input(updateInput).mutation(async ({ ctx, input }) => {
  const mine = and(eq(c.tenantId, ctx.tenantId), eq(c.id, input.id));
  const [before] = await ctx.tx.select(connectionColumns).from(c).where(mine).for('update');
  if (!before) throw new DomainError('NOT_FOUND', 'SSO connection not found', 'id');
  const saml = before.protocol === 'saml';
  // The protocol stays what it was created with; each takes only its own fields.
  const foreign = saml
    ? (['issuer', 'clientId', 'clientSecret'] as const).find((k) => input[k] !== undefined)
    : (['samlMetadata', 'rotateSpKey'] as const).find((k) => input[k] !== undefined);
  if (foreign)
    throw new DomainError(
      'BAD_REQUEST',
      `${foreign}: not used by ${saml ? 'SAML' : 'OpenID Connect'} connections`,
      foreign,
    );
  const idp =
    input.samlMetadata !== undefined ? await assertSamlMetadata(ctx, input.samlMetadata) : null;
  if (input.issuer !== undefined && input.issuer !== before.issuer)
    await assertIssuer(ctx, input.issuer);
  const domains = input.domains ?? before.domains;
  const enabled = input.enabled ?? before.enabled;
  const claimsMore =
    enabled && (!before.enabled || domains.some((d) => !before.domains.includes(d)));
  if (claimsMore) await assertDomainsFree(ctx.tx, ctx.tenantId, domains, before.id);
  const secret =
    input.clientSecret ??
    (input.rotateSpKey ? sealableSpKey(await createSpKeyPair(before.clientId)) : undefined);
  const [row] = await ctx.tx
    .update(c)
    .set({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.issuer !== undefined ? { issuer: input.issuer } : {}),
      ...(idp ? { issuer: idp.entityId, samlMetadata: input.samlMetadata } : {}),
      ...(input.clientId !== undefined ? { clientId: input.clientId } : {}),
      ...(secret !== undefined
        ? {
            clientSecretEncrypted: ctx.ai.cipher.encrypt(
              secret,
              ssoSecretContext(ctx.tenantId, before.id),
            ),
          }
        : {}),
      ...(input.domains !== undefined ? { domains } : {}),
      ...(input.defaultRole !== undefined ? { defaultRole: input.defaultRole } : {}),
      ...(input.enabled !== undefined ? { enabled } : {}),
      updatedAt: new Date(),
    })
    .where(mine)
    .returning(connectionColumns);
  if (!row) throw new DomainError('NOT_FOUND', 'SSO connection not found', 'id');
  const changes = auditChanges(before, row, [...AUDITED]);
  await audit(ctx, {
    action: 'sso.updated',
    resourceType: 'sso_connection',
    resourceId: row.id,
    metadata: {
      ...changes,
      clientSecretChanged: input.clientSecret !== undefined,
      samlMetadataChanged: input.samlMetadata !== undefined,
      spKeyRotated: input.rotateSpKey === true,
    },
  });
  return connectionView(row, ctx.ai.cipher, issuersOf(ctx).redirectUri);
});
