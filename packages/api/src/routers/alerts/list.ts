import { schema } from '@platform/db';
import { and, desc, eq, isNull, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { tenantProcedure } from '../../procedures.ts';
import { alertColumns } from './columns.ts';

const a = schema.budgetAlerts;

export const listInput = z
  .strictObject({
    /** Only alerts nobody has acknowledged yet. */
    unacknowledged: z.boolean().optional(),
    limit: z.number().int().min(1).max(100).default(50),
  })
  .default({ limit: 50 });

/** Budget alerts (a threshold of the monthly limit was reached), newest first. */
export const list = tenantProcedure.input(listInput).query(async ({ ctx, input }) => {
  const where: SQL[] = [eq(a.tenantId, ctx.tenantId)];
  if (input.unacknowledged) where.push(isNull(a.acknowledgedAt));
  const items = await ctx.tx
    .select(alertColumns)
    .from(a)
    .where(and(...where))
    .orderBy(desc(a.triggeredAt), desc(a.thresholdPercent), desc(a.id))
    .limit(input.limit);
  return { items };
});
