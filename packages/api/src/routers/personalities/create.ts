import { createPersonality, personalityFields } from '@platform/ai';
import { z } from 'zod';
import { auditActor } from '../../audit.ts';
import { adminProcedure } from '../../procedures.ts';

export const createInput = z.strictObject(personalityFields.shape);

/** A new personality at version 1; audited. `isDefault` makes it the one answers use by default. */
export const create = adminProcedure
  .input(createInput)
  .mutation(({ ctx, input }) => createPersonality(ctx.tx, ctx.tenantId, input, auditActor(ctx)));
