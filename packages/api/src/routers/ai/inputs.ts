import { z } from 'zod';

/** A question or message to the assistant. */
export const questionText = () =>
  z
    .string()
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(4000, { message: 'must be at most 4000 characters' });

/** Earlier turns of the conversation, oldest first. */
export const historyInput = z
  .array(
    z.strictObject({
      role: z.enum(['user', 'assistant']),
      content: z.string().max(8000, { message: 'must be at most 8000 characters' }),
    }),
  )
  .max(50, { message: 'must hold at most 50 turns' });

export const personalityIdInput = z.uuid({ message: 'must be a UUID' });
