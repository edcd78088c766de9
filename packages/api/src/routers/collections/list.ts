import { schema } from '@platform/db';
import { asc, count, eq } from 'drizzle-orm';
import { tenantProcedure } from '../../procedures.ts';

const col = schema.collections;
const d = schema.knowledgeDocuments;

/** The organisation's collections with how many documents each holds. */
export const list = tenantProcedure.query(async ({ ctx }) => {
  const items = await ctx.tx
    .select({
      id: col.id,
      name: col.name,
      description: col.description,
      documents: count(d.id),
      createdAt: col.createdAt,
    })
    .from(col)
    .leftJoin(d, eq(d.collectionId, col.id))
    .where(eq(col.tenantId, ctx.tenantId))
    .groupBy(col.id)
    .orderBy(asc(col.name));
  return { items };
});
