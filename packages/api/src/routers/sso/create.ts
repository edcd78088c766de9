import { randomUUID } from 'node:crypto';
import { ssoSecretContext } from '@platform/auth';
import { schema } from '@platform/db';
import { audit } from '../../audit.ts';
import { tenantProcedure } from '../../procedures.ts';
import { assertDomainsFree, assertIssuer, issuersOf } from './claims.ts';
import { createInput } from './inputs.ts';
import { connectionColumns, connectionView } from './view.ts';

/**
 * A new OpenID Connect connection for the caller's organisation (owners only: it decides who
 * may sign in and join). The issuer's discovery document is fetched first (400 naming
 * `issuer` when unusable); each domain must be free across every organisation (409 naming
 * `domains`). The client secret is sealed with the platform cipher, bound to the
 * organisation and connection, and never returned. Audited without the secret.
 */
export const create = tenantProcedure.input(createInput).mutation(async ({ ctx, input }) => {
  await assertIssuer(ctx, input.issuer);
  const id = randomUUID();
  await assertDomainsFree(ctx.tx, ctx.tenantId, input.domains, id);
  const [row] = await ctx.tx
    .insert(schema.ssoConnections)
    .values({
      id,
      tenantId: ctx.tenantId,
      protocol: 'oidc',
      name: input.name,
      domains: input.domains,
      issuer: input.issuer,
      clientId: input.clientId,
      clientSecretEncrypted: ctx.ai.cipher.encrypt(
        input.clientSecret,
        ssoSecretContext(ctx.tenantId, id),
      ),
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
