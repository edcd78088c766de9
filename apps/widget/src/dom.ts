/**
 * The only way the widget makes DOM: elements by tag, attributes by setAttribute with names
 * chosen in code, and children as nodes or strings turned into text nodes. There is no path
 * from a string to markup here.
 */

export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  add(el, ...children);
  return el;
}

export function add(parent: Node, ...children: Child[]) {
  for (const c of children)
    if (c) parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
}

/** A button that runs `onClick` (already guarded by the caller). */
export function button(attrs: Record<string, string>, onClick: () => void, ...children: Child[]) {
  const b = h('button', { type: 'button', ...attrs }, ...children);
  b.addEventListener('click', onClick);
  return b;
}

/** Shows or hides an element (the `hidden` attribute; CSS makes it win over display rules). */
export const show = (el: Element, visible: boolean) => el.toggleAttribute('hidden', !visible);

const CHAT = 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z';
// A thumb (Material Icons' thumb_up, Apache-2.0): drawn, not an emoji, so it shows on systems
// without an emoji font.
const THUMB =
  'M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z';

/** An icon from a fixed path, built with createElementNS: the chat bubble, or a thumb up or down. */
export function icon(kind: 'chat' | 'up' | 'down' = 'chat'): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', kind === 'chat' ? CHAT : THUMB);
  if (kind === 'down') path.setAttribute('transform', 'rotate(180 12 12)');
  svg.appendChild(path);
  return svg;
}
