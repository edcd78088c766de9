import { schema } from '@platform/db';
import { and, eq, isNull } from 'drizzle-orm';
import { audit } from '../../audit.ts';
import { DomainError } from '../../errors.ts';
import { adminProcedure } from '../../procedures.ts';
import { revokeInput } from './inputs.ts';
import { apiKeyColumns, apiKeyView } from './view.ts';

const k = schema.apiKeys;

/**
 * Revokes a key for good: from then on it answers 401, at once on this instance and within
 * API_KEY_CACHE_SECONDS on the others. Revoking a revoked key changes nothing. Another
 * tenant's key looks like one that does not exist. Audited.
 */
export const revoke = adminProcedure.input(revokeInput).mutation(async ({ ctx, input }) => {
  const mine = and(eq(k.tenantId, ctx.tenantId), eq(k.id, input.id));
  const [row] = await ctx.tx
    .update(k)
    .set({ revokedAt: new Date() })
    .where(and(mine, isNull(k.revokedAt)))
    .returning(apiKeyColumns);
  if (!row) {
    const [already] = await ctx.tx.select(apiKeyColumns).from(k).where(mine);
    if (!already) throw new DomainError('NOT_FOUND', 'API key not found', 'id');
    return apiKeyView(already);
  }
  // This process stops trusting its cached copy now; until the commit lands, the cache looks
  // the key up afresh on every use (see createApiKeyResolver), so the revocation holds at once.
  ctx.apiKeys?.forget(row.id);
  await audit(ctx, {
    action: 'api_key.revoked',
    resourceType: 'api_key',
    resourceId: row.id,
    metadata: { name: row.name, scopes: row.scopes, prefix: row.prefix },
  });
  return apiKeyView(row);
});
