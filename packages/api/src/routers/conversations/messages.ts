import { z } from 'zod';
import { authedProcedure } from '../../procedures.ts';
import { conversationId, memberActor } from './inputs.ts';

/** The latest messages of a conversation, oldest first. */
export const messages = authedProcedure
  .input(z.strictObject({ id: conversationId, limit: z.number().int().min(1).max(500).optional() }))
  .query(({ ctx, input }) =>
    ctx.conversations.messages(
      memberActor(ctx.identity),
      input.id,
      input.limit ? { limit: input.limit } : {},
    ),
  );
