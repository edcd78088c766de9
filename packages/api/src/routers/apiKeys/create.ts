import { newApiKey } from '@platform/auth';
import { schema } from '@platform/db';
import { audit } from '../../audit.ts';
import { adminProcedure } from '../../procedures.ts';
import { createInput, expiryOf } from './inputs.ts';
import { apiKeyColumns, apiKeyView } from './view.ts';

/**
 * A new API key for the caller's organisation. The answer holds the key itself (`key`) this
 * once: only its SHA-256 and its first characters are stored. Only owners and admins create
 * keys, so no scope can exceed what its creator holds; the key acts for its creator. Audited
 * (name, scopes, prefix; never the key).
 */
export const create = adminProcedure.input(createInput).mutation(async ({ ctx, input }) => {
  const { key, hash, prefix } = newApiKey();
  const [row] = await ctx.tx
    .insert(schema.apiKeys)
    .values({
      tenantId: ctx.tenantId,
      name: input.name,
      prefix,
      keyHash: hash,
      scopes: input.scopes,
      rateLimitPerMinute: input.rateLimitPerMinute ?? null,
      createdBy: ctx.identity.userId,
      expiresAt: expiryOf(input),
    })
    .returning(apiKeyColumns);
  if (!row) throw new Error('apiKeys.create: insert returned no row');
  await audit(ctx, {
    action: 'api_key.created',
    resourceType: 'api_key',
    resourceId: row.id,
    metadata: {
      name: row.name,
      scopes: row.scopes,
      prefix: row.prefix,
      expiresAt: row.expiresAt?.toISOString() ?? null,
    },
  });
  return { ...apiKeyView(row), key };
});
