import { schema } from '@platform/db';
import { removeDocument } from '@platform/knowledge';
import { z } from 'zod';
import { notFound } from '../../errors.ts';
import { adminProcedure } from '../../procedures.ts';
import { uuid } from './inputs.ts';

export const removeInput = z.strictObject({ documentId: uuid() });

/** Deletes a document with its passages and original; audited. */
export const remove = adminProcedure.input(removeInput).mutation(async ({ ctx, input }) => {
  if (!(await removeDocument(ctx.tx, ctx.tenantId, input.documentId))) throw notFound('Document');
  await ctx.tx.insert(schema.auditLogs).values({
    tenantId: ctx.tenantId,
    actorUserId: ctx.identity.userId,
    actorType: 'user',
    action: 'knowledge.document_deleted',
    resourceType: 'knowledge_document',
    resourceId: input.documentId,
  });
  return { documentId: input.documentId, deleted: true };
});
