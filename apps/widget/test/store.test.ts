import { describe, expect, it } from 'vitest';
import { tooLong } from '../src/limits.ts';
import { Store } from '../src/store.ts';
import { contrast, resolveTheme } from '../src/theme.ts';
import type { Message } from '../src/wire.ts';

const CONVERSATION = '6f0c1a9e-0000-4000-8000-000000000001';
const message = (id: string, over: Partial<Message> = {}): Message => ({
  id,
  conversationId: CONVERSATION,
  author: { type: 'ai', name: null },
  role: 'assistant',
  text: `text of ${id}`,
  status: 'complete',
  citations: [],
  clientMessageId: null,
  createdAt: '2025-01-01T12:00:00.000Z',
  ...over,
});
const delta = (messageId: string, index: number, text: string) => ({
  conversationId: CONVERSATION,
  messageId,
  index,
  delta: text,
});

describe('conversation store', () => {
  it('applies deltas in index order, drops repeats, then the stored message replaces the draft', () => {
    const store = new Store();
    store.event('1-0', 'message.delta', delta('a1', 0, 'Hel'));
    store.event('1-2', 'message.delta', delta('a1', 2, ' world'));
    expect(store.items[0]?.message.text).toBe('Hel');
    store.event('1-1', 'message.delta', delta('a1', 1, 'lo,'));
    store.event('1-1', 'message.delta', delta('a1', 1, 'lo,'));
    expect(store.items[0]?.message.text).toBe('Hello, world');
    expect(store.streaming).toBe(true);
    const news = store.event('1-3', 'message.created', {
      conversationId: CONVERSATION,
      message: message('a1', { text: 'Hello, world [1]', citations: [] }),
    });
    expect(news?.id).toBe('a1');
    expect(store.items).toHaveLength(1);
    expect(store.items[0]?.state).toBe('sent');
    expect(store.streaming).toBe(false);
    // A late or replayed delta no longer changes the stored text.
    store.event('1-4', 'message.delta', delta('a1', 3, 'ignored'));
    expect(store.items[0]?.message.text).toBe('Hello, world [1]');
    expect(store.lastEventId).toBe('1-4');
  });

  it('replaces the pending copy of the visitor’s message by clientMessageId', () => {
    const store = new Store();
    store.pending(CONVERSATION, 'Hi', 'c1');
    expect(store.outbox().map((m) => m.text)).toEqual(['Hi']);
    const stored = message('m1', {
      role: 'user',
      author: { type: 'visitor', name: null },
      text: 'Hi',
      clientMessageId: 'c1',
    });
    expect(store.upsert(stored)).toBe('replaced');
    expect(store.upsert(stored)).toBe('same');
    expect(store.items).toHaveLength(1);
    expect(store.outbox()).toEqual([]);
  });

  it('orders a replayed older message before newer ones and keeps pending ones last', () => {
    const store = new Store();
    store.upsert(message('m2', { createdAt: '2025-01-01T12:00:02.000Z' }));
    store.pending(CONVERSATION, 'typing…', 'c9');
    store.upsert(message('m1', { createdAt: '2025-01-01T12:00:01.000Z' }));
    store.upsert(message('m3', { createdAt: '2025-01-01T12:00:03.000Z' }));
    expect(store.items.map((i) => i.message.id)).toEqual(['m1', 'm2', 'm3', 'local:c9']);
  });

  it('marks a failed send, and shows a member’s typing but not the visitor’s own echo', () => {
    const store = new Store();
    store.pending(CONVERSATION, 'x', 'c1');
    store.sendState('c1', 'rate_limited');
    expect(store.items[0]).toMatchObject({ state: 'failed', error: 'rate_limited' });
    store.event('2-0', 'typing', {
      conversationId: CONVERSATION,
      typing: true,
      who: { kind: 'visitor', name: null },
    });
    expect(store.typing).toBeNull();
    store.event('2-1', 'typing', {
      conversationId: CONVERSATION,
      typing: true,
      who: { kind: 'member', name: 'Ada' },
    });
    expect(store.typing).toBe('Ada');
  });
});

describe('limits and theme', () => {
  it('refuses more than 8,000 characters or 8 KiB of UTF-8', () => {
    expect(tooLong('a'.repeat(8000))).toBe(false);
    expect(tooLong('a'.repeat(8001))).toBe(true);
    expect(tooLong('ع'.repeat(4097))).toBe(true);
    expect(tooLong('😀'.repeat(2048))).toBe(false);
  });

  it('keeps text readable: default colours and bad settings both reach 4.5:1', () => {
    const d = resolveTheme();
    expect(contrast(d.onPrimary, d.primary)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(d.fg, d.bg)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(d.fg, d.tint)).toBeGreaterThanOrEqual(4.5);
    const bad = resolveTheme({
      primaryColor: '#ffff00',
      backgroundColor: '#000000',
      textColor: '#111111',
    });
    expect(contrast(bad.onPrimary, bad.primary)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(bad.fg, bad.bg)).toBeGreaterThanOrEqual(4.5);
    // Only #rrggbb gets into CSS.
    expect(resolveTheme({ primaryColor: 'red;}*{display:none' }).primary).toBe('#2563eb');
  });
});
