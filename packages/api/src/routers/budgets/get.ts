import { readBudgetStatus } from '@platform/ai';
import { tenantProcedure } from '../../procedures.ts';
import { withUsd } from './status.ts';

/** This month's budget: the settings, the spend so far and the state the router sees. */
export const get = tenantProcedure.query(async ({ ctx }) =>
  withUsd(await readBudgetStatus(ctx.tx, ctx.tenantId)),
);
