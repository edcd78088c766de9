import { schema } from '@platform/db';
import { and, eq } from 'drizzle-orm';
import { audit } from '../../audit.ts';
import { DomainError } from '../../errors.ts';
import { tenantProcedure } from '../../procedures.ts';
import { removeInput } from './inputs.ts';

const c = schema.ssoConnections;

/**
 * Deletes a connection of the caller's organisation (owners only): sign-ins through it stop
 * at once (a sign-in in flight is refused at its callback). People it provisioned stay
 * members, with their other ways to sign in. Audited.
 */
export const remove = tenantProcedure.input(removeInput).mutation(async ({ ctx, input }) => {
  const [row] = await ctx.tx
    .delete(c)
    .where(and(eq(c.tenantId, ctx.tenantId), eq(c.id, input.id)))
    .returning({ id: c.id, name: c.name, issuer: c.issuer, domains: c.domains });
  if (!row) throw new DomainError('NOT_FOUND', 'SSO connection not found', 'id');
  await audit(ctx, {
    action: 'sso.removed',
    resourceType: 'sso_connection',
    resourceId: row.id,
    metadata: { before: { name: row.name, issuer: row.issuer, domains: row.domains } },
  });
  return { id: row.id, removed: true };
});
