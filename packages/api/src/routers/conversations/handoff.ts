import { z } from 'zod';
import { authedProcedure } from '../../procedures.ts';
import { byId, conversationId, memberActor } from './inputs.ts';

/** Hands the conversation to a person: it waits in the inbox until a member claims it. */
export const requestHuman = authedProcedure
  .input(
    z.strictObject({ id: conversationId, reason: z.string().trim().min(1).max(200).optional() }),
  )
  .mutation(({ ctx, input }) =>
    ctx.conversations.requestHuman(memberActor(ctx.identity), input.id, input.reason),
  );

/** Takes the conversation: the assistant stays silent while the member holds it. */
export const claim = authedProcedure
  .input(byId)
  .mutation(({ ctx, input }) => ctx.conversations.claim(memberActor(ctx.identity), input.id));

/** Hands the conversation back to the assistant. */
export const release = authedProcedure
  .input(byId)
  .mutation(({ ctx, input }) => ctx.conversations.release(memberActor(ctx.identity), input.id));
