import { z } from 'zod';
import { apiKeyScopesInput } from '../../api-key-scopes.ts';

const DAY_MS = 86_400_000;
/** The longest a key may live: rotate at least every two years. */
export const MAX_KEY_DAYS = 730;

export const createInput = z
  .strictObject({
    name: z
      .string({ message: 'must be a string' })
      .trim()
      .min(1, { message: 'must not be empty' })
      .max(100, { message: 'must be at most 100 characters' }),
    scopes: apiKeyScopesInput,
    /** An ISO 8601 time with its offset, e.g. 2027-01-31T00:00:00Z. */
    expiresAt: z.iso
      .datetime({
        offset: true,
        message: 'must be an ISO 8601 date-time, e.g. 2027-01-31T00:00:00Z',
      })
      .optional(),
    expiresInDays: z
      .number({ message: 'must be a number of days' })
      .int({ message: 'must be a whole number of days' })
      .min(1, { message: 'must be at least 1' })
      .max(MAX_KEY_DAYS, { message: `must be at most ${MAX_KEY_DAYS}` })
      .optional(),
    /** Requests a minute; the server's API_KEY_RATE_LIMIT_PER_MINUTE when left out. */
    rateLimitPerMinute: z
      .number({ message: 'must be a number' })
      .int({ message: 'must be a whole number' })
      .min(1, { message: 'must be at least 1' })
      .max(100_000, { message: 'must be at most 100000' })
      .optional(),
  })
  .superRefine((input, ctx) => {
    if (input.expiresAt === undefined) return;
    if (input.expiresInDays !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['expiresAt'],
        message: 'give expiresAt or expiresInDays, not both',
      });
      return;
    }
    const at = Date.parse(input.expiresAt);
    if (at <= Date.now())
      ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be in the future' });
    else if (at > Date.now() + MAX_KEY_DAYS * DAY_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['expiresAt'],
        message: `must be at most ${MAX_KEY_DAYS} days ahead`,
      });
  });

export type CreateInput = z.infer<typeof createInput>;

/** When a key made now with this input expires; null: never. */
export function expiryOf(input: CreateInput, now = Date.now()): Date | null {
  if (input.expiresAt !== undefined) return new Date(input.expiresAt);
  if (input.expiresInDays !== undefined) return new Date(now + input.expiresInDays * DAY_MS);
  return null;
}

export const revokeInput = z.strictObject({
  id: z.uuid({ message: 'must be an API key id (UUID)' }),
});
