import { schema } from '@platform/db';
import { asc, eq } from 'drizzle-orm';
import { adminProcedure } from '../../procedures.ts';
import { issuersOf } from './claims.ts';
import { connectionColumns, connectionView } from './view.ts';

const c = schema.ssoConnections;

/** The organisation's single sign-on connections, oldest first; secrets only as a hint. */
export const list = adminProcedure.query(async ({ ctx }) => {
  const rows = await ctx.tx
    .select(connectionColumns)
    .from(c)
    .where(eq(c.tenantId, ctx.tenantId))
    .orderBy(asc(c.createdAt), asc(c.id));
  const redirectUri = issuersOf(ctx).redirectUri;
  return { items: rows.map((row) => connectionView(row, ctx.ai.cipher, redirectUri)) };
});
