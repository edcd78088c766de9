import type { AddressInfo } from 'node:net';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cookieOf, data, type Harness, PUBLIC_URL, startHarness } from './harness.ts';
import { TestSocket } from './ws-client.ts';

/**
 * The heartbeat's check of what keeps member sockets open costs one read per credential
 * kind per round, not one per socket: every session in one auth transaction, every key of a
 * tenant in one tenant transaction. Counted at the database's two entry points.
 */
describe.each(testDrivers())('WebSocket heartbeat cost (%s)', (driver) => {
  let h: Harness;
  let url: string;

  beforeAll(async () => {
    // Rounds are run by the test (h.app.realtime.checkCredentials), never by the timer.
    h = await startHarness(driver, {
      REALTIME_HEARTBEAT_SECONDS: '300',
      SESSION_CACHE_SECONDS: '0',
    });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `ws://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/ws`;
  }, 60_000);
  afterAll(() => h?.close());

  /** The transactions one heartbeat round opens, by kind. */
  const countRound = async () => {
    const withAuth = vi.spyOn(h.platform.db, 'withAuth');
    const withTenant = vi.spyOn(h.platform.db, 'withTenant');
    try {
      await h.app.realtime.checkCredentials();
      return { auth: withAuth.mock.calls.length, tenant: withTenant.mock.calls.length };
    } finally {
      withAuth.mockRestore();
      withTenant.mockRestore();
    }
  };

  it('checks N sockets of one session (and of one key) with one read a round, and still closes them all', async () => {
    const owner = await h.signUp('Heartbeat Co');
    const second = await h.post('/api/auth/sign-in/email', {
      email: owner.email,
      password: owner.password,
    });
    const otherSession = cookieOf(second.raw) ?? '';
    const { key } = data<{ key: string }>(
      await h.mutate('apiKeys.create', owner.cookie, { name: 'beat', scopes: ['read'] }),
    );
    const N = 8;
    const mine = await Promise.all(
      Array.from({ length: N }, () =>
        TestSocket.open(url, { cookie: owner.cookie, origin: PUBLIC_URL }),
      ),
    );
    const theirs = await Promise.all(
      Array.from({ length: 3 }, () =>
        TestSocket.open(url, { cookie: otherSession, origin: PUBLIC_URL }),
      ),
    );
    const keyed = await Promise.all(
      Array.from({ length: 3 }, () => TestSocket.open(url, { authorization: `Bearer ${key}` })),
    );
    await Promise.all(
      [...mine, ...theirs, ...keyed].map((s) => s.waitFor((f) => f.type === 'hello')),
    );

    // Two sessions behind eleven sockets: one auth read; one key behind three: one tenant read.
    expect(await countRound()).toEqual({ auth: 1, tenant: 1 });
    expect(await countRound()).toEqual({ auth: 1, tenant: 1 });
    for (const s of [...mine, ...theirs, ...keyed]) expect(s.closed).toBeNull();

    // The session is signed out: all N of its sockets close at the next round, in one read.
    expect((await h.post('/api/auth/sign-out', {}, owner.cookie)).status).toBe(200);
    expect(await countRound()).toEqual({ auth: 1, tenant: 1 });
    for (const s of mine) await expect.poll(() => s.closed?.code, { timeout: 10_000 }).toBe(4401);
    for (const s of [...theirs, ...keyed]) expect(s.closed).toBeNull();

    // The other session is revoked from a third device's session list: its sockets go too.
    const third = cookieOf(
      (await h.post('/api/auth/sign-in/email', { email: owner.email, password: owner.password }))
        .raw,
    );
    const listed = data<{ items: Array<{ id: string; current: boolean }> }>(
      await h.query('sessions.list', third),
    ).items;
    expect(listed).toHaveLength(2);
    const target = listed.find((x) => !x.current);
    const revoke = await h.mutate('sessions.revoke', third, { id: target?.id });
    expect(revoke.status, revoke.raw.body).toBe(200);
    await h.app.realtime.checkCredentials();
    for (const s of theirs) await expect.poll(() => s.closed?.code, { timeout: 10_000 }).toBe(4401);
    for (const s of keyed) expect(s.closed).toBeNull();

    // No sessions left: a round costs no auth read at all.
    await expect.poll(() => h.app.realtime.connections(), { timeout: 10_000 }).toBe(3);
    expect(await countRound()).toEqual({ auth: 0, tenant: 1 });
    await Promise.all(keyed.map((s) => s.close()));
  });
});
