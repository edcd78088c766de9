import { tenantProcedure } from '../../procedures.ts';
import { listWidgets } from '../../widgets/store.ts';

/** The organisation's widgets, newest first, each with its settings and defaults filled in. */
export const list = tenantProcedure.query(async ({ ctx }) => ({
  items: await listWidgets(ctx.tx, ctx.tenantId),
}));
