import { auditActor } from '../../audit.ts';
import { adminProcedure } from '../../procedures.ts';
import { rotateWidgetKey } from '../../widgets/store.ts';
import { byIdInput } from './inputs.ts';

/**
 * Replaces the widget's public key, e.g. after it was embedded somewhere unwanted; the old key
 * is refused at once. Visitor sessions already issued run until they expire. Audited.
 */
export const rotateKey = adminProcedure
  .input(byIdInput)
  .mutation(({ ctx, input }) => rotateWidgetKey(ctx.tx, ctx.tenantId, input.id, auditActor(ctx)));
