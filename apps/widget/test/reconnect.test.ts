import { describe, expect, it } from 'vitest';
import { backoffDelay, heartbeatAction, newerEventId } from '../src/backoff.ts';
import { tokenUsable } from '../src/saved.ts';

describe('reconnect backoff', () => {
  it('doubles up to 30 s, jittered within the upper half', () => {
    const low = [0, 1, 2, 3, 10, 50].map((n) => backoffDelay(n, () => 0));
    const high = [0, 1, 2, 3, 10, 50].map((n) => backoffDelay(n, () => 1));
    expect(low).toEqual([250, 500, 1000, 2000, 15_000, 15_000]);
    expect(high).toEqual([500, 1000, 2000, 4000, 30_000, 30_000]);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(4);
      expect(d).toBeGreaterThanOrEqual(4000);
      expect(d).toBeLessThanOrEqual(8000);
    }
  });
});

describe('resume bookkeeping', () => {
  it('keeps the newest event id, comparing time then sequence as numbers', () => {
    let last: string | null = null;
    for (const id of [
      '1700000000000-2',
      '1700000000000-10',
      '1699999999999-99',
      'junk',
      '1700000000000-9',
    ])
      last = newerEventId(last, id);
    expect(last).toBe('1700000000000-10');
    expect(newerEventId(last, '1700000000001-0')).toBe('1700000000001-0');
    expect(newerEventId(null, 'not-an-id')).toBeNull();
  });

  it('calls a connection dead after two silent heartbeat intervals', () => {
    expect(heartbeatAction(10_000, 0, 25_000)).toBe('ping');
    expect(heartbeatAction(50_000, 0, 25_000)).toBe('ping');
    expect(heartbeatAction(50_001, 0, 25_000)).toBe('reconnect');
  });

  it('reuses a saved token only while it has more than a minute left', () => {
    const now = Date.parse('2025-01-01T12:00:00Z');
    const at = (s: string) => ({ token: 't', expiresAt: s });
    expect(tokenUsable(at('2025-01-01T12:05:00Z'), now)).toBe(true);
    expect(tokenUsable(at('2025-01-01T12:00:30Z'), now)).toBe(false);
    expect(tokenUsable({ expiresAt: '2025-01-01T13:00:00Z' }, now)).toBe(false);
  });
});
