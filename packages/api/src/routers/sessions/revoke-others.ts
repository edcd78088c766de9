import { sessionProcedure } from './procedure.ts';

/** Ends every session of the caller except this one ("sign out everywhere else"). */
export const revokeOthers = sessionProcedure.mutation(async ({ ctx }) => ({
  revoked: await ctx.sessions.revokeOthers(ctx.identity.userId, ctx.identity.sessionId),
}));
