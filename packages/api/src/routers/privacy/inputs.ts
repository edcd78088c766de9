import { z } from 'zod';
import type { Context } from '../../context.ts';
import { DomainError } from '../../errors.ts';
import type { PrivacySettings } from '../../privacy/service.ts';

export const cancelInput = z.strictObject({
  id: z.uuid({ message: 'must be a deletion request id (UUID)' }),
});

export const listInput = z
  .strictObject({
    limit: z
      .number({ message: 'must be a number' })
      .int({ message: 'must be a whole number' })
      .min(1, { message: 'must be between 1 and 200' })
      .max(200, { message: 'must be between 1 and 200' })
      .default(50),
  })
  .default({ limit: 50 });

const DAY_MS = 86_400_000;

/** The server's GDPR settings; a context without them (a miswired caller) is refused. */
export function privacySettings(ctx: Pick<Context, 'privacy'>): PrivacySettings {
  if (!ctx.privacy)
    throw new DomainError('SERVICE_UNAVAILABLE', 'Privacy requests are not available here');
  return ctx.privacy;
}

/** When a deletion asked for now runs: the end of the grace period. */
export const dueAtFor = (settings: PrivacySettings, now = Date.now()) =>
  new Date(now + settings.graceDays * DAY_MS);
