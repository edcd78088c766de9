/**
 * The ordered publish queue in front of Redis. Every event is written (XADD) in publish order on
 * one connection, many at a time in one pipeline; when Redis is unreachable the events wait here,
 * in order, and are retried with backoff, so publishing never loses an event during an outage.
 */
import type { Redis } from 'ioredis';
import type { EventId } from '../event-id.ts';
import {
  type BusLog,
  errorMessage,
  isPermanentError,
  MIN_BACKOFF_MS,
  nextBackoff,
} from './stream.ts';

interface Pending {
  key: string;
  json: string;
  ephemeral: boolean;
  resolve(id: EventId): void;
  reject(err: Error): void;
}

const closedError = () => new Error('event bus closed before the event reached Redis');

/** Bounds one pipeline, so a long backlog goes out in slices instead of one huge write. */
const BATCH = 1000;

export class Outbox {
  readonly #redis: Redis;
  readonly #maxLen: number;
  readonly #limit: number;
  readonly #log: BusLog | undefined;
  /** Waiting to be written, oldest first (the batch in flight is not in here). */
  #queue: Pending[] = [];
  #inFlight = 0;
  #running = false;
  #retryTimer: NodeJS.Timeout | null = null;
  #backoff = MIN_BACKOFF_MS;
  #failing = false;
  #closed = false;
  /** Set once close() stopped waiting: failed writes are rejected, not retried. */
  #gaveUp = false;
  #drained: (() => void)[] = [];

  constructor(redis: Redis, options: { maxLen: number; limit: number; log?: BusLog | undefined }) {
    this.#redis = redis;
    this.#maxLen = options.maxLen;
    this.#limit = options.limit;
    this.#log = options.log;
  }

  /** Events accepted but not yet written. */
  get size(): number {
    return this.#queue.length + this.#inFlight;
  }

  push(key: string, json: string, ephemeral: boolean): Promise<EventId> {
    if (this.#closed) return Promise.reject(new Error('event bus is closed'));
    if (this.size >= this.#limit && !this.#dropOldestEphemeral())
      return Promise.reject(
        new Error(`event bus outbox is full (${this.#limit} events waiting for Redis)`),
      );
    return new Promise<EventId>((resolve, reject) => {
      this.#queue.push({ key, json, ephemeral, resolve, reject });
      // Whatever else is published in this turn of the event loop joins the same pipeline.
      if (!this.#running && !this.#retryTimer) {
        this.#running = true;
        setImmediate(() => void this.#run());
      }
    });
  }

  #dropOldestEphemeral(): boolean {
    const i = this.#queue.findIndex((p) => p.ephemeral);
    const [dropped] = i >= 0 ? this.#queue.splice(i, 1) : [];
    if (!dropped) return false;
    dropped.reject(
      new Error('event dropped: the outbox is full (Redis is unreachable or too slow)'),
    );
    return true;
  }

  /** The connection is back: retry now instead of waiting out the backoff. */
  nudge(): void {
    if (!this.#retryTimer) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#backoff = MIN_BACKOFF_MS;
    this.#running = true;
    void this.#run();
  }

  async #run(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, BATCH);
      this.#inFlight = batch.length;
      const failed = await this.#write(batch);
      this.#inFlight = 0;
      if (failed.length === 0) {
        this.#backoff = MIN_BACKOFF_MS;
        continue;
      }
      if (this.#gaveUp) {
        for (const p of failed) p.reject(closedError());
        continue;
      }
      // Put them back in front, in order: nothing published later may overtake them.
      this.#queue.unshift(...failed);
      this.#running = false;
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null;
        this.#running = true;
        void this.#run();
      }, this.#backoff);
      this.#backoff = nextBackoff(this.#backoff);
      return;
    }
    this.#running = false;
    for (const done of this.#drained.splice(0)) done();
  }

  /** Writes a batch; returns the events that must be retried. */
  async #write(batch: Pending[]): Promise<Pending[]> {
    const pipeline = this.#redis.pipeline();
    for (const p of batch) pipeline.xadd(p.key, 'MAXLEN', '~', this.#maxLen, '*', 'e', p.json);
    let results: [Error | null, unknown][];
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (err) {
      results = batch.map(() => [err instanceof Error ? err : new Error(String(err)), null]);
    }
    const failed: Pending[] = [];
    let firstError: unknown = null;
    batch.forEach((p, i) => {
      const [err, id] = results[i] ?? [new Error('no reply'), null];
      // Written is final, even after an earlier failure: writing it again would duplicate it.
      if (!err && typeof id === 'string') p.resolve(id);
      else if (isPermanentError(err)) p.reject(err ?? new Error('XADD failed'));
      else {
        firstError ??= err;
        failed.push(p);
      }
    });
    if (failed.length > 0 && !this.#failing) {
      this.#failing = true;
      this.#log?.warn(
        { err: errorMessage(firstError), pending: this.size },
        'realtime: Redis unreachable, keeping events in the outbox',
      );
    } else if (failed.length === 0 && this.#failing) {
      this.#failing = false;
      this.#log?.info({}, 'realtime: outbox is writing to Redis again');
    }
    return failed;
  }

  /**
   * Stops accepting events and waits up to `timeoutMs` for the queue to drain; whatever is still
   * waiting then is rejected.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    if (this.size > 0) {
      this.nudge();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#drained.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    // A batch still in flight settles on its own (rejected once the connection is closed).
    this.#gaveUp = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    for (const p of this.#queue.splice(0)) p.reject(closedError());
  }
}
