import { readBudgetSettings, readBudgetStatus, writeBudgetSettings } from '@platform/ai';
import { schema } from '@platform/db';
import { z } from 'zod';
import { auditActor } from '../../audit.ts';
import { adminProcedure } from '../../procedures.ts';
import { withUsd } from './status.ts';

const percent = z
  .number()
  .int({ message: 'must be a whole percentage' })
  .min(1, 'must be between 1 and 100')
  .max(100, 'must be between 1 and 100');

export const setInput = z.strictObject({
  /** US dollars per calendar month (UTC); null removes the limit. */
  monthlyLimitUsd: z
    .number()
    .min(0, 'must not be negative')
    .max(1_000_000_000, 'must be at most 1,000,000,000')
    .nullable(),
  /** Percentages of the limit that each raise one alert a month. */
  alertThresholds: z
    .array(percent)
    .min(1, 'must list at least one threshold')
    .max(10, 'must list at most 10 thresholds')
    .refine((list) => new Set(list).size === list.length, 'must not repeat a threshold')
    .optional(),
  /** From this share of the limit the router stays on tier 1. */
  downgradeAtPercent: percent.optional(),
  /** What happens once the limit is reached. */
  exhaustedPolicy: z.enum(schema.exhaustedPolicies).optional(),
});

/** Sets the monthly budget; settings left out keep their current values. Audited. */
export const set = adminProcedure.input(setInput).mutation(async ({ ctx, input }) => {
  const current = await readBudgetSettings(ctx.tx, ctx.tenantId);
  await writeBudgetSettings(
    ctx.tx,
    ctx.tenantId,
    {
      monthlyLimitMicros:
        input.monthlyLimitUsd === null ? null : Math.round(input.monthlyLimitUsd * 1e6),
      alertThresholds: input.alertThresholds ?? current.alertThresholds,
      downgradeAtPercent: input.downgradeAtPercent ?? current.downgradeAtPercent,
      exhaustedPolicy: input.exhaustedPolicy ?? current.exhaustedPolicy,
    },
    auditActor(ctx),
  );
  return withUsd(await readBudgetStatus(ctx.tx, ctx.tenantId));
});
