import { guard } from './guard.ts';
import { type ChatWidget, createWidget } from './sdk.ts';

/**
 * The script-tag entry (dist/widget.js):
 *   <script src="https://chat.example.com/widget.js" data-widget-key="pk_..." async></script>
 * The server is wherever this script came from; optional data-locale and data-position
 * (bottom-right, bottom-left), and data-container: a CSS selector of an element the chat is
 * drawn inside, in the page's flow, instead of floating over the page. The widget is also reachable as `window.ChatWidget`.
 */
declare global {
  interface Window {
    ChatWidget?: ChatWidget;
  }
}

guard(() => {
  // currentScript is only set while this script first runs, so it is read right away; the
  // fallback finds the tag when a loader injected it in a way that leaves currentScript null.
  const script =
    (document.currentScript as HTMLScriptElement | null) ??
    document.querySelector<HTMLScriptElement>('script[data-widget-key][src]');
  const widgetKey = script?.dataset.widgetKey;
  // Included twice: one widget is enough.
  if (!script || !widgetKey || window.ChatWidget) return;
  const { locale, position, container: selector } = script.dataset;
  const start = guard(() => {
    const container = selector ? document.querySelector<HTMLElement>(selector) : null;
    window.ChatWidget ??= createWidget({
      widgetKey,
      serverUrl: new URL(script.src, location.href).origin,
      ...(locale ? { locale } : {}),
      ...(position === 'bottom-left' || position === 'bottom-right' ? { position } : {}),
      ...(container ? { container } : {}),
    });
  });
  if (document.body) start();
  else addEventListener('DOMContentLoaded', start, { once: true });
})();
