import type { WidgetSettings } from './wire.ts';

/**
 * What survives a reload, in localStorage under the widget's key: the visitor token and its
 * expiry (so a reload does not need a new session), the conversation and the last event seen
 * (to show it again and resume), the visitor's name and email from identify(), and the
 * widget's settings (so the theme does not flash). Storage can be missing or throw (private
 * modes, sandboxed frames, blocked cookies): the widget then keeps it in memory only.
 */
export type Saved = {
  token?: string;
  expiresAt?: string;
  visitorId?: string;
  conversationId?: string;
  lastEventId?: string;
  name?: string;
  email?: string;
  settings?: WidgetSettings;
};

/** A token is reused only while it has more than a minute left, so no call races its expiry. */
export const tokenUsable = (s: Saved, now = Date.now()) =>
  !!s.token && !!s.expiresAt && Date.parse(s.expiresAt) - now > 60_000;

export class SavedState {
  private readonly _key: string;
  private _memory: Saved = {};

  constructor(widgetKey: string) {
    this._key = `chat-widget:${widgetKey}`;
    try {
      const raw = localStorage.getItem(this._key);
      const parsed: unknown = raw ? JSON.parse(raw) : {};
      if (parsed && typeof parsed === 'object') this._memory = parsed as Saved;
    } catch {
      // Unreadable or corrupt: start afresh.
    }
  }

  get(): Saved {
    return this._memory;
  }

  /** Merges a change in; `undefined` values remove their field. */
  set(patch: Partial<Saved>) {
    const next: Record<string, unknown> = { ...this._memory, ...patch };
    for (const k of Object.keys(next)) if (next[k] === undefined) delete next[k];
    this._memory = next as Saved;
    try {
      localStorage.setItem(this._key, JSON.stringify(this._memory));
    } catch {
      // Full or forbidden: memory only.
    }
  }
}
