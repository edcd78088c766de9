import {
  type ConversationView,
  type MessageView,
  visitorConversation,
  visitorMessage,
} from '@platform/api';
import type { BusEvent } from '@platform/realtime';

/** An event as a widget visitor may see it (the views' own redaction); members get it as published. */
export function forVisitor(event: BusEvent): BusEvent {
  if (event.type === 'conversation.updated' && event.data.conversation) {
    const conversation = visitorConversation(event.data.conversation as ConversationView);
    return { ...event, data: { ...event.data, conversation } };
  }
  if (event.type === 'message.created' && event.data.message) {
    const message = visitorMessage(event.data.message as MessageView);
    return { ...event, data: { ...event.data, message } };
  }
  return event;
}
