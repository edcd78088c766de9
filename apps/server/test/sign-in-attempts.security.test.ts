import { randomBytes } from 'node:crypto';
import { ATTEMPT_WINDOW_SECONDS, type AttemptStore, memoryAttemptStore } from '@platform/auth';
import { testDrivers } from '@platform/db/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasRedisServer,
  type RedisServer,
  startRedisServer,
} from '../../../packages/realtime/test/redis-server.ts';
import { redisAttemptStore } from '../src/redis-attempts.ts';
import { type Harness, PUBLIC_URL, startHarness, uniqueEmail } from './harness.ts';

let redisServer: RedisServer | undefined;
let redis: Redis | undefined;
beforeAll(async () => {
  if (!hasRedisServer) return;
  redisServer = await startRedisServer();
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis?.disconnect();
  await redisServer?.stop();
});

const stores: [string, () => AttemptStore][] = [
  ['memory', () => memoryAttemptStore()],
  ...(hasRedisServer
    ? [['redis', () => redisAttemptStore(redis as Redis)] as [string, () => AttemptStore]]
    : []),
];

/** Unknown emails must lock exactly like accounts (lockout.ts), in memory and in Redis alike. */
describe.each(stores)('unknown-email attempt counters (%s)', (_name, make) => {
  const key = () => randomBytes(8).toString('hex');

  it('counts to the threshold, then holds the lock for its length', async () => {
    const store = make();
    const k = key();
    for (let i = 1; i <= 4; i++) {
      const r = await store.attempt(k, 5, 900);
      expect(r.count).toBe(i);
      expect(r.ttlSeconds).toBeGreaterThan(900); // the 24 h window, not yet a lock
      expect(r.ttlSeconds).toBeLessThanOrEqual(ATTEMPT_WINDOW_SECONDS);
    }
    const fifth = await store.attempt(k, 5, 900);
    expect(fifth).toEqual({ count: 5, ttlSeconds: expect.any(Number) });
    expect(fifth.ttlSeconds).toBeLessThanOrEqual(900);
    const sixth = await store.attempt(k, 5, 900);
    expect(sixth.count).toBe(6);
    expect(sixth.ttlSeconds).toBeLessThanOrEqual(900); // refusals do not extend the lock
    expect((await store.attempt(key(), 5, 900)).count).toBe(1); // keys are independent
  });

  it('hands back an attempt without a verdict, lifting the lock it started', async () => {
    const store = make();
    const k = key();
    for (let i = 0; i < 5; i++) await store.attempt(k, 5, 900);
    await store.release(k, 5);
    const next = await store.attempt(k, 5, 900);
    expect(next.count).toBe(5);
    expect(next.ttlSeconds).toBeLessThanOrEqual(900);
    await store.release(key(), 5); // nothing to hand back: no error, nothing created
    expect((await store.attempt(key(), 5, 900)).count).toBe(1);
  });
});

describe.runIf(hasRedisServer)('unknown emails lock across instances sharing Redis', () => {
  const driver = testDrivers()[0] as Parameters<typeof startHarness>[0];
  let one: Harness;
  let two: Harness;
  beforeAll(async () => {
    const env = {
      REDIS_URL: redisServer?.url as string,
      AUTH_SECRET: randomBytes(32).toString('base64url'),
    };
    one = await startHarness(driver, env);
    two = await startHarness(driver, env);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
  });

  it('counts an unknown email’s failures on every instance together', async () => {
    const email = uniqueEmail('ghost');
    const attempt = (h: Harness) =>
      h.app.inject({
        method: 'POST',
        url: '/api/auth/sign-in/email',
        headers: { 'content-type': 'application/json', origin: PUBLIC_URL },
        payload: JSON.stringify({ email, password: 'some wrong password' }),
      });
    for (const h of [one, two, one, two, one]) expect((await attempt(h)).statusCode).toBe(401);
    expect((await attempt(two)).statusCode).toBe(429);
    expect((await attempt(one)).statusCode).toBe(429);
  });
});
