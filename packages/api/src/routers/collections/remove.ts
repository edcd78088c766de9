import { schema } from '@platform/db';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../../audit.ts';
import { notFound } from '../../errors.ts';
import { adminProcedure } from '../../procedures.ts';

const col = schema.collections;

export const removeInput = z.strictObject({ collectionId: z.uuid({ message: 'must be a UUID' }) });

/** Deletes a collection; its documents stay, outside any collection. Audited. */
export const remove = adminProcedure.input(removeInput).mutation(async ({ ctx, input }) => {
  const [row] = await ctx.tx
    .delete(col)
    .where(and(eq(col.tenantId, ctx.tenantId), eq(col.id, input.collectionId)))
    .returning({ id: col.id, name: col.name });
  if (!row) throw notFound('Collection');
  // The documents' foreign key sets null; their passages carry the collection too.
  await ctx.tx
    .update(schema.knowledgeChunks)
    .set({ collectionId: null })
    .where(eq(schema.knowledgeChunks.collectionId, input.collectionId));
  await audit(ctx, {
    action: 'collection.deleted',
    resourceType: 'collection',
    resourceId: input.collectionId,
    metadata: { before: { name: row.name } },
  });
  return { collectionId: input.collectionId, deleted: true };
});
