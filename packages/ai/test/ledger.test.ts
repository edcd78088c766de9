import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBudgetStatus, writeBudgetSettings } from '../src/ledger/budget.ts';
import { recordModelCall } from '../src/ledger/record.ts';

describe.each(testDrivers())('cost ledger and budget alerts (%s)', (driver) => {
  let t: TestDatabase;
  let tenantId: string;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
    const [row] = await t.ownerQuery<{ id: string }>(
      "insert into tenants (name, slug) values ('l', 'l') returning id",
    );
    tenantId = row?.id as string;
  });
  afterAll(() => t.close());

  // 100 input tokens of GPT-4o at $5 per million: 500 micro-dollars a call.
  const call = () =>
    t.db.withTenant(tenantId, (tx) =>
      recordModelCall(tx, tenantId, {
        ref: { provider: 'openai', model: 'gpt-4o' },
        tier: 2,
        usage: { inputTokens: 100, outputTokens: 0, cachedInputTokens: 0 },
        latencyMs: 12,
        outcome: 'ok',
      }),
    );

  it('charges each call exactly, raises each threshold once, audits it, and moves the budget state', async () => {
    await t.db.withTenant(tenantId, (tx) =>
      writeBudgetSettings(
        tx,
        tenantId,
        {
          monthlyLimitMicros: 2000,
          alertThresholds: [100, 50, 80],
          downgradeAtPercent: 75,
          exhaustedPolicy: 'tier1',
        },
        null,
      ),
    );
    const first = await call(); // 500 = 25%
    expect(first.costMicros).toBe(500);
    expect(first.priceVersion).toBe('2026-01-seed');
    expect(first.alerts).toEqual([]);
    const second = await call(); // 1000 = 50%
    expect(second.alerts.map((a) => a.thresholdPercent)).toEqual([50]);
    expect(second.alerts[0]).toMatchObject({
      type: 'budget.alert',
      tenantId,
      spentMicros: 1000,
      budgetMicros: 2000,
    });
    const status = () => t.db.withTenant(tenantId, (tx) => readBudgetStatus(tx, tenantId));
    expect((await status()).state).toBe('ok');
    const third = await call(); // 1500 = 75%: nearly exhausted, no 80% alert yet
    expect(third.alerts).toEqual([]);
    expect((await status()).state).toBe('nearly_exhausted');
    const fourth = await call(); // 2000 = 100%: 80 and 100 at once
    expect(fourth.alerts.map((a) => a.thresholdPercent)).toEqual([80, 100]);
    expect(await status()).toMatchObject({
      state: 'exhausted',
      spentMicros: 2000,
      percentUsed: 100,
    });
    expect((await call()).alerts).toEqual([]); // no alert twice in a month
    const alerts = await t.ownerQuery<{ threshold_percent: number }>(
      'select threshold_percent from budget_alerts where tenant_id = $1 order by 1',
      [tenantId],
    );
    expect(alerts.map((a) => a.threshold_percent)).toEqual([50, 80, 100]);
    const audited = await t.ownerQuery<{ n: number }>(
      "select count(*)::int as n from audit_logs where tenant_id = $1 and action = 'budget.threshold_reached'",
      [tenantId],
    );
    expect(audited[0]?.n).toBe(3);
    const [sum] = await t.ownerQuery<{ total: string }>(
      'select sum(cost_micros)::text as total from cost_events where tenant_id = $1',
      [tenantId],
    );
    expect(sum?.total).toBe('2500');
  });

  it('the runtime role cannot rewrite the ledger', async () => {
    await expect(
      t.db.withTenant(tenantId, (tx) => tx.execute(sql`update cost_events set cost_micros = 0`)),
    ).rejects.toMatchObject({
      cause: expect.objectContaining({ message: expect.stringMatching(/permission denied/) }),
    });
  });
});
