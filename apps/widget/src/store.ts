import { newerEventId } from './backoff.ts';
import type { Conversation, Message } from './wire.ts';

/**
 * One conversation's state as the visitor sees it: stored messages, the visitor's own messages
 * still on their way, and answers being streamed. No DOM and no I/O, so the merging rules
 * (deltas by index, replacement by id or clientMessageId, replays overlapping REST) are testable.
 */

export type ItemState = 'sent' | 'sending' | 'failed' | 'streaming';

export type Item = {
  message: Message;
  state: ItemState;
  /** Why a send failed: an error code the view localises. */
  error?: string;
  /** Bumped on every visible change, so the view redraws only what changed. */
  version: number;
};

type Stream = { next: number; held: Map<number, string> };

const isTail = (item: Item) => item.state !== 'sent';

export class Store {
  conversation: Conversation | null = null;
  items: Item[] = [];
  lastEventId: string | null = null;
  /** A human member typing right now (their name, or '' when unnamed). */
  typing: string | null = null;
  /** The visitor's message was accepted and an answer from the assistant is expected. */
  awaiting = false;
  private readonly _streams = new Map<string, Stream>();

  constructor(private readonly changed: () => void = () => {}) {}

  get streaming(): boolean {
    return this.items.some((i) => i.state === 'streaming');
  }

  private _find(id: string) {
    return this.items.find((i) => i.message.id === id);
  }

  setConversation(conversation: Conversation) {
    this.conversation = conversation;
    this.changed();
  }

  /**
   * A stored message (REST list, `message.created`, an ack): replaces the streamed draft or the
   * pending copy with the same id / clientMessageId, else is inserted in time order ahead of
   * anything still pending. 'added' and 'replaced' (a draft or pending copy became the stored
   * message) are news to the visitor; 'changed' and 'same' are not.
   */
  upsert(message: Message): 'added' | 'replaced' | 'changed' | 'same' {
    const existing =
      this._find(message.id) ??
      (message.clientMessageId ? this._find(`local:${message.clientMessageId}`) : undefined);
    this._streams.delete(message.id);
    if (message.role !== 'user') {
      this.awaiting = false;
      if (message.author.type === 'member') this.typing = null;
    }
    if (existing) {
      const m = existing.message;
      const was = existing.state;
      if (
        existing.state === 'sent' &&
        m.text === message.text &&
        m.status === message.status &&
        m.citations.length === message.citations.length
      )
        return 'same';
      existing.message = message;
      existing.state = 'sent';
      existing.error = undefined;
      existing.version++;
      this.changed();
      return was === 'sent' ? 'changed' : 'replaced';
    }
    // Walk back over what is still pending or streaming and over stored messages newer than
    // this one (a replay from the database can overlap what REST already listed).
    let at = this.items.length;
    for (let before = this.items[at - 1]; before; before = this.items[--at - 1])
      if (!isTail(before) && before.message.createdAt <= message.createdAt) break;
    this.items.splice(at, 0, { message, state: 'sent', version: 0 });
    this.changed();
    return 'added';
  }

  /**
   * A piece of an answer being written. Pieces are applied in index order: a repeat is
   * dropped, one that arrives early waits for the gap. The stored message replaces it all.
   */
  delta(conversationId: string, messageId: string, index: number, text: string) {
    let item = this._find(messageId);
    if (item && item.state !== 'streaming') return;
    let stream = this._streams.get(messageId);
    if (!stream) {
      stream = { next: 0, held: new Map() };
      this._streams.set(messageId, stream);
    }
    if (index < stream.next) return;
    stream.held.set(index, text);
    let added = '';
    for (let piece = stream.held.get(stream.next); piece !== undefined; ) {
      stream.held.delete(stream.next);
      added += piece;
      piece = stream.held.get(++stream.next);
    }
    if (!added) return;
    this.awaiting = false;
    if (!item) {
      item = {
        message: {
          id: messageId,
          conversationId,
          author: { type: 'ai', name: this.conversation?.answeredBy.name ?? null },
          role: 'assistant',
          text: '',
          status: 'complete',
          citations: [],
          clientMessageId: null,
          createdAt: '',
        },
        state: 'streaming',
        version: 0,
      };
      // Ahead of the visitor's messages still on their way: after a reconnect, the replay
      // streams an answer written during the outage while what was typed offline waits.
      let at = this.items.length;
      while (at && /^(sending|failed)$/.test(this.items[at - 1]?.state ?? '')) at--;
      this.items.splice(at, 0, item);
    }
    item.message.text += added;
    item.version++;
    this.changed();
  }

  /** The visitor's own message, shown at once while it is being sent. */
  pending(conversationId: string, text: string, clientMessageId: string) {
    this.items.push({
      message: {
        id: `local:${clientMessageId}`,
        conversationId,
        author: { type: 'visitor', name: null },
        role: 'user',
        text,
        status: 'complete',
        citations: [],
        clientMessageId,
        createdAt: '',
      },
      state: 'sending',
      version: 0,
    });
    this.changed();
  }

  /** Marks a pending message failed (or sending again, with no error). */
  sendState(clientMessageId: string, error?: string) {
    const item = this._find(`local:${clientMessageId}`);
    if (!item) return;
    item.state = error ? 'failed' : 'sending';
    item.error = error;
    item.version++;
    if (error) this.awaiting = false;
    this.changed();
  }

  /** Pending messages still to be sent, oldest first (the outbox after a reconnect). */
  outbox(): Message[] {
    return this.items.filter((i) => i.state === 'sending').map((i) => i.message);
  }

  /** An `event` frame. Returns a message that is new to the visitor (to announce it). */
  event(id: string, name: string, data: Record<string, unknown>): Message | null {
    this.lastEventId = newerEventId(this.lastEventId, id);
    if (name === 'message.created' && data.message) {
      const message = data.message as Message;
      const outcome = this.upsert(message);
      return outcome === 'added' || outcome === 'replaced' ? message : null;
    }
    if (name === 'message.delta') {
      const { conversationId, messageId, index, delta } = data;
      if (typeof messageId === 'string' && typeof index === 'number' && typeof delta === 'string')
        this.delta(String(conversationId), messageId, index, delta);
    } else if (name === 'conversation.updated' && data.conversation) {
      this.setConversation(data.conversation as Conversation);
    } else if (name === 'typing') {
      const who = data.who as { kind?: string; name?: string | null } | undefined;
      // Our own typing comes back too (kind visitor); only a member's is shown.
      if (who?.kind === 'member') {
        this.typing = data.typing ? (who.name ?? '') : null;
        this.changed();
      }
    }
    return null;
  }

  /** Forget everything (another conversation, or a resync). */
  reset() {
    this.items = [];
    this.lastEventId = null;
    this.typing = null;
    this.awaiting = false;
    this._streams.clear();
    this.changed();
  }
}
