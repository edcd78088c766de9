import type { EventId } from './event-id.ts';
import type { BusEvent, NewEvent } from './events.ts';

export type BusListener = (event: BusEvent) => void;

export interface BusHealth {
  kind: 'memory' | 'redis';
  connected: boolean;
  /** Events accepted while the backend was unreachable, waiting to be written. */
  pending: number;
}

/**
 * Fan-out of tenant events across every server instance. Both implementations (in-process and
 * Redis Streams) keep a bounded per-tenant history, so a reconnecting client asks for what it
 * missed since its last event id.
 */
export interface EventBus {
  /** Appends the event to its tenant's stream; resolves to the id it was given. */
  publish(event: NewEvent): Promise<EventId>;
  /**
   * Starts (reference-counted) delivering a tenant's events to the listeners of this instance.
   * Resolves once events published from now on are guaranteed to be delivered.
   */
  watch(tenantId: string): Promise<void>;
  unwatch(tenantId: string): void;
  /** Every event of a watched tenant, in stream order, once each. */
  onEvent(listener: BusListener): () => void;
  /**
   * The tenant's events after `lastEventId`, oldest first, at most `limit`; null when the stream
   * no longer reaches back that far (trimmed, or lost in a restart), so the caller must fall
   * back to the database.
   */
  since(tenantId: string, lastEventId: EventId, limit: number): Promise<BusEvent[] | null>;
  health(): BusHealth;
  close(): Promise<void>;
}
