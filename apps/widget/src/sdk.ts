import { Emitter } from './emitter.ts';
import { guard } from './guard.ts';
import { type Visitor, Widget, type WidgetEvents, type WidgetOptions } from './widget.ts';

/**
 * @platform/widget-sdk: the chat widget as an ES module. The script-tag build (main.ts) calls
 * the same createWidget. Nothing here throws into the host page: a widget that cannot start
 * (no constructable stylesheets, a bad serverUrl) returns a handle whose methods do nothing
 * and reports the problem through its 'error' event.
 */

export type { Citation, Conversation, Message } from './wire.ts';
export type { Visitor, WidgetEvents, WidgetOptions };

export interface ChatWidget {
  open(): void;
  close(): void;
  /** Names the visitor: the name goes to the server with their session and conversation; the email is kept and shown in the widget only (the server has no field for it yet). */
  identify(visitor: Visitor): void;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof WidgetEvents>(
    event: K,
    handler: (payload: WidgetEvents[K]) => void,
  ): () => void;
  /** Switches the language live (en, de, ar; others fall back to English). */
  setLocale(locale: string): void;
  /** Removes the widget and closes its connection. */
  destroy(): void;
}

/** Browsers the widget supports: constructable stylesheets are how it styles under a strict CSP. */
const supported = () =>
  typeof document !== 'undefined' &&
  typeof ShadowRoot !== 'undefined' &&
  'adoptedStyleSheets' in ShadowRoot.prototype &&
  typeof CSSStyleSheet !== 'undefined' &&
  'replaceSync' in CSSStyleSheet.prototype;

export function createWidget(options: WidgetOptions): ChatWidget {
  let widget: Widget | null = null;
  let failure: unknown = null;
  try {
    if (!supported()) throw new Error('this browser lacks constructable stylesheets');
    widget = new Widget(options);
  } catch (error) {
    failure = error;
  }
  if (!widget) {
    // Reported after return, so a handler attached right away still hears about it.
    const events = new Emitter<WidgetEvents>();
    const noop = () => {};
    Promise.resolve().then(() => events.emit('error', { code: 'error', message: String(failure) }));
    return {
      open: noop,
      close: noop,
      identify: noop,
      setLocale: noop,
      destroy: noop,
      on: (e, h) => events.on(e, h),
    };
  }
  const w = widget;
  // Started after return for the same reason: 'ready' must reach handlers attached right away.
  Promise.resolve().then(guard(() => w.start()));
  return {
    open: guard(() => w.open()),
    close: guard(() => w.close()),
    identify: guard((visitor: Visitor) => w.identify(visitor ?? {})),
    setLocale: guard((locale: string) => w.setLocale(String(locale))),
    destroy: guard(() => w.destroy()),
    on: (event, handler) => guard(() => w.events.on(event, handler))() ?? (() => {}),
  };
}
