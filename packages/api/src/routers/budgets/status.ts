import { type BudgetStatus, microsToUsd } from '@platform/ai';

/** A budget status with its money also in US dollars, for people. */
export const withUsd = (status: BudgetStatus) => ({
  ...status,
  monthlyLimitUsd:
    status.monthlyLimitMicros === null ? null : microsToUsd(status.monthlyLimitMicros),
  spentUsd: microsToUsd(status.spentMicros),
});
