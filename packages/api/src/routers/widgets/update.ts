import { z } from 'zod';
import { auditActor } from '../../audit.ts';
import { DomainError } from '../../errors.ts';
import { adminProcedure } from '../../procedures.ts';
import { widgetPatch } from '../../widgets/fields.ts';
import { updateWidget } from '../../widgets/store.ts';
import { uuid } from './inputs.ts';

export const updateInput = z.strictObject({ id: uuid(), ...widgetPatch.shape });

/**
 * Edits a widget: fields left out keep their values, and settings merge field by field
 * (`settings: { theme: { primaryColor } }` changes that colour only). Audited.
 */
export const update = adminProcedure.input(updateInput).mutation(({ ctx, input }) => {
  const { id, ...patch } = input;
  if (!Object.values(patch).some((v) => v !== undefined))
    throw new DomainError('BAD_REQUEST', 'input: nothing to change', 'input');
  return updateWidget(ctx.tx, ctx.tenantId, id, patch, auditActor(ctx));
});
