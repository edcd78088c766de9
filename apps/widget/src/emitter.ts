/**
 * The SDK's events. A host page's handler that throws is contained (and reported to the
 * console) so one bad listener cannot break the widget or the other listeners.
 */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly _handlers = new Map<keyof Events, Set<(payload: never) => void>>();

  on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): () => void {
    let set = this._handlers.get(event);
    if (!set) {
      set = new Set();
      this._handlers.set(event, set);
    }
    set.add(handler as (payload: never) => void);
    return () => {
      set.delete(handler as (payload: never) => void);
    };
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]) {
    for (const handler of this._handlers.get(event) ?? []) {
      try {
        (handler as (p: Events[K]) => void)(payload);
      } catch (error) {
        try {
          console.warn('[chat widget] listener failed', error);
        } catch {}
      }
    }
  }

  clear() {
    this._handlers.clear();
  }
}
