import type { BusHealth, BusListener, EventBus } from './bus.ts';
import { compareEventIds, type EventId, EventIdClock } from './event-id.ts';
import type { BusEvent, NewEvent } from './events.ts';

/**
 * The embedded default: one process, no Redis. It keeps the last `maxLen` events per tenant
 * (the stream's MAXLEN) for reconnecting clients; delivery is asynchronous, as with Redis, so a
 * publisher never runs its listeners inside its own call.
 */
export class MemoryBus implements EventBus {
  readonly #clock = new EventIdClock();
  readonly #history = new Map<string, BusEvent[]>();
  readonly #watched = new Map<string, number>();
  readonly #listeners = new Set<BusListener>();
  readonly #maxLen: number;
  #closed = false;

  constructor(options: { maxLen?: number } = {}) {
    this.#maxLen = options.maxLen ?? 10_000;
  }

  async publish(event: NewEvent): Promise<EventId> {
    if (this.#closed) throw new Error('event bus is closed');
    const stored: BusEvent = { ...event, id: this.#clock.next() };
    let history = this.#history.get(event.tenantId);
    if (!history) {
      history = [];
      this.#history.set(event.tenantId, history);
    }
    history.push(stored);
    // Trim in batches, like MAXLEN ~, so a full stream does not shift an array per event.
    if (history.length > this.#maxLen * 1.1) history.splice(0, history.length - this.#maxLen);
    if (this.#watched.has(event.tenantId)) queueMicrotask(() => this.#deliver(stored));
    return stored.id;
  }

  #deliver(event: BusEvent) {
    if (!this.#watched.has(event.tenantId)) return;
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // one broken listener must not starve the others
      }
    }
  }

  async watch(tenantId: string): Promise<void> {
    this.#watched.set(tenantId, (this.#watched.get(tenantId) ?? 0) + 1);
  }

  unwatch(tenantId: string): void {
    const n = (this.#watched.get(tenantId) ?? 0) - 1;
    if (n > 0) this.#watched.set(tenantId, n);
    else this.#watched.delete(tenantId);
  }

  onEvent(listener: BusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async since(tenantId: string, lastEventId: EventId, limit: number): Promise<BusEvent[] | null> {
    const history = this.#history.get(tenantId) ?? [];
    // Trimming only drops the oldest entries, so the history proves there is no gap exactly
    // when it still starts at or before lastEventId.
    const oldest = history[0];
    if (!oldest || compareEventIds(oldest.id, lastEventId) > 0) return null;
    const out: BusEvent[] = [];
    for (const event of history) {
      if (compareEventIds(event.id, lastEventId) <= 0) continue;
      out.push(event);
      if (out.length >= limit) break;
    }
    return out;
  }

  health(): BusHealth {
    return { kind: 'memory', connected: !this.#closed, pending: 0 };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }
}
