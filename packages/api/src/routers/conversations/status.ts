import { z } from 'zod';
import { authedProcedure } from '../../procedures.ts';
import { byId, conversationId, memberActor, tagName } from './inputs.ts';

export const resolve = authedProcedure
  .input(byId)
  .mutation(({ ctx, input }) => ctx.conversations.resolve(memberActor(ctx.identity), input.id));

export const reopen = authedProcedure
  .input(byId)
  .mutation(({ ctx, input }) => ctx.conversations.reopen(memberActor(ctx.identity), input.id));

export const tag = authedProcedure
  .input(
    z
      .strictObject({
        id: conversationId,
        add: z.array(tagName).max(30).optional(),
        remove: z.array(tagName).max(30).optional(),
      })
      .refine((v) => v.add?.length || v.remove?.length, {
        message: 'add or remove at least one tag',
        path: ['add'],
      }),
  )
  .mutation(({ ctx, input }) =>
    ctx.conversations.tag(memberActor(ctx.identity), input.id, {
      ...(input.add ? { add: input.add } : {}),
      ...(input.remove ? { remove: input.remove } : {}),
    }),
  );

/** Thumbs (-1 or 1) or CSAT (1..5), with an optional comment. */
export const rate = authedProcedure
  .input(
    z.strictObject({
      id: conversationId,
      scale: z.enum(['thumbs', 'csat']),
      value: z.number().int(),
      comment: z.string().trim().max(1000).optional(),
    }),
  )
  .mutation(({ ctx, input }) =>
    ctx.conversations.rate(memberActor(ctx.identity), input.id, {
      scale: input.scale,
      value: input.value,
      ...(input.comment ? { comment: input.comment } : {}),
    }),
  );
