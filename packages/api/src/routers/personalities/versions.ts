import { listPersonalityVersions } from '@platform/ai';
import { tenantProcedure } from '../../procedures.ts';
import { byIdInput } from './inputs.ts';

/** Every version of a personality as it was, newest first. */
export const versions = tenantProcedure.input(byIdInput).query(async ({ ctx, input }) => ({
  items: await listPersonalityVersions(ctx.tx, ctx.tenantId, input.id),
}));
