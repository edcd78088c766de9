import type { BusEvent } from '@platform/realtime';

const MEMBER_ONLY_MESSAGE_FIELDS = [
  'tier',
  'provider',
  'model',
  'cacheHit',
  'costMicros',
  'latency',
] as const;

/**
 * An event as a widget visitor may see it: no cost, model or routing details, and no member
 * user ids. Members get events as published.
 */
export function forVisitor(event: BusEvent): BusEvent {
  if (event.type === 'conversation.updated') {
    const conversation = event.data.conversation as Record<string, unknown> | undefined;
    if (!conversation) return event;
    const { tags: _t, assignedUserId: _a, handoffReason: _h, ...visible } = conversation;
    return { ...event, data: { ...event.data, conversation: visible } };
  }
  if (event.type !== 'message.created') return event;
  const message = event.data.message as Record<string, unknown> | undefined;
  if (!message) return event;
  const visible: Record<string, unknown> = { ...message };
  for (const field of MEMBER_ONLY_MESSAGE_FIELDS) visible[field] = null;
  const author = message.author as Record<string, unknown> | undefined;
  if (author) visible.author = { ...author, userId: null };
  return { ...event, data: { ...event.data, message: visible } };
}
