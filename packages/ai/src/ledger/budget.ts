import {
  type ActorLike,
  actorUserIdOf,
  appendAudit,
  asAuditActor,
  auditChanges,
  schema,
  type Tx,
} from '@platform/db';
import { and, eq, sql } from 'drizzle-orm';
import type { BudgetAlertEvent } from '../events.ts';
import type { BudgetState, ExhaustedPolicy } from '../router/route.ts';

export const DEFAULT_THRESHOLDS = [50, 80, 100];

export interface BudgetSettings {
  /** Null: no limit. */
  monthlyLimitMicros: number | null;
  alertThresholds: number[];
  downgradeAtPercent: number;
  exhaustedPolicy: ExhaustedPolicy;
}

export interface BudgetStatus extends BudgetSettings {
  month: string;
  spentMicros: number;
  state: BudgetState;
  /** Spent as a share of the limit, in percent (null without a limit). */
  percentUsed: number | null;
}

/** First day of the UTC month, as a date string. */
export const monthOf = (at: Date): string =>
  `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}-01`;

export function stateOf(settings: BudgetSettings, spentMicros: number): BudgetState {
  const limit = settings.monthlyLimitMicros;
  if (limit === null) return 'unlimited';
  if (spentMicros >= limit) return 'exhausted';
  if (spentMicros * 100 >= limit * settings.downgradeAtPercent) return 'nearly_exhausted';
  return 'ok';
}

const b = schema.budgets;
const BUDGET_FIELDS = [
  'monthlyLimitMicros',
  'alertThresholds',
  'downgradeAtPercent',
  'exhaustedPolicy',
] as const;
const s = schema.budgetSpend;

export async function readBudgetSettings(tx: Tx, tenantId: string): Promise<BudgetSettings> {
  const [row] = await tx.select().from(b).where(eq(b.tenantId, tenantId));
  return {
    monthlyLimitMicros: row?.monthlyLimitMicros ?? null,
    alertThresholds: row?.alertThresholds ?? DEFAULT_THRESHOLDS,
    downgradeAtPercent: row?.downgradeAtPercent ?? 90,
    exhaustedPolicy: row?.exhaustedPolicy ?? 'tier1',
  };
}

export async function readBudgetStatus(
  tx: Tx,
  tenantId: string,
  at = new Date(),
): Promise<BudgetStatus> {
  const settings = await readBudgetSettings(tx, tenantId);
  const month = monthOf(at);
  const [spend] = await tx
    .select({ spent: s.spentMicros })
    .from(s)
    .where(and(eq(s.tenantId, tenantId), eq(s.month, month)));
  const spentMicros = spend?.spent ?? 0;
  const limit = settings.monthlyLimitMicros;
  return {
    ...settings,
    month,
    spentMicros,
    state: stateOf(settings, spentMicros),
    percentUsed:
      limit === null ? null : limit === 0 ? 100 : Math.round((spentMicros * 10000) / limit) / 100,
  };
}

export async function writeBudgetSettings(
  tx: Tx,
  tenantId: string,
  settings: BudgetSettings,
  actor: ActorLike,
): Promise<void> {
  const before = await readBudgetSettings(tx, tenantId);
  const values = {
    ...settings,
    alertThresholds: [...new Set(settings.alertThresholds)].sort((x, y) => x - y),
    updatedBy: actorUserIdOf(actor),
  };
  await tx
    .insert(b)
    .values({ tenantId, ...values })
    .onConflictDoUpdate({ target: b.tenantId, set: { ...values, updatedAt: new Date() } });
  await appendAudit(tx, tenantId, {
    ...asAuditActor(actor),
    action: 'budget.updated',
    resourceType: 'budget',
    resourceId: tenantId,
    metadata: auditChanges(before, values, BUDGET_FIELDS),
  });
}

/**
 * Adds a call's cost to the month's running spend (one row lock per tenant and month, in the
 * same transaction as the cost event) and raises every alert threshold the spend has reached
 * and that has not fired this month. Each new alert gets an audit entry; the events are
 * returned for the caller to publish after commit.
 */
export async function chargeBudget(
  tx: Tx,
  tenantId: string,
  costMicros: number,
  at = new Date(),
): Promise<BudgetAlertEvent[]> {
  const month = monthOf(at);
  const [row] = await tx
    .insert(s)
    .values({ tenantId, month, spentMicros: costMicros })
    .onConflictDoUpdate({
      target: [s.tenantId, s.month],
      set: { spentMicros: sql`${s.spentMicros} + ${costMicros}` },
    })
    .returning({ spent: s.spentMicros });
  const spent = row?.spent ?? costMicros;
  const settings = await readBudgetSettings(tx, tenantId);
  const limit = settings.monthlyLimitMicros;
  if (limit === null) return [];
  const reached = settings.alertThresholds.filter((t) => spent * 100 >= limit * t);
  const events: BudgetAlertEvent[] = [];
  for (const thresholdPercent of reached) {
    const [alert] = await tx
      .insert(schema.budgetAlerts)
      .values({ tenantId, month, thresholdPercent, budgetMicros: limit, spentMicros: spent })
      .onConflictDoNothing()
      .returning({ id: schema.budgetAlerts.id });
    if (!alert) continue;
    await appendAudit(tx, tenantId, {
      actorType: 'system',
      action: 'budget.threshold_reached',
      resourceType: 'budget_alert',
      resourceId: alert.id,
      metadata: { month, thresholdPercent, budgetMicros: limit, spentMicros: spent },
    });
    events.push({
      type: 'budget.alert',
      tenantId,
      alertId: alert.id,
      month,
      thresholdPercent,
      budgetMicros: limit,
      spentMicros: spent,
    });
  }
  return events;
}
