import { DomainError } from '../../errors.ts';
import { authedProcedure } from '../../procedures.ts';

/**
 * Signed in with a session (not an API key): these procedures act on the caller's own
 * sessions, global identity rows reached through the auth module, never on a tenant's.
 */
export const sessionProcedure = authedProcedure.use(async ({ ctx, next }) => {
  if (ctx.identity.kind !== 'session' || !ctx.identity.sessionId)
    throw new DomainError('FORBIDDEN', 'Managing sessions needs a signed-in session');
  return next();
});
