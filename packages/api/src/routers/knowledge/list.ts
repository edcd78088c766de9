import { schema } from '@platform/db';
import { documentColumns } from '@platform/knowledge';
import { and, desc, eq, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { tenantProcedure } from '../../procedures.ts';
import { uuid } from './inputs.ts';

const d = schema.knowledgeDocuments;

export const listInput = z
  .strictObject({
    collectionId: uuid().optional(),
    status: z.enum(['pending', 'processing', 'ready', 'failed']).optional(),
    limit: z.number().int().min(1).max(200).default(50),
    offset: z.number().int().min(0).max(1_000_000).default(0),
  })
  .default({ limit: 50, offset: 0 });

/** The organisation's documents, newest first, with status, stage and progress. */
export const list = tenantProcedure.input(listInput).query(async ({ ctx, input }) => {
  const where: SQL[] = [eq(d.tenantId, ctx.tenantId)];
  if (input.collectionId) where.push(eq(d.collectionId, input.collectionId));
  if (input.status) where.push(eq(d.status, input.status));
  const rows = await ctx.tx
    .select(documentColumns)
    .from(d)
    .where(and(...where))
    .orderBy(desc(d.createdAt), desc(d.id))
    .limit(input.limit + 1)
    .offset(input.offset);
  return {
    items: rows.slice(0, input.limit),
    nextOffset: rows.length > input.limit ? input.offset + input.limit : null,
  };
});
