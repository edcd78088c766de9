import { z } from 'zod';
import {
  afterCursor,
  auditFilterShape,
  encodeCursor,
  entryView,
  filterConditions,
  selectEntries,
} from '../../audit-log/index.ts';
import { adminProcedure } from '../../procedures.ts';

export const listInput = z
  .strictObject({
    ...auditFilterShape,
    limit: z
      .number()
      .int({ message: 'must be a whole number' })
      .min(1, { message: 'must be between 1 and 200' })
      .max(200, { message: 'must be between 1 and 200' })
      .default(50),
    /** nextCursor of the previous page. */
    cursor: z.string().min(1).max(200).optional(),
  })
  .default({ limit: 50 });

/** The organisation's audit log, newest first, a page at a time. Owners and admins only. */
export const list = adminProcedure.input(listInput).query(async ({ ctx, input }) => {
  const { limit, cursor, ...filters } = input;
  const where = filterConditions(ctx.tenantId, filters);
  if (cursor) where.push(afterCursor(cursor));
  const rows = await selectEntries(ctx.tx, where, limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(entryView),
    nextCursor: rows.length > limit && last ? encodeCursor(last.at, last.id) : null,
  };
});
