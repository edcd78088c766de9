import { z } from 'zod';
import { authedProcedure } from '../../procedures.ts';
import { memberActor, tagName } from './inputs.ts';

/** The inbox: filters, full-text search over messages, and cursor paging. */
export const list = authedProcedure
  .input(
    z
      .strictObject({
        status: z
          .array(z.enum(['open', 'waiting', 'resolved']))
          .max(3)
          .optional(),
        channel: z
          .array(z.enum(['widget', 'dashboard', 'meeting', 'api']))
          .max(4)
          .optional(),
        handler: z.enum(['ai', 'human']).optional(),
        assignee: z
          .union([
            z.enum(['me', 'unassigned']),
            z.uuid({ message: 'must be me, unassigned or a user id' }),
          ])
          .optional(),
        tag: tagName.optional(),
        search: z.string().trim().min(1).max(200).optional(),
        cursor: z.string().min(1).max(500).optional(),
        limit: z.number().int().min(1).max(100).optional(),
      })
      .default({}),
  )
  .query(({ ctx, input }) => ctx.conversations.list(memberActor(ctx.identity), input));
