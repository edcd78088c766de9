import { checkProviderKey, keyHint, saveProviderKey } from '@platform/ai';
import { z } from 'zod';
import { auditActor } from '../../audit.ts';
import { DomainError } from '../../errors.ts';
import { authedProcedure, inCallerTenant, type MemberRole } from '../../procedures.ts';
import { vendorInput } from './inputs.ts';

export const setInput = z
  .strictObject({
    provider: vendorInput,
    apiKey: z
      .string()
      .trim()
      .min(8, 'must be at least 8 characters')
      .max(500, 'must be at most 500 characters'),
    /** Another endpoint speaking the vendor's API; required for `compatible`. */
    baseUrl: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .max(2000)
      .optional(),
  })
  // An OpenAI-compatible server has no default address (checkProviderKey would blame `apiKey`).
  .refine((v) => v.provider !== 'compatible' || v.baseUrl, {
    path: ['baseUrl'],
    message: 'is required for an OpenAI-compatible server',
  });

const ADMIN_ROLES: readonly MemberRole[] = ['owner', 'admin'];
const requireAdmin = (role: MemberRole) => {
  if (!ADMIN_ROLES.includes(role))
    throw new DomainError('FORBIDDEN', 'Requires the owner or admin role');
};

/**
 * Stores the organisation's own key for a vendor, encrypted; it then takes precedence over the
 * platform's. The key is checked with the vendor first (a network round trip, so outside any
 * transaction); a key the vendor rejects, or that cannot be checked, is a 400 on `apiKey` and
 * nothing is stored. Audited.
 */
export const set = authedProcedure.input(setInput).mutation(async ({ ctx, input }) => {
  // Role first, so only owners and admins can make the server contact a URL.
  await inCallerTenant(ctx.db, ctx.identity, async (_tx, _tenantId, role) => requireAdmin(role));
  await checkProviderKey(input.provider, input.apiKey, input.baseUrl);
  return inCallerTenant(ctx.db, ctx.identity, async (tx, tenantId, role) => {
    requireAdmin(role);
    await saveProviderKey(tx, tenantId, ctx.ai.cipher, input, auditActor(ctx));
    return {
      provider: input.provider,
      baseUrl: input.baseUrl ?? null,
      keyHint: keyHint(input.apiKey),
    };
  });
});
