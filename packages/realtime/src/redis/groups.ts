/**
 * Consumer-group housekeeping. Each server instance has its own group on every stream it
 * watches (`i:<instanceId>`), so every instance sees every event; groups of instances that died
 * are destroyed by the others, so their pending entries do not pile up.
 */
import type { Redis } from 'ioredis';
import {
  type BusLog,
  errorMessage,
  parseClaimReply,
  parseInfoRecords,
  replyCode,
  type StreamEntry,
} from './stream.ts';

export const GROUP_PREFIX = 'i:';

/**
 * Creates the group (and the stream) unless it exists. The consumer is created in the same
 * transaction: a group without consumers looks abandoned to the other instances' reaper.
 * `from` is `$` for a new watch (events from now on) and `0` when the group was lost with
 * Redis's data (everything in the recreated stream, including what the outbox flushed into it).
 */
export async function createGroup(
  redis: Redis,
  key: string,
  group: string,
  consumer: string,
  from: '$' | '0',
): Promise<void> {
  const results = await redis
    .multi()
    .xgroup('CREATE', key, group, from, 'MKSTREAM')
    .xgroup('CREATECONSUMER', key, group, consumer)
    .exec();
  if (!results) throw new Error(`XGROUP CREATE ${key} was aborted`);
  for (const [err] of results) if (err && replyCode(err) !== 'BUSYGROUP') throw err;
}

export async function destroyGroup(redis: Redis, key: string, group: string): Promise<void> {
  await redis.xgroup('DESTROY', key, group);
}

const CLAIM_COUNT = 100;

/**
 * Takes over this group's entries that were read but not acked for `minIdleMs` (a previous
 * incarnation of this instance, same consumer name, died holding them), hands them to `deliver`
 * and acks them. `more` is asked between pages; the ids whose ack failed go to `ackFailed`.
 */
export async function claimIdle(
  redis: Redis,
  key: string,
  names: { group: string; consumer: string },
  minIdleMs: number,
  handlers: {
    more(): boolean;
    deliver(entries: StreamEntry[]): void;
    ackFailed(ids: string[]): void;
  },
): Promise<void> {
  let start = '0-0';
  for (let page = 0; page < 100 && handlers.more(); page++) {
    const { next, entries } = parseClaimReply(
      await redis.xautoclaim(
        key,
        names.group,
        names.consumer,
        minIdleMs,
        start,
        'COUNT',
        CLAIM_COUNT,
      ),
    );
    if (entries.length > 0) {
      handlers.deliver(entries);
      const ids = entries.map((e) => e.id);
      await redis.xack(key, names.group, ...ids).catch(() => handlers.ackFailed(ids));
    }
    if (next === '0-0') return;
    start = next;
  }
}

const asNumber = (value: unknown): number | null =>
  typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : null;

/**
 * Destroys other instances' groups on this stream that look dead: every consumer idle longer
 * than `idleMs` (a live instance's blocking read refreshes its idle time every few seconds), or
 * no consumer at all while entries wait. Best effort: never throws.
 */
export async function reapStaleGroups(
  redis: Redis,
  key: string,
  ownGroup: string,
  idleMs: number,
  log?: BusLog,
): Promise<void> {
  try {
    const groups = parseInfoRecords(await redis.xinfo('GROUPS', key));
    for (const info of groups) {
      const name = info.get('name');
      if (typeof name !== 'string' || !name.startsWith(GROUP_PREFIX) || name === ownGroup) continue;
      let stale: boolean;
      if (asNumber(info.get('consumers')) === 0) {
        // `lag` is null when Redis cannot tell (after deletions): assume it lags.
        const lag = asNumber(info.get('lag'));
        stale = lag === null || lag > 0;
      } else {
        const consumers = parseInfoRecords(await redis.xinfo('CONSUMERS', key, name));
        stale = consumers.every((c) => (asNumber(c.get('idle')) ?? 0) > idleMs);
      }
      if (!stale) continue;
      await redis.xgroup('DESTROY', key, name);
      log?.info({ key, group: name }, 'realtime: destroyed the consumer group of a dead instance');
    }
  } catch (err) {
    log?.warn(
      { key, err: errorMessage(err) },
      'realtime: could not check for stale consumer groups',
    );
  }
}
