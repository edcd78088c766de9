import { add, button, h, icon, show } from './dom.ts';
import { trapTab } from './focus.ts';
import { type Locale, t } from './i18n.ts';
import { messageNode } from './message-view.ts';
import type { Item, Store } from './store.ts';
import { retheme, stylesheets } from './styles.ts';
import type { Theme } from './theme.ts';

/** What the view asks of the controller; every action is already guarded there. */
export type ViewActions = {
  toggle(open: boolean): void;
  send(text: string): void;
  input(text: string): void;
  stop(): void;
  handoff(): void;
  rate(value: 1 | -1): void;
  retry(clientMessageId: string): void;
  dismiss(): void;
};

/** UI state that is not the conversation's. */
export type UiState = {
  open: boolean;
  online: boolean;
  error: string | null;
  hint: string | null;
  greeting: string;
  visitor: string | null;
};

export type Position = 'bottom-right' | 'bottom-left';

/**
 * The widget's DOM, in an open shadow root on its own host element. Open rather than closed:
 * a closed root is no security boundary (the host page runs first and can patch
 * attachShadow), while an open one lets browser tests and assistive tooling reach in. The
 * shadow root keeps the page's CSS out and ours in.
 */
export class View {
  readonly host = h('div', { 'data-chat-widget': '' });
  private readonly _root: ShadowRoot;
  private readonly _sheets: ReturnType<typeof stylesheets>;
  private readonly _nodes = new WeakMap<
    Item,
    { el: HTMLElement; version: number; epoch: number }
  >();
  private _epoch = 0;
  private readonly _wrap = h('div', {});
  private readonly _panel = h('section', {
    class: 'panel',
    id: 'p',
    role: 'dialog',
    'aria-modal': 'true',
    'aria-labelledby': 't',
    hidden: '',
  });
  private readonly _title = h('h2', { id: 't' });
  private readonly _sub = h('p', {});
  private readonly _as = h('p', {});
  private readonly _close: HTMLButtonElement;
  private readonly _off = h('div', { class: 'bar off', role: 'status' });
  private readonly _errText = h('span', {});
  private readonly _dismiss: HTMLButtonElement;
  private readonly _err = h('div', { class: 'bar err', role: 'alert' }, this._errText);
  private readonly _msgs = h('div', { class: 'msgs' });
  private readonly _greet = h('div', { class: 'b' });
  private readonly _typing = h('div', { class: 'bar' });
  private readonly _rateText = h('span', {});
  private readonly _up: HTMLButtonElement;
  private readonly _down: HTMLButtonElement;
  private readonly _rate = h('div', { class: 'bar' }, this._rateText);
  private readonly _human: HTMLButtonElement;
  private readonly _hint = h('p', { class: 'hint', id: 'hint', role: 'status' });
  private readonly _input = h('textarea', { rows: '1', 'aria-describedby': 'hint' });
  private readonly _stop: HTMLButtonElement;
  private readonly _send = h('button', { type: 'submit', class: 'send' });
  private readonly _live = h('div', { class: 'sr', 'aria-live': 'polite' });
  private readonly _launcher: HTMLButtonElement;

