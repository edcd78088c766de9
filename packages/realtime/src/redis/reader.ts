/**
 * The read loop: one blocking XREADGROUP over the streams of every watched tenant, on a
 * connection of its own, delivering each batch and then acking it. It never dies: every failure
 * (Redis down, the streams lost in a restart) backs off and tries again.
 */
import type { Redis } from 'ioredis';
import { createGroup } from './groups.ts';
import {
  type BusLog,
  errorMessage,
  isReplyError,
  MIN_BACKOFF_MS,
  nextBackoff,
  type Pauses,
  parseReadReply,
  replyCode,
  type StreamEntry,
  streamKey,
} from './stream.ts';

const READ_COUNT = 500;

const idsOf = (entries: StreamEntry[]) => entries.map((e) => e.id);

export interface ReaderOptions {
  /** Where CLIENT UNBLOCK and the group re-creation go (the blocking connection is busy). */
  cmd: Redis;
  /** The blocking connection, used by nothing else. */
  connection: Redis;
  group: string;
  consumer: string;
  blockMs: number;
  /** Watched tenants whose group exists, kept by the bus; wake() after changing it. */
  tenants: ReadonlySet<string>;
  deliver(tenantId: string, entries: StreamEntry[]): void;
  pauses: Pauses;
  log: BusLog | undefined;
}

export class StreamReader {
  readonly #o: ReaderOptions;
  /** Delivered but not yet acked (the ack failed, or it goes out with the next round). */
  readonly #unacked = new Map<string, string[]>();
  /** Bumped by wake(); the read in progress was sent with #blockedVersion (null: none). */
  #version = 0;
  #blockedVersion: number | null = null;
  /** CLIENT ID of the blocking connection, asked again after each (re)connect. */
  #clientId: number | null = null;
  #unblocking = false;
  #idle: (() => void) | null = null;
  #closed = false;
  readonly #loop: Promise<void>;

  constructor(options: ReaderOptions) {
    this.#o = options;
    options.connection.on('ready', () => {
      this.#clientId = null;
    });
    this.#loop = this.#run();
  }

  /** The set of tenants changed: start over with it now rather than when BLOCK runs out. */
  wake(): void {
    this.#version++;
    this.#idle?.();
    this.#idle = null;
    if (!this.#unblocking) void this.#unblock();
  }

  /** Acks for entries delivered elsewhere (claims) whose own ack failed. */
  deferAck(key: string, ids: string[]): void {
    if (ids.length === 0) return;
    const pending = this.#unacked.get(key);
    if (pending) pending.push(...ids);
    else this.#unacked.set(key, [...ids]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#idle?.();
    this.#o.connection.disconnect(); // fails the blocked read
    await this.#loop;
  }

  async #unblock(): Promise<void> {
    this.#unblocking = true;
    try {
      // UNBLOCK answers 0 while the read has not reached Redis yet: retry until the loop has
      // started over with the current set.
      for (let attempt = 0; attempt < 100; attempt++) {
        const blocked = this.#blockedVersion;
        if (this.#closed || blocked === null || blocked === this.#version) return;
        const id = this.#clientId;
        if (id !== null && (await this.#o.cmd.client('UNBLOCK', id).catch(() => 0)) === 1) return;
        await this.#o.pauses.sleep(20);
      }
    } finally {
      this.#unblocking = false;
    }
  }

  async #run(): Promise<void> {
    const { connection, group, consumer } = this.#o;
    let backoff = MIN_BACKOFF_MS;
    let recreated = false;
    while (!this.#closed) {
      if (this.#o.tenants.size === 0) {
        // Nothing to read: park until a watch (or close) wakes us, rather than polling.
        await new Promise<void>((resolve) => {
          this.#idle = resolve;
        });
        continue;
      }
      const tenants = new Map([...this.#o.tenants].map((t) => [streamKey(t), t]));
      const keys = [...tenants.keys()];
      this.#blockedVersion = this.#version;
      try {
        await this.#flushAcks();
        this.#clientId ??= Number(await connection.client('ID'));
        const reply = await connection.xreadgroup(
          'GROUP',
          group,
          consumer,
          'COUNT',
          READ_COUNT,
          'BLOCK',
          this.#o.blockMs,
          'STREAMS',
          ...keys,
          ...keys.map(() => '>'),
        );
        this.#blockedVersion = null;
        for (const { key, entries } of parseReadReply(reply)) {
          const tenantId = tenants.get(key);
          if (tenantId !== undefined) this.#o.deliver(tenantId, entries);
          // Unparseable entries too: nobody will ever be able to read them.
          this.deferAck(key, idsOf(entries));
        }
        await this.#flushAcks();
        backoff = MIN_BACKOFF_MS;
        recreated = false;
      } catch (err) {
        this.#blockedVersion = null;
        if (this.#closed) break;
        const nogroup = replyCode(err) === 'NOGROUP';
        if (nogroup && (await this.#recreateGroups()) && !recreated) {
          // Read again at once; should NOGROUP come straight back, back off as usual.
          recreated = true;
          backoff = MIN_BACKOFF_MS;
          continue;
        }
        if (!nogroup && backoff === MIN_BACKOFF_MS)
          this.#o.log?.warn({ err: errorMessage(err) }, 'realtime: stream read failed; retrying');
        await this.#o.pauses.sleep(backoff);
        backoff = nextBackoff(backoff);
      }
    }
  }

  /** XACK per stream, all in one round trip. */
  async #flushAcks(): Promise<void> {
    if (this.#unacked.size === 0) return;
    const batch = [...this.#unacked];
    this.#unacked.clear();
    const pipeline = this.#o.connection.pipeline();
    for (const [key, ids] of batch) pipeline.xack(key, this.#o.group, ...ids);
    let results: [Error | null, unknown][];
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (err) {
      results = batch.map(() => [err instanceof Error ? err : new Error(String(err)), null]);
    }
    let lost: Error | null = null;
    batch.forEach(([key, ids], i) => {
      const err = results[i]?.[0] ?? null;
      // A reply error (NOGROUP: the group is gone, and its pending entries with it) settles the
      // matter; a lost connection does not.
      if (!err || isReplyError(err)) return;
      this.deferAck(key, ids);
      lost ??= err;
    });
    if (lost) throw lost;
  }

  /**
   * Redis lost the streams (a restart without persistence) or our group was destroyed: recreate
   * the groups from 0, so everything in the new stream (what the outboxes flushed) is delivered.
   */
  async #recreateGroups(): Promise<boolean> {
    const { cmd, group, consumer } = this.#o;
    const tenants = [...this.#o.tenants];
    const results = await Promise.allSettled(
      tenants.map((t) => createGroup(cmd, streamKey(t), group, consumer, '0')),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      this.#o.log?.warn(
        { err: errorMessage(failed.reason) },
        'realtime: could not recreate the missing consumer groups; retrying',
      );
      return false;
    }
    this.#o.log?.info(
      { streams: tenants.length },
      'realtime: consumer groups were missing; recreated them from the start of their streams',
    );
    return true;
  }
}
