import { Redis, type RedisOptions } from 'ioredis';
import type { BusHealth, BusListener, EventBus } from './bus.ts';
import { compareEventIds, type EventId } from './event-id.ts';
import type { BusEvent, NewEvent } from './events.ts';
import {
  claimIdle,
  createGroup,
  destroyGroup,
  GROUP_PREFIX,
  reapStaleGroups,
} from './redis/groups.ts';
import { Outbox } from './redis/outbox.ts';
import { StreamReader } from './redis/reader.ts';
import {
  type BusLog,
  decodeEntry,
  EPHEMERAL_TYPES,
  encodeEvent,
  errorMessage,
  isPermanentError,
  MAX_BACKOFF_MS,
  MIN_BACKOFF_MS,
  nextBackoff,
  Pauses,
  parseEntries,
  type StreamEntry,
  streamKey,
} from './redis/stream.ts';

export type { BusLog };

export interface RedisStreamsBusOptions {
  url: string;
  /** Stable across restarts: a restarted instance takes over its predecessor's unacked entries. */
  instanceId: string;
  /** Entries kept per tenant stream (XADD MAXLEN ~). */
  maxLen?: number;
  blockMs?: number;
  /** Events kept while Redis is unreachable. */
  outboxLimit?: number;
  /** Other instances' groups idle this long belong to dead instances and are destroyed. */
  groupIdleMs?: number;
  /** Unacked entries idle this long are claimed (and the claim runs this often). */
  claimIdleMs?: number;
  log?: BusLog;
  /**
   * How long a tenant stays watched after its last unwatch (default 0). Short watches, such as
   * one answer listening for a stop, then reuse the group instead of creating and destroying
   * one each time.
   */
  lingerMs?: number;
}

interface Watch {
  count: number;
  ready: Promise<void>;
  /** Set while unwatched but kept for a while, in case it is watched again soon. */
  linger?: NodeJS.Timeout | undefined;
}

const CLOSE_FLUSH_MS = 2000;

/**
 * The bus across server instances: one Redis stream per tenant, one consumer group per instance,
 * so every instance reads every event of the tenants it watches. See the parts in ./redis/.
 */
export class RedisStreamsBus implements EventBus {
  /** Publishing (via the outbox), group admin, replay, claims, CLIENT UNBLOCK. */
  readonly #cmd: Redis;
  readonly #group: string;
  readonly #consumer: string;
  readonly #groupIdleMs: number;
  readonly #claimIdleMs: number;
  readonly #log: BusLog | undefined;
  readonly #outbox: Outbox;
  readonly #reader: StreamReader;
  readonly #pauses = new Pauses();
  readonly #listeners = new Set<BusListener>();
  readonly #watches = new Map<string, Watch>();
  /** Watched tenants whose group exists: the streams the reader reads. */
  readonly #reading = new Set<string>();
  /** Group create/destroy per tenant, one at a time, so unwatch + watch cannot interleave. */
  readonly #groupOps = new Map<string, Promise<void>>();
  readonly #claimTimer: NodeJS.Timeout;
  #claiming = false;
  #closed = false;
  readonly #lingerMs: number;

