import { getPersonality } from '@platform/ai';
import { tenantProcedure } from '../../procedures.ts';
import { byIdInput } from './inputs.ts';

/** One personality as it is now (its earlier versions: `personalities.versions`). */
export const get = tenantProcedure
  .input(byIdInput)
  .query(({ ctx, input }) => getPersonality(ctx.tx, ctx.tenantId, input.id));
