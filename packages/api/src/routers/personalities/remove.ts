import { removePersonality } from '@platform/ai';
import { auditActor } from '../../audit.ts';
import { adminProcedure } from '../../procedures.ts';
import { byIdInput } from './inputs.ts';

/** Deletes a personality with its versions; the default cannot be deleted (409). Audited. */
export const remove = adminProcedure.input(byIdInput).mutation(async ({ ctx, input }) => {
  await removePersonality(ctx.tx, ctx.tenantId, input.id, auditActor(ctx));
  return { id: input.id, deleted: true };
});
