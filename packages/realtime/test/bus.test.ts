import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventBus } from '../src/bus.ts';
import { compareEventIds } from '../src/event-id.ts';
import type { BusEvent, NewEvent } from '../src/events.ts';
import { MemoryBus } from '../src/memory-bus.ts';
import { RedisStreamsBus, type RedisStreamsBusOptions } from '../src/redis-bus.ts';
import { hasRedisServer, type RedisServer, startRedisServer } from './redis-server.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` passes; the machine is shared, so deadlines are generous. */
async function eventually(check: () => unknown, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(20);
    }
  }
}

const event = (tenantId: string, seq: number, type: NewEvent['type'] = 'message.created') =>
  ({ tenantId, topic: 'tenant', type, data: { seq } }) satisfies NewEvent;

/** Everything a bus delivers, per tenant, in delivery order. */
function record(bus: EventBus) {
  const seen: BusEvent[] = [];
  bus.onEvent((e) => seen.push(e));
  return {
    seen,
    of: (tenantId: string) => seen.filter((e) => e.tenantId === tenantId),
    seqs: (tenantId: string) =>
      seen.filter((e) => e.tenantId === tenantId).map((e) => e.data.seq as number),
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

const quietLog = { warn() {}, info() {} };

interface Case {
  name: 'memory' | 'redis';
  open(options?: { maxLen?: number }): EventBus;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function memoryCase(): Case {
  return {
    name: 'memory',
    open: (options) => new MemoryBus(options),
    start: async () => {},
    stop: async () => {},
  };
}

function redisCase(): Case {
  let server: RedisServer | undefined;
  return {
    name: 'redis',
    open(options) {
      if (!server) throw new Error('redis-server is not running');
      return new RedisStreamsBus({
        url: server.url,
        instanceId: randomUUID(),
        log: quietLog,
        ...options,
      });
    },
    async start() {
      server = await startRedisServer();
    },
    async stop() {
      await server?.stop();
    },
  };
}

describe.each([
  ['memory', memoryCase()],
  ['redis', redisCase()],
] as const)('event bus contract (%s)', (_name, c) => {
  describe.skipIf(c.name === 'redis' && !hasRedisServer)(`${c.name} bus`, () => {
    const buses: EventBus[] = [];
    const open = (options?: { maxLen?: number }) => {
      const bus = c.open(options);
      buses.push(bus);
      return bus;
    };
    beforeAll(() => c.start());
    afterEach(async () => {
      await Promise.all(buses.splice(0).map((b) => b.close()));
    });
    afterAll(() => c.stop());

    it('gives every published event a newer id than the one before', async () => {
      const bus = open();
      const tenant = randomUUID();
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push(await bus.publish(event(tenant, i)));
      // Many at once, too: they are written in publish order.
      ids.push(...(await Promise.all(range(20, 60).map((i) => bus.publish(event(tenant, i))))));
      for (let i = 1; i < ids.length; i++)
        expect(compareEventIds(ids[i] as string, ids[i - 1] as string)).toBeGreaterThan(0);
    });

    it("delivers a watched tenant's events to every listener in order, exactly once", async () => {
      const bus = open();
      const tenant = randomUUID();
      const a = record(bus);
      const b = record(bus);
      bus.onEvent(() => {
        throw new Error('a broken listener');
      });
      await bus.watch(tenant);
      const ids = await Promise.all(range(0, 50).map((i) => bus.publish(event(tenant, i))));
      await eventually(() => expect(a.seqs(tenant)).toHaveLength(50));
      await eventually(() => expect(b.seqs(tenant)).toHaveLength(50));
      await sleep(300); // nothing more arrives
      expect(a.seqs(tenant)).toEqual(range(0, 50));
      expect(a.of(tenant).map((e) => e.id)).toEqual(ids);
      expect(b.of(tenant).map((e) => e.id)).toEqual(ids);
      expect(a.of(tenant)[0]).toEqual({
        id: ids[0],
        tenantId: tenant,
        topic: 'tenant',
        type: 'message.created',
        data: { seq: 0 },
      });
    });

    it('does not deliver the events of tenants it does not watch (any more)', async () => {
      const bus = open();
      const watched = randomUUID();
      const other = randomUUID();
      const dropped = randomUUID();
      const seen = record(bus);
      await bus.watch(watched);
      // Reference-counted: two watches need two unwatches.
      await bus.watch(dropped);
      await bus.watch(dropped);
      bus.unwatch(dropped);
      await bus.publish(event(dropped, 0));
      await eventually(() => expect(seen.seqs(dropped)).toEqual([0]));
      bus.unwatch(dropped);
      await bus.publish(event(other, 1));
      await bus.publish(event(dropped, 1));
      await sleep(100);
      await bus.publish(event(watched, 2));
      await eventually(() => expect(seen.seqs(watched)).toEqual([2]));
      await sleep(300);
      expect(seen.seqs(other)).toEqual([]);
      expect(seen.seqs(dropped)).toEqual([0]);
    });

    it('replays what came after an id, at most `limit`', async () => {
      const bus = open();
      const tenant = randomUUID();
      const ids = await Promise.all(range(0, 5).map((i) => bus.publish(event(tenant, i))));
      const [id0, id1, , , id4] = ids as [string, string, string, string, string];
      const after1 = await bus.since(tenant, id1, 10);
      expect(after1?.map((e) => e.data.seq)).toEqual([2, 3, 4]);
      expect(after1?.map((e) => e.id)).toEqual(ids.slice(2));
      expect(after1?.[0]).toMatchObject({
        tenantId: tenant,
        topic: 'tenant',
        type: 'message.created',
      });
      expect((await bus.since(tenant, id1, 2))?.map((e) => e.data.seq)).toEqual([2, 3]);
      expect((await bus.since(tenant, id0, 10))?.map((e) => e.data.seq)).toEqual([1, 2, 3, 4]);
      expect(await bus.since(tenant, id4, 10)).toEqual([]);
    });

    it('returns null when the history no longer reaches back that far', async () => {
      // MAXLEN ~ trims whole stream nodes (100 entries), so publish well past maxLen.
      const bus = open({ maxLen: 10 });
      const tenant = randomUUID();
      const ids = await Promise.all(range(0, 400).map((i) => bus.publish(event(tenant, i))));
      expect(await bus.since(tenant, ids[0] as string, 10)).toBeNull();
      // An id older than anything the tenant ever had: the stream cannot prove there is no gap.
      expect(await bus.since(tenant, '1-0', 10)).toBeNull();
      const last = ids.slice(-3);
      const tail = await bus.since(tenant, last[0] as string, 10);
      expect(tail?.map((e) => e.id)).toEqual(last.slice(1));
    });

    it('returns null for an empty or unknown stream', async () => {
      const bus = open();
      const empty = randomUUID();
      await bus.watch(empty);
      expect(await bus.since(empty, '1-0', 10)).toBeNull();
      expect(await bus.since(randomUUID(), '1-0', 10)).toBeNull();
      bus.unwatch(empty);
    });
  });
});

describe.skipIf(!hasRedisServer)('RedisStreamsBus (redis)', () => {
  let server: RedisServer;
  let raw: Redis;
  const buses: RedisStreamsBus[] = [];
  const open = (options: Partial<RedisStreamsBusOptions> = {}) => {
    const bus = new RedisStreamsBus({
      url: server.url,
      instanceId: randomUUID(),
      log: quietLog,
      ...options,
    });
    buses.push(bus);
    return bus;
  };
  beforeAll(async () => {
    server = await startRedisServer();
    raw = new Redis(server.url);
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    raw.disconnect();
    await server.stop();
  });

  it("fans out: each instance receives the other's events", async () => {
    const a = open();
    const b = open();
    const tenant = randomUUID();
    const seenA = record(a);
    const seenB = record(b);
    await Promise.all([a.watch(tenant), b.watch(tenant)]);
    const ids = await Promise.all([
      ...range(0, 10).map((i) => a.publish(event(tenant, i))),
      ...range(10, 20).map((i) => b.publish(event(tenant, i))),
    ]);
    ids.sort(compareEventIds);
    await eventually(() => expect(seenA.of(tenant).map((e) => e.id)).toEqual(ids));
    await eventually(() => expect(seenB.of(tenant).map((e) => e.id)).toEqual(ids));
    expect(new Set(seenA.seqs(tenant))).toEqual(new Set(range(0, 20)));
    // One group per instance on the tenant's stream.
    const groups = (await raw.xinfo('GROUPS', `rt:{${tenant}}`)) as unknown[][];
    expect(groups).toHaveLength(2);
  });

  it('loses nothing across a Redis restart: every event reaches both instances once, in order', async () => {
    const own = await startRedisServer();
    try {
      const options = { url: own.url, log: quietLog };
      const a = open({ ...options, instanceId: `a-${randomUUID()}` });
      const b = open({ ...options, instanceId: `b-${randomUUID()}` });
      const tenant = randomUUID();
      const seenA = record(a);
      const seenB = record(b);
      await Promise.all([a.watch(tenant), b.watch(tenant)]);
      const published: Promise<string>[] = [];
      const publish = (from: number, to: number) => {
        for (const i of range(from, to)) published.push(a.publish(event(tenant, i)));
      };

      publish(0, 30);
      await Promise.all(published);
      await eventually(() => expect(seenA.seqs(tenant)).toHaveLength(30));
      await eventually(() => expect(seenB.seqs(tenant)).toHaveLength(30));

      // SIGKILL: no persistence, so the streams and groups are gone when it comes back.
      const restarting = own.restart();
      await eventually(() => expect(a.health().connected).toBe(false), 10_000);
      publish(30, 60); // while Redis is down: they wait in the outbox
      expect(a.health()).toMatchObject({ kind: 'redis', connected: false });
      expect(a.health().pending).toBeGreaterThanOrEqual(30);
      await restarting;
      publish(60, 90);

      await Promise.all(published);
      await eventually(() => expect(seenA.seqs(tenant)).toEqual(range(0, 90)), 30_000);
      await eventually(() => expect(seenB.seqs(tenant)).toEqual(range(0, 90)), 30_000);
      await sleep(300);
      expect(seenA.seqs(tenant)).toEqual(range(0, 90));
      expect(seenB.seqs(tenant)).toEqual(range(0, 90));
      expect(a.health()).toEqual({ kind: 'redis', connected: true, pending: 0 });
    } finally {
      await Promise.all(buses.splice(0).map((x) => x.close()));
      await own.stop();
    }
  });

  it('delivers what a previous incarnation of the instance read but never acked', async () => {
    const instanceId = randomUUID();
    const tenant = randomUUID();
    const key = `rt:{${tenant}}`;
    // The previous incarnation: its group read an entry, then the process died.
    await raw.xgroup('CREATE', key, `i:${instanceId}`, '$', 'MKSTREAM');
    const orphan = await raw.xadd(
      key,
      '*',
      'e',
      JSON.stringify({ topic: 'tenant', type: 'message.created', data: { seq: 'orphan' } }),
    );
    await raw.xreadgroup('GROUP', `i:${instanceId}`, instanceId, 'STREAMS', key, '>');
    await sleep(150);

    const bus = open({ instanceId, claimIdleMs: 100 });
    const seen = record(bus);
    await bus.watch(tenant);
    await eventually(() => expect(seen.of(tenant).map((e) => e.id)).toEqual([orphan]));
    const next = await bus.publish(event(tenant, 1));
    await eventually(() => expect(seen.of(tenant).map((e) => e.id)).toEqual([orphan, next]));
    await sleep(300); // claims run every 100 ms: the acked entry is not delivered again
    expect(seen.of(tenant).map((e) => e.id)).toEqual([orphan, next]);
    await eventually(async () => expect((await raw.xpending(key, `i:${instanceId}`))[0]).toBe(0));
  });

  it('acks and skips entries it cannot parse', async () => {
    const warnings: string[] = [];
    const instanceId = randomUUID();
    const bus = open({
      instanceId,
      log: { warn: (_o, msg) => warnings.push(msg ?? ''), info() {} },
    });
    const tenant = randomUUID();
    const seen = record(bus);
    await bus.watch(tenant);
    await raw.xadd(`rt:{${tenant}}`, '*', 'e', 'not json');
    await raw.xadd(`rt:{${tenant}}`, '*', 'other', 'field');
    const id = await bus.publish(event(tenant, 1));
    await eventually(() => expect(seen.of(tenant).map((e) => e.id)).toEqual([id]));
    expect(warnings.filter((w) => w.includes('malformed'))).toHaveLength(2);
    await eventually(async () =>
      expect((await raw.xpending(`rt:{${tenant}}`, `i:${instanceId}`))[0]).toBe(0),
    );
    // since() skips them too.
    const all = await bus.since(
      tenant,
      (await raw.xrange(`rt:{${tenant}}`, '-', '+'))[0]?.[0] ?? '',
      10,
    );
    expect(all?.map((e) => e.id)).toEqual([id]);
  });

  it("destroys its group on the last unwatch, and dead instances' groups on a first watch", async () => {
    const tenant = randomUUID();
    const key = `rt:{${tenant}}`;
    // A dead instance (idle consumer), and a group that is not ours to touch.
    await raw.xgroup('CREATE', key, 'i:dead', '$', 'MKSTREAM');
    await raw.xgroup('CREATECONSUMER', key, 'i:dead', 'dead');
    await raw.xgroup('CREATE', key, 'someone-else', '$');
    await sleep(150);
    const bus = open({ instanceId: 'reaper', groupIdleMs: 100 });
    await bus.watch(tenant);
    const names = async () =>
      ((await raw.xinfo('GROUPS', key)) as unknown[][]).map((g) => g[1]).sort();
    await eventually(async () => expect(await names()).toEqual(['i:reaper', 'someone-else']));
    bus.unwatch(tenant);
    await eventually(async () => expect(await names()).toEqual(['someone-else']));
  });

  it('with lingerMs, keeps a group through a quick unwatch and watch, then destroys it', async () => {
    const tenant = randomUUID();
    const key = `rt:{${tenant}}`;
    const bus = open({ instanceId: 'lingerer', lingerMs: 300 });
    const names = async () =>
      ((await raw.xinfo('GROUPS', key)) as unknown[][]).map((g) => g[1]).sort();
    await bus.watch(tenant);
    bus.unwatch(tenant);
    await sleep(50);
    expect(await names()).toEqual(['i:lingerer']);
    await bus.watch(tenant);
    await sleep(400);
    expect(await names()).toEqual(['i:lingerer']);
    bus.unwatch(tenant);
    await eventually(async () => expect(await names()).toEqual([]));
  });

  it('keeps events while Redis is down and reports them as pending', async () => {
    const own = await startRedisServer();
    const bus = open({ url: own.url });
    const tenant = randomUUID();
    await bus.publish(event(tenant, 0));
    await own.stop();
    await eventually(() => expect(bus.health().connected).toBe(false));
    const waiting = bus.publish(event(tenant, 1));
    const outcome = waiting.then(
      () => 'written',
      (err: Error) => err.message,
    );
    await sleep(500);
    expect(bus.health()).toEqual({ kind: 'redis', connected: false, pending: 1 });
    expect(await bus.since(tenant, '1-0', 10)).toBeNull(); // unreachable: ask the database
    // close() gives up on it after trying for a while.
    await bus.close();
    expect(await outcome).toMatch(/closed/);
  });

  it('drops the oldest ephemeral events first when the outbox is full', async () => {
    const bus = new RedisStreamsBus({
      url: 'redis://127.0.0.1:1', // nothing listens: every write waits in the outbox
      instanceId: randomUUID(),
      outboxLimit: 3,
      log: quietLog,
    });
    buses.push(bus);
    const tenant = randomUUID();
    const settle = (p: Promise<string>) =>
      p.then(
        () => 'written',
        (err: Error) => err.message,
      );
    const typing = settle(bus.publish(event(tenant, 0, 'typing')));
    const created = settle(bus.publish(event(tenant, 1)));
    const delta = settle(bus.publish(event(tenant, 2, 'message.delta')));
    const another = settle(bus.publish(event(tenant, 3))); // drops the typing event
    expect(await typing).toMatch(/dropped/);
    const yetAnother = settle(bus.publish(event(tenant, 4))); // drops the delta
    expect(await delta).toMatch(/dropped/);
    await expect(bus.publish(event(tenant, 5))).rejects.toThrow(/full/);
    expect(bus.health().pending).toBe(3);
    await bus.close();
    expect(await Promise.all([created, another, yetAnother])).toEqual([
      expect.stringMatching(/closed/),
      expect.stringMatching(/closed/),
      expect.stringMatching(/closed/),
    ]);
  });

  it('rejects publish and watch after close()', async () => {
    const bus = open();
    const tenant = randomUUID();
    await bus.watch(tenant);
    await bus.publish(event(tenant, 0));
    await bus.close();
    await expect(bus.publish(event(tenant, 1))).rejects.toThrow(/closed/);
    await expect(bus.watch(tenant)).rejects.toThrow(/closed/);
    expect(bus.health().connected).toBe(false);
  });
});
