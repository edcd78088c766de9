import type { BusEvent } from '@platform/realtime';

/**
 * What makes an event the same event again when the at-least-once bus delivers it twice under
 * two ids (a write retried across a Redis failure): a message, one delta of a message, one
 * budget alert. Null for events that are snapshots or moments (conversation.updated,
 * ingestion.progress, typing, presence), which a repeat cannot make wrong.
 */
export function redeliveryKey(event: BusEvent): string | null {
  const data = event.data as Record<string, unknown>;
  switch (event.type) {
    case 'message.created': {
      const id = (data.message as { id?: unknown } | undefined)?.id;
      return typeof id === 'string' ? `message:${id}` : null;
    }
    case 'message.delta':
      return typeof data.messageId === 'string' && typeof data.index === 'number'
        ? `delta:${data.messageId}:${data.index}`
        : null;
    case 'budget.alert':
      return typeof data.alertId === 'string' ? `alert:${data.alertId}` : null;
    default:
      return null;
  }
}
