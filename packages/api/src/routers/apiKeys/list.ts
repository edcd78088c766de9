import { schema } from '@platform/db';
import { asc, desc, eq } from 'drizzle-orm';
import { adminProcedure } from '../../procedures.ts';
import { apiKeyColumns, apiKeyView } from './view.ts';

const k = schema.apiKeys;

/** The organisation's API keys, newest first, with their status; never a secret or its hash. */
export const list = adminProcedure.query(async ({ ctx }) => {
  const rows = await ctx.tx
    .select(apiKeyColumns)
    .from(k)
    .where(eq(k.tenantId, ctx.tenantId))
    .orderBy(desc(k.createdAt), asc(k.id));
  return { items: rows.map((row) => apiKeyView(row)) };
});
