import { Api, ApiError, type Visitor } from './api.ts';
import { newerEventId } from './backoff.ts';
import { Emitter } from './emitter.ts';
import { guard, setReporter } from './guard.ts';
import { errorText, type Locale, pickLocale, t } from './i18n.ts';
import { charCount, MAX_CHARS, tooLong } from './limits.ts';
import { SavedState } from './saved.ts';
import { Socket } from './socket.ts';
import { Store } from './store.ts';
import { resolveTheme } from './theme.ts';
import { type Position, type UiState, View } from './view.ts';
import type { Message, ServerFrame, WidgetSettings } from './wire.ts';

export type WidgetOptions = {
  /** The widget's public key (pk_...). */
  widgetKey: string;
  /** The platform's origin, e.g. https://chat.example.com. */
  serverUrl: string;
  /** A language tag (en, de, ar...); default: the browser's languages, then English. */
  locale?: string;
  /** Render inside this element instead of floating over the page. */
  container?: HTMLElement;
  position?: Position;
};

export type { Visitor };

export type WidgetEvents = {
  open: undefined;
  close: undefined;
  /** A message newly in the conversation: an answer, a person's reply, a note, the visitor's own. */
  message: Message;
  error: { code: string; message: string };
  ready: undefined;
};

const newId = () =>
  globalThis.crypto?.randomUUID?.() ??
  `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

/**
 * Puts the pieces together: the session and REST (api.ts), the live socket (socket.ts), the
 * conversation state (store.ts) and the DOM (view.ts). A conversation is created on the first
 * message, not on page load, so browsing visitors cost the server nothing.
 */
export class Widget {
  readonly events = new Emitter<WidgetEvents>();
  private readonly _saved: SavedState;
  private readonly _api: Api;
  private readonly _socket: Socket;
  private readonly _store: Store;
  private readonly _view: View;
  private _locale: Locale;
  private _settings: WidgetSettings;
  private _conversationId: string | null;
  private _creating: Promise<string> | null = null;
  private _ui: UiState & { errorCode: string | null; tooLong: number | null };
  private _subscribed = false;
  private _relist = false;
  private _resync = false;
  private _seq = 0;
  private readonly _requests = new Map<string, string>();
  private _typingSent = 0;
  private _typingTimer: ReturnType<typeof setTimeout> | undefined;
  private _drawing = false;
  private _destroyed = false;

  constructor(private readonly options: WidgetOptions) {
    const base = new URL(options.serverUrl).origin;
    this._saved = new SavedState(options.widgetKey);
    const saved = this._saved.get();
    this._settings = saved.settings ?? {};
    this._conversationId = saved.conversationId ?? null;
    this._locale = this._pickLocale(options.locale);
    this._ui = {
      open: false,
      online: true,
      error: null,
      errorCode: null,
      tooLong: null,
      hint: null,
      greeting: '',
      visitor: null,
    };
    setReporter((error) => this._fail(error));
    this._store = new Store(() => this._draw());
    this._api = new Api(base, options.widgetKey, this._saved, (s) =>
      this.applyWidgetSettings(s.settings),
    );
    this._socket = new Socket({
      url: async (fresh) =>
        `${base.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(await this._api.token(fresh))}`,
      up: () => this._subscribe(),
      down: () => {
        this._subscribed = false;
        this._ui.online = false;
        this._draw();
      },
      frame: (f) => this._frame(f),
    });
    const g = guard;
    this._view = new View(
      this._locale,
      resolveTheme(this._settings.theme),
      options.position ?? this._settings.position ?? 'bottom-right',
      {
        toggle: g((open: boolean) => (open ? this.open() : this.close())),
        send: g((text: string) => this.send(text)),
        input: g((text: string) => this._input(text)),
        stop: g(() => this._send({ type: 'stop', conversationId: this._conversationId ?? '' })),
        handoff: g(() => this._handoff()),
        rate: g((value: 1 | -1) => this._rate(value)),
        retry: g((id: string) => this._retry(id)),
        dismiss: g(() => this._showError(null)),
      },
      options.container,
    );
  }

  private _pickLocale(explicit?: string) {
    return pickLocale(
      explicit,
      ...(navigator.languages ?? [navigator.language]),
      this._settings.language,
    );
  }

  /**
   * Shows the conversation kept from an earlier visit, if any, and goes live. A first visit
   * asks for its session at once: it brings the widget's look (kept for later visits), so the
   * launcher has its colours and side before anyone opens it. A refusal is shown on opening.
   */
  async start() {
    try {
      if (this._conversationId) await this._load(this._conversationId);
      // Not awaited: the launcher shows at once and takes the widget's look when it arrives.
      else if (!this._saved.get().settings) void this._api.token().catch(() => {});
    } finally {
      this._draw();
      this.events.emit('ready', undefined);
    }
  }

  /**
   * The widget's settings (theme, position, greeting, language) from a session response; the
   * script tag's own attributes (position, locale) win over them.
   */
  applyWidgetSettings(settings: WidgetSettings | undefined) {
    if (!settings || typeof settings !== 'object') return;
    this._settings = settings;
    this._saved.set({ settings });
    this._view.setTheme(resolveTheme(settings.theme));
    if (!this.options.position && settings.position) this._view.setPosition(settings.position);
    this._draw();
  }

  // ---- the public actions (guarded by sdk.ts) -------------------------------------------

  open() {
    if (this._destroyed || this._ui.open) return;
    this._ui.open = true;
    this._drawNow();
    this._view.focusInput();
    this.events.emit('open', undefined);
    // Surface a refused session (wrong site, unknown key) as soon as someone looks.
    void this._api.token().catch((e: unknown) => this._fail(e));
  }

  close() {
    if (this._destroyed || !this._ui.open) return;
    const hadFocus = !!this._view.host.shadowRoot?.activeElement;
    this._ui.open = false;
    this._drawNow();
    if (hadFocus) this._view.focusLauncher();
    this.events.emit('close', undefined);
  }

  async send(text: string) {
    const value = text.trim();
    if (this._destroyed || !value) return;
    if (tooLong(value)) return this._input(value);
    const conversationId = await this._conversation();
    const clientMessageId = newId();
    this._store.pending(conversationId, value, clientMessageId);
    this._view.clearInput();
    this._ui.tooLong = null;
    if (this._typingSent) this._send({ type: 'typing', conversationId, typing: false });
    this._typingSent = 0;
    this._transmit(clientMessageId);
  }

  async identify(visitor: Visitor) {
    const name = visitor.name?.trim().slice(0, 100) || undefined;
    // zod's email pattern, as the server checks it: a malformed one is dropped here rather
    // than refused there (which would refuse the visitor's conversation with it).
    const given = visitor.email?.trim().slice(0, 200);
    const email =
      given &&
      /^(?!\.)(?!.*\.\.)([\w'+\-.]*)[\w+-]@([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/.test(given)
        ? given
        : undefined;
    const before = this._saved.get();
    if (name === before.name && email === before.email) return;
    this._saved.set({ name, email });
    this._draw();
    // Both go with a new conversation; a current one is told now, and the name also travels
    // in the visitor token (renewed), which names the visitor on the socket.
    if (!name && !email) return;
    if (this._conversationId) await this._api.identify(this._conversationId, { name, email });
    if (name !== before.name && this._saved.get().token) await this._api.token(true);
  }

  setLocale(locale: string) {
    this._locale = this._pickLocale(locale);
    this._view.setLocale(this._locale);
    this._draw();
  }

  destroy() {
    this._destroyed = true;
    this._socket.stop();
    clearTimeout(this._typingTimer);
    this._view.destroy();
    this.events.clear();
  }

  // ---- conversation ------------------------------------------------------------------------

  /** The current conversation's id, creating it on first use (once, however many ask). */
  private _conversation(): Promise<string> {
    if (this._conversationId) return Promise.resolve(this._conversationId);
    this._creating ??= this._api
      .createConversation({ name: this._saved.get().name, email: this._saved.get().email })
      .then((c) => {
        this._conversationId = c.id;
        this._saved.set({ conversationId: c.id, lastEventId: undefined });
        this._store.setConversation(c);
        this._socket.start();
        return c.id;
      })
      .finally(() => {
        this._creating = null;
      });
    return this._creating;
  }

  /** A kept conversation: its state and messages over REST, then live over the socket. */
  private async _load(id: string) {
    try {
      await this._list(id);
    } catch (error) {
      if (error instanceof ApiError && error.status && error.code === 'not_found')
        return this._forget();
      // Unreachable for now: list again once the socket is back.
      this._relist = true;
      throw error;
    } finally {
      // After the list, so the subscription resumes from what the list showed.
      if (this._conversationId) this._socket.start();
    }
  }

  private async _list(id: string) {
    const [conversation, messages] = await Promise.all([
      this._api.conversation(id),
      this._api.messages(id),
    ]);
    if (id !== this._conversationId) return;
    this._store.setConversation(conversation);
    for (const m of messages) this._store.upsert(m);
    // Resume after the newest listed message at least, so nothing between this list and the
    // subscription is lost (the server replays from its stream, or from the database).
    const last = messages[messages.length - 1];
    const saved = this._saved.get().lastEventId ?? null;
    this._store.lastEventId = last ? newerEventId(saved, `${Date.parse(last.createdAt)}-0`) : saved;
  }

  /** The conversation is gone (deleted, or this visitor's token changed): start afresh. */
  private _forget() {
    this._conversationId = null;
    this._saved.set({ conversationId: undefined, lastEventId: undefined });
    this._socket.stop();
    this._ui.online = true;
    this._store.conversation = null;
    this._store.reset();
  }

  private async _handoff() {
    const id = await this._conversation();
    this._store.setConversation(await this._api.handoff(id));
  }

  private async _rate(value: 1 | -1) {
    if (this._conversationId)
      this._store.setConversation(await this._api.rate(this._conversationId, value));
  }

  // ---- the socket --------------------------------------------------------------------------

  private _send(frame: Parameters<Socket['send']>[0]) {
    return this._conversationId ? this._socket.send(frame) : false;
  }

  private _subscribe() {
    const conversationId = this._conversationId;
    if (!conversationId) return;
    const lastEventId = this._resync ? null : this._store.lastEventId;
    this._socket.send({
      type: 'subscribe',
      requestId: 'sub',
      conversationId,
      ...(lastEventId ? { lastEventId } : {}),
    });
  }

  /** Sends a pending message, once subscribed; until then it waits in the store's outbox. */
  private _transmit(clientMessageId: string) {
    const m = this._store.outbox().find((x) => x.clientMessageId === clientMessageId);
    if (!m || !this._subscribed) return;
    const requestId = `s${++this._seq}`;
    this._requests.set(requestId, clientMessageId);
    this._send({
      type: 'send',
      conversationId: m.conversationId,
      text: m.text,
      clientMessageId,
      requestId,
    });
  }

  private _retry(clientMessageId: string) {
    this._store.sendState(clientMessageId);
    this._transmit(clientMessageId);
  }

  private _frame(f: ServerFrame) {
    if (f.type === 'subscribed') {
      this._subscribed = true;
      this._ui.online = true;
      if ((this._relist || this._resync) && this._conversationId) {
        this._relist = this._resync = false;
        void this._list(this._conversationId).catch((e: unknown) => this._fail(e));
      }
      // What was written while offline, or sent but never acknowledged: a repeat is harmless,
      // the server recognises the clientMessageId.
      for (const m of this._store.outbox())
        if (m.clientMessageId) this._transmit(m.clientMessageId);
      this._draw();
    } else if (f.type === 'event') this._event(f.id, f.event, f.data);
    else if (f.type === 'ack') {
      const d = f.data;
      if (d.stage === 'accepted' && d.message) {
        const outcome = this._store.upsert(d.message as Message);
        if (outcome === 'added' || outcome === 'replaced')
          this.events.emit('message', d.message as Message);
        if (this._store.conversation?.answeredBy.kind !== 'human') this._store.awaiting = true;
      } else if (d.stage === 'done') {
        if (f.requestId) this._requests.delete(f.requestId);
        if (!d.replyId) this._store.awaiting = false;
      }
      this._draw();
    } else if (f.type === 'error') this._serverError(f);
    else if (f.type === 'resync') this._resync = true;
  }

  private _event(id: string, name: string, data: Record<string, unknown>) {
    if (data.conversationId && data.conversationId !== this._conversationId) return;
    const news = this._store.event(id, name, data);
    if (name === 'message.created' && this._store.lastEventId)
      this._saved.set({ lastEventId: this._store.lastEventId });
    if (news) {
      this.events.emit('message', news);
      if (news.author.type !== 'visitor') {
        const who =
          news.author.name ?? t(this._locale, news.author.type === 'ai' ? 'assistant' : 'agent');
        this._view.announce(t(this._locale, 'newMessage', { name: who, text: news.text }));
      }
    }
    // A person who stops typing without saying so (closed their tab) stops showing after a while.
    if (name === 'typing') {
      clearTimeout(this._typingTimer);
      if (this._store.typing !== null)
        this._typingTimer = setTimeout(
          guard(() => {
            this._store.typing = null;
            this._draw();
          }),
          8_000,
        );
    }
  }

  private _serverError(f: Extract<ServerFrame, { type: 'error' }>) {
    const pending = f.requestId ? this._requests.get(f.requestId) : undefined;
    if (f.requestId === 'sub' && f.code === 'not_found') this._forget();
    else if (pending) {
      if (f.requestId) this._requests.delete(f.requestId);
      // A server shutting down answers `unavailable`: the message stays queued for the next
      // connection instead of failing.
      if (f.code === 'unavailable') return;
      this._store.sendState(pending, f.code);
    }
    this._showError(f.code);
  }

  // ---- input, errors, drawing --------------------------------------------------------------

  private _input(text: string) {
    const over = tooLong(text) ? charCount(text) : null;
    if (over !== this._ui.tooLong) {
      this._ui.tooLong = over;
      this._draw();
    }
    // Typing notices at most every 4 s, and only to a conversation that exists.
    const now = Date.now();
    if (text && this._subscribed && now - this._typingSent > 4_000) {
      this._typingSent = now;
      this._send({ type: 'typing', conversationId: this._conversationId ?? '', typing: true });
    }
  }

  private _fail(error: unknown) {
    if (error instanceof ApiError) this._showError(error.code);
    else {
      try {
        console.warn('[chat widget]', error);
      } catch {}
      this._showError('error');
    }
  }

  private _showError(code: string | null) {
    this._ui.errorCode = code;
    if (code) this.events.emit('error', { code, message: errorText(this._locale, code) });
    this._draw();
  }

  /** Redraws on the next frame, however many changes arrive before it (deltas come fast). */
  private _draw() {
    if (this._drawing || this._destroyed) return;
    this._drawing = true;
    const run = guard(() => this._drawNow());
    if (typeof requestAnimationFrame === 'function' && !document.hidden) requestAnimationFrame(run);
    else setTimeout(run, 0);
  }

  private _drawNow() {
    this._drawing = false;
    if (this._destroyed) return;
    const { name, email } = this._saved.get();
    const ui = this._ui;
    ui.error = ui.errorCode ? errorText(this._locale, ui.errorCode) : null;
    ui.greeting = this._settings.greeting || t(this._locale, 'greeting');
    ui.visitor = name && email ? `${name} (${email})` : (name ?? email ?? null);
    ui.hint = ui.tooLong ? t(this._locale, 'tooLong', { n: ui.tooLong, max: MAX_CHARS }) : null;
    this._view.update(this._store, ui);
  }
}
