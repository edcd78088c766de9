import { z } from 'zod';
import { notFound } from '../../errors.ts';
import { sessionProcedure } from './procedure.ts';

export const revokeInput = z.strictObject({ id: z.uuid({ message: 'must be a UUID' }) });

/**
 * Ends one of the caller's sessions (the current one too: that is signing out). Someone
 * else's session id answers NOT_FOUND, exactly like an id that does not exist.
 */
export const revoke = sessionProcedure.input(revokeInput).mutation(async ({ ctx, input }) => {
  if (!(await ctx.sessions.revoke(ctx.identity.userId, input.id))) throw notFound('Session');
  return { id: input.id, current: input.id === ctx.identity.sessionId };
});
