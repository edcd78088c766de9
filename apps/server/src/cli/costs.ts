import { microsToUsd, monthOf, readBudgetStatus } from '@platform/ai';
import { sql } from 'drizzle-orm';
import { tenantBySlug } from '../tenant-by-slug.ts';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { withPlatform } from './open.ts';
import { UsageError } from './usage-error.ts';

const usage = `npm run platform -- costs --tenant <slug> [--month YYYY-MM] [--json]

Prints an organisation's model spend for the month (default: this month, UTC) by model,
read from the cost ledger, with the budget and how much of it is used.`;

const usd = (micros: number) => `$${microsToUsd(micros).toFixed(4)}`;

export const costs: Command = {
  summary: "print an organisation's model spend this month, by model",
  usage,
  async run(args, config) {
    const { values } = parseCommandArgs(
      args,
      {
        tenant: { type: 'string' },
        month: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      usage,
    );
    if (!values.tenant) throw new UsageError(`--tenant is required\n\n${usage}`);
    if (values.month && !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.month))
      throw new UsageError(`--month must look like 2026-11\n\n${usage}`);
    const month = values.month ? `${values.month}-01` : monthOf(new Date());
    const slug = values.tenant;
    return withPlatform(config, async ({ db }) => {
      const tenant = await tenantBySlug(db, slug, { createIfMissing: false });
      if (!tenant) {
        console.error(`No organisation with slug "${slug}"`);
        return 2;
      }
      const { rows, budget } = await db.withTenant(tenant.id, async (tx) => {
        const result = await tx.execute(sql`
          select provider || ':' || model as model, count(*) filter (where outcome <> 'cache_hit')::int as calls,
                 count(*) filter (where outcome = 'cache_hit')::int as cache_hits,
                 coalesce(sum(input_tokens), 0)::bigint as input_tokens, coalesce(sum(output_tokens), 0)::bigint as output_tokens,
                 coalesce(sum(cost_micros), 0)::bigint as cost_micros
            from cost_events
           where tenant_id = ${tenant.id}
             and created_at >= (${month}::date)::timestamp at time zone 'UTC'
             and created_at < ((${month}::date) + interval '1 month') at time zone 'UTC'
           group by 1 order by cost_micros desc, model`);
        const status = await readBudgetStatus(tx, tenant.id, new Date(`${month}T00:00:00Z`));
        return {
          rows: (result as unknown as { rows: Record<string, string | number>[] }).rows,
          budget: status,
        };
      });
      const byModel = rows.map((r) => ({
        model: String(r.model),
        calls: Number(r.calls),
        cacheHits: Number(r.cache_hits),
        inputTokens: Number(r.input_tokens),
        outputTokens: Number(r.output_tokens),
        costMicros: Number(r.cost_micros),
      }));
      const total = byModel.reduce((s, r) => s + r.costMicros, 0);
      if (values.json) {
        console.log(
          JSON.stringify(
            { month: month.slice(0, 7), byModel, totalMicros: total, budget },
            null,
            2,
          ),
        );
        return 0;
      }
      console.log(`${slug}: ${month.slice(0, 7)} spend by model`);
      if (!byModel.length) console.log('  (no model calls)');
      for (const r of byModel)
        console.log(
          `  ${r.model.padEnd(36)} ${String(r.calls).padStart(6)} calls ${String(r.cacheHits).padStart(5)} cached  ${r.inputTokens} in / ${r.outputTokens} out  ${usd(r.costMicros).padStart(12)}`,
        );
      console.log(`  ${'total'.padEnd(36)} ${usd(total).padStart(60)}`);
      const limit = budget.monthlyLimitMicros;
      console.log(
        limit === null
          ? '  budget: none set'
          : `  budget: ${usd(limit)} (${budget.percentUsed}% used, ${budget.state}, at 100%: ${budget.exhaustedPolicy})`,
      );
      return 0;
    });
  },
};
