import { schema } from '@platform/db';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../../audit.ts';
import { notFound } from '../../errors.ts';
import { adminProcedure } from '../../procedures.ts';
import { alertColumns } from './columns.ts';

const a = schema.budgetAlerts;

export const ackInput = z.strictObject({ id: z.uuid({ message: 'must be a UUID' }) });

/** Marks a budget alert as seen; acknowledging it again returns it unchanged. Audited. */
export const ack = adminProcedure.input(ackInput).mutation(async ({ ctx, input }) => {
  const [current] = await ctx.tx
    .select(alertColumns)
    .from(a)
    .where(and(eq(a.tenantId, ctx.tenantId), eq(a.id, input.id)))
    .for('update');
  if (!current) throw notFound('Alert');
  if (current.acknowledgedAt) return current;
  const [row] = await ctx.tx
    .update(a)
    .set({ acknowledgedAt: new Date(), acknowledgedBy: ctx.identity.userId })
    .where(and(eq(a.tenantId, ctx.tenantId), eq(a.id, input.id)))
    .returning(alertColumns);
  if (!row) throw notFound('Alert');
  await audit(ctx, {
    action: 'budget_alert.acknowledged',
    resourceType: 'budget_alert',
    resourceId: input.id,
    metadata: { month: row.month, thresholdPercent: row.thresholdPercent },
  });
  return row;
});
