import { schema } from '@platform/db';

const a = schema.budgetAlerts;

/** What callers see of a budget alert. */
export const alertColumns = {
  id: a.id,
  month: a.month,
  thresholdPercent: a.thresholdPercent,
  budgetMicros: a.budgetMicros,
  spentMicros: a.spentMicros,
  triggeredAt: a.triggeredAt,
  acknowledgedAt: a.acknowledgedAt,
  acknowledgedBy: a.acknowledgedBy,
};
