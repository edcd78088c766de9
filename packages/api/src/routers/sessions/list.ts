import { sessionProcedure } from './procedure.ts';

/** The caller's live sessions, most recently used first; `current` marks this one. */
export const list = sessionProcedure.query(async ({ ctx }) => ({
  items: await ctx.sessions.list(ctx.identity.userId, ctx.identity.sessionId),
}));
