import { schema } from '@platform/db';
import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { tenantProcedure } from '../../procedures.ts';

const u = schema.users;
const m = schema.memberships;

export const listInput = z
  .strictObject({
    limit: z.number().int().min(1).max(200).default(50),
    offset: z.number().int().min(0).max(1_000_000).default(0),
  })
  .default({ limit: 50, offset: 0 });

/** Members of the current organisation, oldest first. */
export const list = tenantProcedure.input(listInput).query(async ({ ctx, input }) => {
  const rows = await ctx.tx
    .select({
      id: u.id,
      name: u.name,
      email: u.email,
      image: u.image,
      role: m.role,
      joinedAt: m.createdAt,
    })
    .from(m)
    .innerJoin(u, eq(u.id, m.userId))
    .where(eq(m.tenantId, ctx.tenantId))
    .orderBy(asc(m.createdAt), asc(m.id))
    .limit(input.limit + 1)
    .offset(input.offset);
  return {
    items: rows.slice(0, input.limit),
    nextOffset: rows.length > input.limit ? input.offset + input.limit : null,
  };
});
