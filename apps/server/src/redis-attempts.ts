import { ATTEMPT_WINDOW_SECONDS, type AttemptStore } from '@platform/auth';
import type { Redis } from 'ioredis';

/**
 * One attempt against an unknown email, atomically: count it, start the window on the first,
 * and when the count reaches the threshold (once) shorten the key's life to the lock.
 * KEYS[1] key; ARGV window seconds, threshold, lock seconds. Answers { count, ttl }.
 */
const ATTEMPT = `
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if n >= tonumber(ARGV[2]) and redis.call('HSETNX', KEYS[1], 'locked', 1) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return { n, redis.call('TTL', KEYS[1]) }`;

/** Hands an attempt back; below the threshold again, a lock it started is lifted. */
const RELEASE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = redis.call('HINCRBY', KEYS[1], 'n', -1)
if n < tonumber(ARGV[2]) and redis.call('HDEL', KEYS[1], 'locked') == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return n`;

/**
 * Unknown-email sign-in attempts in Redis, so every instance locks the same email after the
 * same number of failures as an account would be (no existence oracle across instances).
 */
export function redisAttemptStore(redis: Redis, timeoutMs = 1_000): AttemptStore {
  const key = (k: string) => `platform:sign-in:${k}`;
  // While Redis is away ioredis queues commands; a sign-in must not wait for it to return.
  const bounded = <T>(work: Promise<T>) =>
    Promise.race([
      work,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('Redis did not answer')), timeoutMs).unref(),
      ),
    ]);
  return {
    attempt: async (k, threshold, lockSeconds) => {
      const [count, ttl] = (await bounded(
        redis.eval(ATTEMPT, 1, key(k), ATTEMPT_WINDOW_SECONDS, threshold, lockSeconds),
      )) as [number, number];
      return { count: Number(count), ttlSeconds: Math.max(1, Number(ttl)) };
    },
    release: async (k, threshold) => {
      await bounded(redis.eval(RELEASE, 1, key(k), ATTEMPT_WINDOW_SECONDS, threshold));
    },
  };
}
