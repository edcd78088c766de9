import { authedProcedure } from '../../procedures.ts';
import { byId, memberActor } from './inputs.ts';

export const get = authedProcedure
  .input(byId)
  .query(({ ctx, input }) => ctx.conversations.get(memberActor(ctx.identity), input.id));
