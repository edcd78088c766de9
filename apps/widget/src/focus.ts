/**
 * Keeps keyboard focus inside the open dialog: Tab from the last control goes to the first,
 * Shift+Tab from the first to the last. Inside a shadow root the focused element is the
 * root's activeElement (document.activeElement is only the host).
 */
const FOCUSABLE =
  'button:not([disabled]),textarea:not([disabled]),a[href],summary,[tabindex]:not([tabindex="-1"])';

export function trapTab(event: KeyboardEvent, root: ShadowRoot, panel: HTMLElement) {
  // Hidden controls and those in closed <details> have no boxes and cannot take focus.
  const items = [...panel.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (el) => el.getClientRects().length > 0,
  );
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) return;
  const active = root.activeElement;
  const outside = !active || !panel.contains(active);
  if (event.shiftKey && (outside || active === first)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (outside || active === last)) {
    event.preventDefault();
    first.focus();
  }
}
