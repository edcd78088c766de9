import { personalityPatch, updatePersonality } from '@platform/ai';
import { z } from 'zod';
import { auditActor } from '../../audit.ts';
import { DomainError } from '../../errors.ts';
import { adminProcedure } from '../../procedures.ts';
import { uuid } from './inputs.ts';

export const updateInput = z.strictObject({ id: uuid(), ...personalityPatch.shape });

/**
 * Edits a personality as a new version (the previous one stays readable in `versions`);
 * answers cached under the old version are dropped. Audited.
 */
export const update = adminProcedure.input(updateInput).mutation(({ ctx, input }) => {
  const { id, ...patch } = input;
  if (!Object.values(patch).some((v) => v !== undefined))
    throw new DomainError('BAD_REQUEST', 'input: nothing to change', 'input');
  return updatePersonality(ctx.tx, ctx.tenantId, id, patch, auditActor(ctx));
});
