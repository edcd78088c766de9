import { schema } from '@platform/db';
import { documentColumns } from '@platform/knowledge';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { notFound } from '../../errors.ts';
import { tenantProcedure } from '../../procedures.ts';
import { uuid } from './inputs.ts';

const d = schema.knowledgeDocuments;

export const getInput = z.strictObject({ documentId: uuid() });

/** One document: its status, stage and progress (poll it, or watch the progress events). */
export const get = tenantProcedure.input(getInput).query(async ({ ctx, input }) => {
  const [doc] = await ctx.tx
    .select(documentColumns)
    .from(d)
    .where(and(eq(d.tenantId, ctx.tenantId), eq(d.id, input.documentId)));
  if (!doc) throw notFound('Document');
  return doc;
});
