import { auditActor } from '../../audit.ts';
import { adminProcedure } from '../../procedures.ts';
import { widgetFields } from '../../widgets/fields.ts';
import { createWidget } from '../../widgets/store.ts';

export const createInput = widgetFields;

/** A new widget with a fresh public key; settings left out take their defaults. Audited. */
export const create = adminProcedure
  .input(createInput)
  .mutation(({ ctx, input }) => createWidget(ctx.tx, ctx.tenantId, input, auditActor(ctx)));
