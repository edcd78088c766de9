import type { schema } from '@platform/db';
import { DomainError } from '../errors.ts';

export type MemberRole = (typeof schema.memberRoles)[number];

/**
 * Who acts on a conversation. The tenant always comes from the authenticated identity: a
 * member's session, a visitor token bound to one widget, or the operator's CLI.
 */
export type Actor =
  | { kind: 'member'; tenantId: string; userId: string; name: string }
  | {
      kind: 'visitor';
      tenantId: string;
      visitorId: string;
      widgetId: string;
      name: string | null;
      personalityId: string | null;
    }
  | { kind: 'operator'; tenantId: string; name: string };

/** An actor whose membership has been checked in the current transaction. */
export type CheckedActor = Actor & { role?: MemberRole };

type ConversationRow = typeof schema.chatSessions.$inferSelect;

/**
 * Members and the operator see every conversation of their tenant (RLS already keeps other
 * tenants' rows out); a visitor sees only the conversations it started through its own widget.
 * Anything else is NOT_FOUND, so ids of other people's conversations are not confirmed.
 */
export function assertCanSee(actor: Actor, row: ConversationRow | undefined): ConversationRow {
  if (!row) throw new DomainError('NOT_FOUND', 'Conversation not found');
  if (
    actor.kind === 'visitor' &&
    (row.visitorId !== actor.visitorId || row.widgetId !== actor.widgetId)
  )
    throw new DomainError('NOT_FOUND', 'Conversation not found');
  return row;
}

export function assertMember(
  actor: Actor,
  action: string,
): asserts actor is Extract<Actor, { kind: 'member' }> {
  if (actor.kind !== 'member') throw new DomainError('FORBIDDEN', `Only members can ${action}`);
}

export const actorName = (actor: Actor): string | null =>
  actor.kind === 'visitor' ? actor.name : actor.name;
