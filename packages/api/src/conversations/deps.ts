import type { AiService } from '@platform/ai';
import type { Database, Tx } from '@platform/db';
import { conversationTopic, type EventBus, type EventType, type Topic } from '@platform/realtime';
import type { Log } from '../context.ts';
import { DomainError } from '../errors.ts';
import { assertMfaPolicy } from '../mfa-gate.ts';
import type { WidgetSnapshots } from '../widgets/snapshot.ts';
import type { Actor, MemberRole } from './actor.ts';
import type { Generations } from './generations.ts';
import type { ConversationView, MessageView } from './views.ts';
import type { VisitorLimits } from './visitor-limits.ts';

export interface ConversationDeps {
  db: Database;
  ai: AiService;
  bus: EventBus;
  generations: Generations;
  log: Log;
  /** After this long without a stored reply, another instance answers in its place. */
  replyGuardMs: number;
  /** Widgets as their visitors' requests see them (cached reads). */
  widgets: WidgetSnapshots;
  /** Widgets' limits on their visitors' messages; absent: visitors are not limited. */
  visitorLimits?: VisitorLimits;
}

/**
 * Runs fn in the actor's tenant; a member's membership (and the tenant's MFA policy) is checked
 * in the same transaction. Everything is a `write` unless the caller says it only reads, so a
 * viewer (who may read conversations but not take part) is refused by default: whether over
 * tRPC, REST or a socket, every conversation action comes through here.
 */
export function inTenant<T>(
  deps: ConversationDeps,
  actor: Actor,
  fn: (tx: Tx, role: MemberRole | null) => Promise<T>,
  access: 'read' | 'write' = 'write',
): Promise<T> {
  return deps.db.withTenant(
    actor.tenantId,
    async (tx, member) => {
      if (actor.kind === 'member' && !member)
        throw new DomainError('FORBIDDEN', 'You are not a member of this organisation');
      if (actor.kind === 'member') assertMfaPolicy(member);
      if (actor.kind === 'member' && member?.role === 'viewer' && access === 'write')
        throw new DomainError(
          'FORBIDDEN',
          'Viewers can read conversations but not take part in them',
          'role',
        );
      return fn(tx, member?.role ?? null);
    },
    actor.kind === 'member' ? { memberId: actor.userId } : {},
  );
}

/**
 * Publishes without holding up the caller: the bus keeps publish order, and an unreachable
 * Redis queues the event rather than failing the conversation.
 */
export function publish(
  deps: ConversationDeps,
  tenantId: string,
  topic: Topic,
  type: EventType,
  data: Record<string, unknown>,
): void {
  deps.bus.publish({ tenantId, topic, type, data }).catch((err: unknown) => {
    deps.log.warn({ err, type }, 'event not published');
  });
}

export function publishMessage(deps: ConversationDeps, tenantId: string, message: MessageView) {
  publish(deps, tenantId, conversationTopic(message.conversationId), 'message.created', {
    conversationId: message.conversationId,
    message,
  });
}

/**
 * A conversation's new state. A change of state (status, who answers, tags, rating) goes to
 * the conversation's watchers and the inbox; mere activity (a new message moved its preview
 * and time) to the inbox only, since the watchers already got the message itself.
 */
export function publishConversation(
  deps: ConversationDeps,
  tenantId: string,
  conversation: ConversationView,
  change: 'state' | 'activity' = 'state',
) {
  const topic = change === 'state' ? conversationTopic(conversation.id) : 'tenant';
  publish(deps, tenantId, topic, 'conversation.updated', {
    conversationId: conversation.id,
    conversation,
  });
}
