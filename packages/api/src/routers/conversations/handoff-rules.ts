import { auditChanges, schema, type Tx } from '@platform/db';
import { eq, sql } from 'drizzle-orm';
import { audit } from '../../audit.ts';
import {
  DEFAULT_HANDOFF_RULES,
  forgetHandoffRules,
  handoffRulesInput,
} from '../../conversations/handoff-rules.ts';
import { adminProcedure, tenantProcedure } from '../../procedures.ts';

async function storedRules(tx: Tx, tenantId: string) {
  const [row] = await tx
    .select({ settings: schema.tenants.settings })
    .from(schema.tenants)
    .where(eq(schema.tenants.id, tenantId));
  const parsed = handoffRulesInput.safeParse(row?.settings?.handoff);
  return parsed.success ? parsed.data : DEFAULT_HANDOFF_RULES;
}

/** When the assistant hands conversations to a human (low confidence, keywords). */
export const handoffRules = tenantProcedure.query(({ ctx }) => storedRules(ctx.tx, ctx.tenantId));

/** Replaces the rules; audited with the fields that changed, before and after. */
export const setHandoffRules = adminProcedure
  .input(handoffRulesInput)
  .mutation(async ({ ctx, input }) => {
    const before = await storedRules(ctx.tx, ctx.tenantId);
    await ctx.tx
      .update(schema.tenants)
      .set({
        settings: sql`jsonb_set(${schema.tenants.settings}, '{handoff}', ${JSON.stringify(input)}::jsonb)`,
      })
      .where(eq(schema.tenants.id, ctx.tenantId));
    await audit(ctx, {
      action: 'handoff_rules.updated',
      resourceType: 'tenant',
      resourceId: ctx.tenantId,
      metadata: auditChanges(before, input, ['lowConfidence', 'keywords']),
    });
    forgetHandoffRules(ctx.tenantId);
    return input;
  });
