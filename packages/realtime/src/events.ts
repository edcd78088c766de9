import type { EventId } from './event-id.ts';

/** What clients can receive (protocol version 1). */
export const CLIENT_EVENT_TYPES = [
  'message.created',
  'message.delta',
  'typing',
  'presence',
  'conversation.updated',
  'budget.alert',
  'ingestion.progress',
] as const;
export type ClientEventType = (typeof CLIENT_EVENT_TYPES)[number];

/** Between server instances only; never forwarded to a client. */
export const CONTROL_EVENT_TYPES = ['generation.stop'] as const;
export type ControlEventType = (typeof CONTROL_EVENT_TYPES)[number];

export type EventType = ClientEventType | ControlEventType;

/**
 * Where an event goes: one conversation's watchers, the tenant's members (inbox, alerts,
 * ingestion), or the server instances themselves (`control`).
 */
export type Topic = `conversation:${string}` | 'tenant' | 'control';

export const conversationTopic = (conversationId: string): Topic =>
  `conversation:${conversationId}`;

export interface NewEvent {
  tenantId: string;
  topic: Topic;
  type: EventType;
  data: Record<string, unknown>;
}

export interface BusEvent extends NewEvent {
  id: EventId;
}

export function isControlEvent(event: NewEvent): boolean {
  return (CONTROL_EVENT_TYPES as readonly string[]).includes(event.type);
}
