import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type PresenceChange, PresenceCoalescer, type Present } from '../src/realtime/presence.ts';

const who = (n: number): Present => ({ kind: 'visitor', name: `v${n}`, connectionId: `c${n}` });

describe('PresenceCoalescer', () => {
  let sent: Array<{ tenantId: string; change: PresenceChange }>;
  let presence: PresenceCoalescer;
  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    presence = new PresenceCoalescer((tenantId, change) => sent.push({ tenantId, change }), 250, 5);
  });
  afterEach(() => vi.useRealTimers());

  it('sends the first change at once and gathers the rest of the window into one event', () => {
    presence.note('t', 'conv', 'joined', who(1));
    expect(sent).toEqual([
      { tenantId: 't', change: { conversationId: 'conv', joined: [who(1)], left: [], more: 0 } },
    ]);
    presence.note('t', 'conv', 'joined', who(2));
    presence.note('t', 'conv', 'joined', who(3));
    presence.note('t', 'conv', 'left', who(1));
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(250);
    expect(sent[1]?.change).toEqual({
      conversationId: 'conv',
      joined: [who(2), who(3)],
      left: [who(1)],
      more: 0,
    });
    // A quiet window closes; the next change goes out at once again.
    vi.advanceTimersByTime(250);
    presence.note('t', 'conv', 'left', who(2));
    expect(sent).toHaveLength(3);
  });

  it('a join and a leave of the same connection in one window cancel out', () => {
    presence.note('t', 'conv', 'joined', who(1));
    presence.note('t', 'conv', 'joined', who(2));
    presence.note('t', 'conv', 'left', who(2));
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
  });

  it('summarises a crowd: a thousand joins make a handful of events, each listing a few', () => {
    presence.note('t', 'conv', 'joined', who(0));
    for (let i = 1; i < 1000; i++) {
      presence.note('t', 'conv', 'joined', who(i));
      if (i % 100 === 0) vi.advanceTimersByTime(50);
    }
    vi.advanceTimersByTime(1000);
    expect(sent.length).toBeLessThan(6);
    const counted = sent.reduce((n, s) => n + s.change.joined.length + s.change.more, 0);
    expect(counted).toBe(1000);
    expect(sent.every((s) => s.change.joined.length <= 5)).toBe(true);
  });

  it('keeps conversations apart and flushes what is pending on shutdown', () => {
    presence.note('t', 'a', 'joined', who(1));
    presence.note('t', 'b', 'joined', who(2));
    presence.note('t', 'a', 'joined', who(3));
    expect(sent.map((s) => s.change.conversationId)).toEqual(['a', 'b']);
    presence.flush();
    expect(sent[2]?.change).toMatchObject({ conversationId: 'a', joined: [who(3)] });
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(3);
  });
});