  constructor(
    private locale: Locale,
    theme: Theme,
    position: Position,
    private readonly actions: ViewActions,
    container?: HTMLElement,
  ) {
    this._root = this.host.attachShadow({ mode: 'open' });
    this._sheets = stylesheets(theme);
    this._root.adoptedStyleSheets = [this._sheets.base, this._sheets.theme];
    const a = actions;
    this._close = button({ class: 'x' }, () => a.toggle(false), '×');
    this._dismiss = button({}, () => a.dismiss(), '×');
    this._err.append(this._dismiss);
    this._up = button({ class: 'th' }, () => a.rate(1), icon('up'));
    this._down = button({ class: 'th' }, () => a.rate(-1), icon('down'));
    this._rate.append(this._up, this._down);
    this._human = button({}, () => a.handoff());
    this._stop = button({}, () => a.stop());
    this._launcher = button(
      { class: 'launch', 'aria-haspopup': 'dialog', 'aria-controls': 'p' },
      () => a.toggle(this._panel.hidden),
      icon(),
    );

    const form = h('form', {}, this._input, this._stop, this._send);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      a.send(this._input.value);
    });
    this._input.addEventListener('keydown', (e) => {
      // Enter sends, Shift+Enter is a new line; Enter while an IME composes belongs to the IME.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        a.send(this._input.value);
      }
    });
    this._input.addEventListener('input', () => a.input(this._input.value));
    this._panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        a.toggle(false);
      } else if (e.key === 'Tab') trapTab(e, this._root, this._panel);
    });

    add(
      this._panel,
      h('header', {}, h('div', {}, this._title, this._sub, this._as), this._close),
      this._off,
      this._err,
      add2(this._msgs, h('div', { class: 'm a' }, this._greet)),
      this._typing,
      this._rate,
      h('div', { class: 'act' }, this._human),
      this._hint,
      form,
      this._live,
    );
    add(this._wrap, this._panel, this._launcher);
    this._root.append(this._wrap);
    this.setPosition(position, !!container);
    this._labels();
    (container ?? document.body).append(this.host);
  }

  setPosition(position: Position, inline = this._wrap.classList.contains('in')) {
    this._wrap.className = `w ${position === 'bottom-left' ? 'l' : 'r'}${inline ? ' in' : ''}`;
  }

  setTheme(theme: Theme) {
    retheme(this._sheets.theme, theme);
  }

  setLocale(locale: Locale) {
    this.locale = locale;
    this._epoch++;
    this._labels();
  }

  /** Words that do not depend on the conversation: set once, and again when the locale changes. */
  private _labels() {
    const l = this.locale;
    this._panel.setAttribute('dir', l.dir);
    this._panel.setAttribute('lang', l.lang);
    this._close.setAttribute('aria-label', t(l, 'close'));
    this._dismiss.setAttribute('aria-label', t(l, 'dismiss'));
    this._off.textContent = t(l, 'offline');
    this._up.setAttribute('aria-label', t(l, 'up'));
    this._down.setAttribute('aria-label', t(l, 'down'));
    this._human.textContent = t(l, 'human');
    this._input.setAttribute('aria-label', t(l, 'input'));
    this._input.placeholder = t(l, 'placeholder');
    this._stop.textContent = t(l, 'stop');
    this._send.textContent = t(l, 'send');
  }

  /** Redraws from state; only messages whose version changed are rebuilt. */
  update(store: Store, ui: UiState) {
    const l = this.locale;
    show(this._panel, ui.open);
    this._launcher.setAttribute('aria-expanded', String(ui.open));
    this._launcher.setAttribute('aria-label', t(l, ui.open ? 'close' : 'open'));
    const c = store.conversation;
    const human = c?.answeredBy.kind === 'human';
    this._title.textContent = c?.answeredBy.name ?? t(l, human ? 'agent' : 'assistant');
    this._sub.textContent = t(l, c?.status === 'waiting' ? 'waiting' : human ? 'byHuman' : 'byAi');
    this._as.textContent = ui.visitor ? t(l, 'as', { name: ui.visitor }) : '';
    show(this._off, !ui.online);
    show(this._err, !!ui.error);
    this._errText.textContent = ui.error ?? '';
    this._greet.textContent = ui.greeting;
    this._messages(store.items);

    const typing =
      store.typing !== null
        ? t(l, 'typing', { name: store.typing || t(l, 'agent') })
        : store.awaiting
          ? t(l, 'writing')
          : '';
    this._typing.textContent = typing;
    show(this._typing, !!typing);
    const last = store.items[store.items.length - 1];
    const rateable =
      !!c &&
      last?.state === 'sent' &&
      last.message.author.type === 'ai' &&
      last.message.role === 'assistant';
    const rated = c?.rating?.scale === 'thumbs' ? c.rating.value : 0;
    show(this._rate, rateable);
    this._rateText.textContent = t(l, rated ? 'thanks' : 'rate');
    this._up.setAttribute('aria-pressed', String(rated === 1));
    this._down.setAttribute('aria-pressed', String(rated === -1));
    show(this._human, !human && c?.status !== 'waiting');
    show(this._stop, store.streaming);
    this._hint.textContent = ui.hint ?? '';
    show(this._hint, !!ui.hint);
    this._input.setAttribute('aria-invalid', String(!!ui.hint));
  }

  private _messages(items: Item[]) {
    const box = this._msgs;
    const stick = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
    // Child 0 is the greeting; messages follow in store order. Nodes are reused and moved only
    // when out of place, so an open <details> or a focused button survives a redraw.
    let at = 1;
    const keep = new Set<Node>([box.firstChild as Node]);
    for (const item of items) {
      let node = this._nodes.get(item);
      if (!node || node.version !== item.version || node.epoch !== this._epoch) {
        const el = messageNode(item, this.locale, this.actions.retry);
        if (node) node.el.replaceWith(el);
        node = { el, version: item.version, epoch: this._epoch };
        this._nodes.set(item, node);
      }
      keep.add(node.el);
      if (box.children[at] !== node.el) box.insertBefore(node.el, box.children[at] ?? null);
      at++;
    }
    for (const child of [...box.children]) if (!keep.has(child)) child.remove();
    if (stick) box.scrollTop = box.scrollHeight;
  }

  /** Says something to screen readers through the polite live region. */
  announce(text: string) {
    this._live.textContent = '';
    setTimeout(() => {
      this._live.textContent = text;
    }, 50);
  }

  clearInput() {
    this._input.value = '';
  }

  focusInput() {
    this._input.focus();
    this._msgs.scrollTop = this._msgs.scrollHeight;
  }

  focusLauncher() {
    this._launcher.focus();
  }

  destroy() {
    this.host.remove();
  }
}

/** `add` that returns the parent, for building trees inline. */
function add2<T extends Node>(parent: T, ...children: Node[]): T {
  add(parent, ...children);
  return parent;
}
