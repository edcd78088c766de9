import type { Counters } from '@platform/api';
import type { Redis } from 'ioredis';

/**
 * Counters in Redis, so every instance counts against the same limits. A key is seeded
 * (SET NX) before its first increment, and gets its expiry only once (EXPIRE NX, Redis 7).
 */
export function redisCounters(redis: Redis, timeoutMs = 1_000): Counters {
  return {
    // While Redis is away ioredis queues commands; a send must not wait for it to return.
    increment: (key, ttlSeconds, seed) =>
      Promise.race([
        increment(key, ttlSeconds, seed),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('Redis did not answer')), timeoutMs).unref(),
        ),
      ]),
  };

  async function increment(key: string, ttlSeconds: number, seed?: () => Promise<number>) {
    const k = `limits:${key}`;
    if (seed && !(await redis.exists(k))) await redis.set(k, await seed(), 'EX', ttlSeconds, 'NX');
    const replies = await redis.multi().incr(k).expire(k, ttlSeconds, 'NX').exec();
    const [error, count] = replies?.[0] ?? [new Error('no reply'), null];
    if (error) throw error;
    return Number(count);
  }
}
