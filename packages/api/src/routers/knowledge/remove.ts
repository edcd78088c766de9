import { removeDocument } from '@platform/knowledge';
import { z } from 'zod';
import { audit } from '../../audit.ts';
import { notFound } from '../../errors.ts';
import { adminProcedure } from '../../procedures.ts';
import { uuid } from './inputs.ts';

export const removeInput = z.strictObject({ documentId: uuid() });

/** Deletes a document with its passages and original; audited. */
export const remove = adminProcedure.input(removeInput).mutation(async ({ ctx, input }) => {
  if (!(await removeDocument(ctx.tx, ctx.tenantId, input.documentId))) throw notFound('Document');
  await audit(ctx, {
    action: 'document.deleted',
    resourceType: 'document',
    resourceId: input.documentId,
  });
  return { documentId: input.documentId, deleted: true };
});
