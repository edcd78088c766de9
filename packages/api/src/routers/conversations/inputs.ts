import type { Identity } from '@platform/auth';
import { z } from 'zod';
import type { Actor } from '../../conversations/actor.ts';
import { DomainError } from '../../errors.ts';

export const conversationId = z.uuid({ message: 'must be a conversation id (UUID)' });
export const byId = z.strictObject({ id: conversationId });

/** The signed-in member as a conversation actor; the tenant comes from their session only. */
export function memberActor(identity: Identity): Actor {
  if (!identity.tenantId)
    throw new DomainError('FORBIDDEN', 'This account belongs to no organisation');
  return {
    kind: 'member',
    tenantId: identity.tenantId,
    userId: identity.userId,
    name: identity.name,
  };
}

export const tagName = z
  .string()
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(40, { message: 'must be at most 40 characters' })
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u, {
    message: 'may hold letters, digits, spaces, _ . -',
  });
