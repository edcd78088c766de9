import { schema } from '@platform/db';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../../audit.ts';
import { DomainError } from '../../errors.ts';
import { tenantRequiresMfa } from '../../mfa-gate.ts';
import { adminProcedure } from '../../procedures.ts';

const input = z.strictObject({ requireMfa: z.boolean({ message: 'must be true or false' }) });

/**
 * Requires (or stops requiring) two-factor authentication of every member of the caller's
 * organisation (tenants.settings.requireMfa). Members without it are then refused by every
 * tenant procedure but the enrolment ones until they enrol. An admin must have MFA on
 * before requiring it, so the policy never locks out the person who set it.
 */
export const setPolicy = adminProcedure.input(input).mutation(async ({ ctx, input }) => {
  const t = schema.tenants;
  const before = await tenantRequiresMfa(ctx.tx);
  if (input.requireMfa) {
    const [me] = await ctx.tx
      .select({ enabled: schema.users.twoFactorEnabled })
      .from(schema.users)
      .where(eq(schema.users.id, ctx.identity.userId));
    if (!me?.enabled)
      throw new DomainError(
        'BAD_REQUEST',
        'requireMfa: turn on two-factor authentication for your own account first',
        'requireMfa',
      );
  }
  if (before !== input.requireMfa) {
    // Merged into the settings object, so other settings written meanwhile are kept.
    await ctx.tx
      .update(t)
      .set({
        settings: sql`${t.settings} || jsonb_build_object('requireMfa', ${input.requireMfa}::boolean)`,
      })
      .where(eq(t.id, ctx.tenantId));
    await audit(ctx, {
      action: 'mfa.policy_changed',
      resourceType: 'tenant',
      resourceId: ctx.tenantId,
      metadata: { before: { requireMfa: before }, after: { requireMfa: input.requireMfa } },
    });
  }
  return { requireMfa: input.requireMfa };
});
