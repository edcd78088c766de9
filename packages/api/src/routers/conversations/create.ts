import { z } from 'zod';
import { authedProcedure } from '../../procedures.ts';
import { memberActor } from './inputs.ts';

/** A member starts a conversation with the assistant (dashboard or API channel). */
export const create = authedProcedure
  .input(
    z.strictObject({
      channel: z.enum(['dashboard', 'api']).optional(),
      title: z.string().trim().min(1).max(200).optional(),
      personalityId: z.uuid({ message: 'must be a UUID' }).optional(),
    }),
  )
  .mutation(({ ctx, input }) => ctx.conversations.create(memberActor(ctx.identity), input));
