import { auditActor } from '../../audit.ts';
import { adminProcedure } from '../../procedures.ts';
import { removeWidget } from '../../widgets/store.ts';
import { byIdInput } from './inputs.ts';

/** Deletes a widget: its key is refused from then on; its conversations are kept. Audited. */
export const remove = adminProcedure.input(byIdInput).mutation(async ({ ctx, input }) => {
  await removeWidget(ctx.tx, ctx.tenantId, input.id, auditActor(ctx));
  return { id: input.id, deleted: true };
});
