import { appendAudit, schema } from '@platform/db';
import { eq, sql } from 'drizzle-orm';
import {
  DEFAULT_HANDOFF_RULES,
  forgetHandoffRules,
  handoffRulesInput,
} from '../../conversations/handoff-rules.ts';
import { adminProcedure, tenantProcedure } from '../../procedures.ts';

/** When the assistant hands conversations to a human (low confidence, keywords). */
export const handoffRules = tenantProcedure.query(async ({ ctx }) => {
  const [row] = await ctx.tx
    .select({ settings: schema.tenants.settings })
    .from(schema.tenants)
    .where(eq(schema.tenants.id, ctx.tenantId));
  const parsed = handoffRulesInput.safeParse(row?.settings?.handoff);
  return parsed.success ? parsed.data : DEFAULT_HANDOFF_RULES;
});

export const setHandoffRules = adminProcedure
  .input(handoffRulesInput)
  .mutation(async ({ ctx, input }) => {
    await ctx.tx
      .update(schema.tenants)
      .set({
        settings: sql`jsonb_set(${schema.tenants.settings}, '{handoff}', ${JSON.stringify(input)}::jsonb)`,
      })
      .where(eq(schema.tenants.id, ctx.tenantId));
    await appendAudit(ctx.tx, ctx.tenantId, {
      actorUserId: ctx.identity.userId,
      action: 'conversations.handoff_rules.set',
      resourceType: 'tenant',
      resourceId: ctx.tenantId,
      metadata: { rules: input },
    });
    forgetHandoffRules(ctx.tenantId);
    return input;
  });
