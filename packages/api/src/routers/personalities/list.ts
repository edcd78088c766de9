import { listPersonalities } from '@platform/ai';
import { tenantProcedure } from '../../procedures.ts';

/** The organisation's personalities, the default first; a default is created on first use. */
export const list = tenantProcedure.query(async ({ ctx }) => ({
  items: await listPersonalities(ctx.tx, ctx.tenantId),
}));
