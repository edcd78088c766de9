import { schema } from '@platform/db';
import { assertCollection, documentColumns, syncChunkFilters } from '@platform/knowledge';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { DomainError, notFound } from '../../errors.ts';
import { adminProcedure } from '../../procedures.ts';
import { tagsInput, uuid } from './inputs.ts';

const d = schema.knowledgeDocuments;

export const updateInput = z.strictObject({
  documentId: uuid(),
  title: z.string().trim().min(1, { message: 'must not be empty' }).max(300).optional(),
  /** null takes the document out of its collection. */
  collectionId: uuid().nullable().optional(),
  tags: tagsInput.optional(),
});

/** Renames, re-files or re-tags a document; its passages follow at once (no re-ingestion). */
export const update = adminProcedure.input(updateInput).mutation(async ({ ctx, input }) => {
  const { documentId, ...change } = input;
  // An empty change would be an UPDATE without SET (a 500): name something to change.
  if (!Object.values(change).some((v) => v !== undefined))
    throw new DomainError('BAD_REQUEST', 'input: nothing to change', 'input');
  if (change.collectionId) await assertCollection(ctx.tx, change.collectionId);
  const [doc] = await ctx.tx
    .update(d)
    .set(change)
    .where(and(eq(d.tenantId, ctx.tenantId), eq(d.id, documentId)))
    .returning(documentColumns);
  if (!doc) throw notFound('Document');
  await syncChunkFilters(ctx.tx, documentId, change);
  return doc;
});
