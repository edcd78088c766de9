import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AuditPurger, createAuditRetention } from '../src/audit-retention.ts';

const DAY = 86_400_000;
const quiet = { info: () => {}, warn: () => {} };

describe('audit retention schedule', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('purges past the retention once after start and then daily, until stopped', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-28T00:00:00.000Z') });
    const cutoffs: string[] = [];
    const purger: AuditPurger = {
      purgeBefore: async (cutoff) => {
        cutoffs.push(cutoff.toISOString());
        return 0;
      },
    };
    const retention = createAuditRetention({
      purger,
      retentionDays: 30,
      log: quiet,
      firstRunMs: 1000,
    });
    retention.start();
    retention.start(); // a second start does not schedule twice
    await vi.advanceTimersByTimeAsync(1000);
    expect(cutoffs).toEqual(['2026-10-29T00:00:01.000Z']);
    await vi.advanceTimersByTimeAsync(DAY);
    expect(cutoffs).toEqual(['2026-10-29T00:00:01.000Z', '2026-10-30T00:00:01.000Z']);
    await retention.stop();
    await vi.advanceTimersByTimeAsync(3 * DAY);
    expect(cutoffs).toHaveLength(2);
  });

  it('never purges with a retention of 0 (keep forever), and survives a failing purge', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const failing: AuditPurger = {
      purgeBefore: async () => {
        calls++;
        throw new Error('database down');
      },
    };
    const forever = createAuditRetention({ purger: failing, retentionDays: 0, log: quiet });
    forever.start();
    await vi.advanceTimersByTimeAsync(2 * DAY);
    expect(calls).toBe(0);
    expect(await forever.runOnce()).toBe('disabled');

    const warnings: string[] = [];
    const log = {
      info: () => {},
      warn: (_o: object, msg?: string) => void warnings.push(msg ?? ''),
    };
    const daily = createAuditRetention({ purger: failing, retentionDays: 1, log, firstRunMs: 10 });
    daily.start();
    await vi.advanceTimersByTimeAsync(10 + DAY);
    expect(calls).toBe(2);
    expect(warnings).toEqual(['audit retention: purge failed', 'audit retention: purge failed']);
    await daily.stop();
  });
});