  constructor(options: RedisStreamsBusOptions) {
    this.#group = `${GROUP_PREFIX}${options.instanceId}`;
    this.#consumer = options.instanceId;
    this.#groupIdleMs = options.groupIdleMs ?? 3_600_000;
    this.#claimIdleMs = options.claimIdleMs ?? 30_000;
    this.#lingerMs = options.lingerMs ?? 0;
    this.#log = options.log;
    const connection: RedisOptions = {
      // Fail fast instead of queueing inside ioredis: the outbox and the loops retry, in order.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      protocol: 2,
      retryStrategy: (times) => Math.min(50 * 2 ** times, MAX_BACKOFF_MS),
    };
    const name = `rt:${options.instanceId}`;
    this.#cmd = new Redis(options.url, { ...connection, connectionName: name });
    const blocking = new Redis(options.url, { ...connection, connectionName: `${name}:read` });
    this.#monitor(this.#cmd, 'command');
    this.#monitor(blocking, 'reader');
    this.#outbox = new Outbox(this.#cmd, {
      maxLen: options.maxLen ?? 10_000,
      limit: options.outboxLimit ?? 10_000,
      log: this.#log,
    });
    this.#cmd.on('ready', () => this.#outbox.nudge());
    this.#reader = new StreamReader({
      cmd: this.#cmd,
      connection: blocking,
      group: this.#group,
      consumer: this.#consumer,
      blockMs: options.blockMs ?? 5000,
      tenants: this.#reading,
      deliver: (tenantId, entries) => this.#deliver(tenantId, entries),
      pauses: this.#pauses,
      log: this.#log,
    });
    this.#claimTimer = setInterval(() => void this.#claimAll(), this.#claimIdleMs);
    this.#claimTimer.unref();
  }

  #monitor(connection: Redis, name: string): void {
    let down = false;
    let lastError = '';
    // Without a listener ioredis's reconnect errors would be unhandled 'error' events.
    connection.on('error', (err: Error) => {
      lastError = err.message;
    });
    connection.on('close', () => {
      if (down || this.#closed) return;
      down = true;
      this.#log?.warn(
        { connection: name, err: lastError || undefined },
        'realtime: Redis connection lost',
      );
    });
    connection.on('ready', () => {
      // Whoever waits out a backoff (read loop, watch) retries now.
      this.#pauses.wakeAll();
      if (!down) return;
      down = false;
      this.#log?.info({ connection: name }, 'realtime: Redis connection is back');
    });
  }

  async publish(event: NewEvent): Promise<EventId> {
    if (this.#closed) throw new Error('event bus is closed');
    const ephemeral = EPHEMERAL_TYPES.has(event.type);
    return this.#outbox.push(streamKey(event.tenantId), encodeEvent(event), ephemeral);
  }

  watch(tenantId: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('event bus is closed'));
    const existing = this.#watches.get(tenantId);
    if (existing) {
      clearTimeout(existing.linger);
      existing.linger = undefined;
      existing.count++;
      return existing.ready;
    }
    const watch: Watch = { count: 1, ready: Promise.resolve() };
    this.#watches.set(tenantId, watch);
    watch.ready = this.#serial(tenantId, () => this.#start(tenantId, watch));
    return watch.ready;
  }

  unwatch(tenantId: string): void {
    const watch = this.#watches.get(tenantId);
    if (!watch || --watch.count > 0) return;
    if (this.#lingerMs > 0) {
      watch.linger = setTimeout(() => this.#release(tenantId, watch), this.#lingerMs);
      watch.linger.unref();
      return;
    }
    this.#release(tenantId, watch);
  }

  #release(tenantId: string, watch: Watch): void {
    if (this.#watches.get(tenantId) !== watch || watch.count > 0) return;
    this.#watches.delete(tenantId);
    if (this.#reading.delete(tenantId)) this.#reader.wake();
    // Nobody here reads it any more: without the group, nothing piles up as pending for us.
    void this.#serial(tenantId, async () => {
      if (this.#closed) return;
      await destroyGroup(this.#cmd, streamKey(tenantId), this.#group).catch((err: unknown) =>
        this.#log?.warn({ tenantId, err: errorMessage(err) }, 'realtime: XGROUP DESTROY failed'),
      );
    });
  }

  onEvent(listener: BusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async since(tenantId: string, lastEventId: EventId, limit: number): Promise<BusEvent[] | null> {
    if (this.#closed || this.#cmd.status !== 'ready') return null;
    const key = streamKey(tenantId);
    try {
      // Trimming only drops the oldest entries, so the stream proves there is no gap exactly
      // when it still starts at or before lastEventId.
      const [first] = parseEntries(await this.#cmd.xrange(key, '-', '+', 'COUNT', 1));
      if (!first || compareEventIds(first.id, lastEventId) > 0) return null;
      if (limit <= 0) return [];
      const entries = parseEntries(
        await this.#cmd.xrange(key, `(${lastEventId}`, '+', 'COUNT', limit),
      );
      return entries.flatMap((entry) => decodeEntry(tenantId, entry) ?? []);
    } catch {
      return null; // the caller falls back to the database
    }
  }

  health(): BusHealth {
    return {
      kind: 'redis',
      connected: !this.#closed && this.#cmd.status === 'ready',
      pending: this.#outbox.size,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#claimTimer);
    this.#pauses.wakeAll();
    await this.#reader.close();
    await this.#outbox.close(CLOSE_FLUSH_MS);
    this.#cmd.disconnect();
    this.#listeners.clear();
    for (const watch of this.#watches.values()) clearTimeout(watch.linger);
    this.#watches.clear();
    this.#reading.clear();
  }

  /** Runs group operations of one tenant in order, whatever became of the previous one. */
  #serial(tenantId: string, op: () => Promise<void>): Promise<void> {
    const next = (this.#groupOps.get(tenantId) ?? Promise.resolve()).then(op);
    const tail = next.catch(() => {});
    this.#groupOps.set(tenantId, tail);
    void tail.then(() => {
      if (this.#groupOps.get(tenantId) === tail) this.#groupOps.delete(tenantId);
    });
    return next;
  }

  /** First watch of a tenant: waits (through outages) until the group exists, then reads it. */
  async #start(tenantId: string, watch: Watch): Promise<void> {
    const key = streamKey(tenantId);
    let backoff = MIN_BACKOFF_MS;
    for (let attempt = 1; ; attempt++) {
      if (this.#closed) throw new Error('event bus is closed');
      if (this.#watches.get(tenantId) !== watch) return; // unwatched meanwhile
      try {
        await createGroup(this.#cmd, key, this.#group, this.#consumer, '$');
        break;
      } catch (err) {
        if (isPermanentError(err)) {
          if (this.#watches.get(tenantId) === watch) this.#watches.delete(tenantId);
          throw err;
        }
        if (attempt === 5)
          this.#log?.warn(
            { tenantId, err: errorMessage(err) },
            'realtime: waiting for Redis to watch',
          );
        await this.#pauses.sleep(backoff);
        backoff = nextBackoff(backoff);
      }
    }
    if (this.#watches.get(tenantId) !== watch) return; // the destroy queued behind us cleans up
    this.#reading.add(tenantId);
    this.#reader.wake();
    void this.#claim(tenantId).catch((err: unknown) =>
      this.#log?.warn({ tenantId, err: errorMessage(err) }, 'realtime: XAUTOCLAIM failed'),
    );
    void reapStaleGroups(this.#cmd, key, this.#group, this.#groupIdleMs, this.#log);
  }

  /** Hands entries to every listener, in stream order; unparseable ones are skipped. */
  #deliver(tenantId: string, entries: StreamEntry[]): void {
    if (!this.#reading.has(tenantId)) return; // unwatched while the read was in flight
    for (const entry of entries) {
      const event = decodeEntry(tenantId, entry);
      if (!event) {
        if (entry.fields)
          this.#log?.warn({ tenantId, id: entry.id }, 'realtime: skipping malformed stream entry');
        continue;
      }
      for (const listener of this.#listeners) {
        try {
          listener(event);
        } catch {
          // one broken listener must not starve the others
        }
      }
    }
  }

  /** Entries a previous incarnation of this instance read but never acked. */
  #claim(tenantId: string): Promise<void> {
    const key = streamKey(tenantId);
    const names = { group: this.#group, consumer: this.#consumer };
    return claimIdle(this.#cmd, key, names, this.#claimIdleMs, {
      more: () => this.#reading.has(tenantId),
      deliver: (entries) => this.#deliver(tenantId, entries),
      ackFailed: (ids) => this.#reader.deferAck(key, ids),
    });
  }

  async #claimAll(): Promise<void> {
    if (this.#claiming || this.#closed || this.#cmd.status !== 'ready') return;
    this.#claiming = true;
    try {
      for (const tenantId of [...this.#reading]) await this.#claim(tenantId);
    } catch (err) {
      this.#log?.warn({ err: errorMessage(err) }, 'realtime: periodic XAUTOCLAIM failed');
    } finally {
      this.#claiming = false;
    }
  }
}
