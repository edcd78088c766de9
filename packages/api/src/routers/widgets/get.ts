import { tenantProcedure } from '../../procedures.ts';
import { getWidget } from '../../widgets/store.ts';
import { byIdInput } from './inputs.ts';

/** One widget with its public key, allow-list and settings (defaults filled in). */
export const get = tenantProcedure
  .input(byIdInput)
  .query(({ ctx, input }) => getWidget(ctx.tx, ctx.tenantId, input.id));
