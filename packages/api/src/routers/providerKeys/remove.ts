import { removeProviderKey } from '@platform/ai';
import { z } from 'zod';
import { auditActor } from '../../audit.ts';
import { adminProcedure } from '../../procedures.ts';
import { vendorInput } from './inputs.ts';

export const removeInput = z.strictObject({ provider: vendorInput });

/** Deletes the organisation's key for a vendor; the platform's key applies again. Audited. */
export const remove = adminProcedure.input(removeInput).mutation(async ({ ctx, input }) => {
  await removeProviderKey(ctx.tx, ctx.tenantId, input.provider, auditActor(ctx));
  return { provider: input.provider, deleted: true };
});
