import { z } from 'zod';
import { authedProcedure } from '../../procedures.ts';
import { conversationId, memberActor } from '../conversations/inputs.ts';

/**
 * chat.send for tRPC callers: the whole answer comes back at once, while everyone watching the
 * conversation over /ws sees it stream. The text limit is REALTIME_MAX_MESSAGE_BYTES.
 */
export const send = authedProcedure
  .input(
    z.strictObject({
      conversationId,
      text: z.string().trim().min(1, { message: 'must not be empty' }),
      clientMessageId: z.string().min(1).max(100).optional(),
    }),
  )
  .mutation(async ({ ctx, input, signal }) => {
    ctx.limits.checkMessage(input.text);
    return ctx.conversations.send(
      memberActor(ctx.identity),
      {
        conversationId: input.conversationId,
        text: input.text,
        ...(input.clientMessageId ? { clientMessageId: input.clientMessageId } : {}),
      },
      signal ? { signal } : {},
    );
  });

/** Stops the answer being written in a conversation, whichever instance is writing it. */
export const stop = authedProcedure
  .input(z.strictObject({ conversationId }))
  .mutation(({ ctx, input }) =>
    ctx.conversations.stopAnswer(memberActor(ctx.identity), input.conversationId),
  );
