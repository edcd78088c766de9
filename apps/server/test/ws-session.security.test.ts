import type { AddressInfo } from 'node:net';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, PUBLIC_URL, startHarness } from './harness.ts';
import { TestSocket } from './ws-client.ts';

/** A member's socket lives only as long as the session it was opened with. */
describe.each(testDrivers())('WebSocket and the session behind it (%s)', (driver) => {
  let h: Harness;
  let url: string;

  beforeAll(async () => {
    h = await startHarness(driver, { REALTIME_HEARTBEAT_SECONDS: '1', SESSION_CACHE_SECONDS: '0' });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `ws://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/ws`;
  });
  afterAll(() => h?.close());

  const closedWithin = async (socket: TestSocket, ms: number) => {
    const until = Date.now() + ms;
    while (!socket.closed && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return socket.closed;
  };

  it('closes a socket (4401) once its session is signed out, and leaves other sessions open', async () => {
    const owner = await h.signUp('Socket Session Co');
    const second = await h.post('/api/auth/sign-in/email', {
      email: owner.email,
      password: owner.password,
    });
    const otherCookie = String(second.raw.headers['set-cookie']).split(';')[0] ?? '';
    const mine = await TestSocket.open(url, { cookie: owner.cookie, origin: PUBLIC_URL });
    const theirs = await TestSocket.open(url, { cookie: otherCookie, origin: PUBLIC_URL });
    // Heartbeats alone do not end a live session.
    expect(await closedWithin(mine, 2500)).toBeNull();

    const out = await h.post('/api/auth/sign-out', {}, owner.cookie);
    expect(out.status).toBe(200);
    expect(await closedWithin(mine, 5000)).toMatchObject({ code: 4401 });
    expect(theirs.closed).toBeNull();
    await theirs.close();
  });

  it('does not keep an idle session alive by its heartbeats', async () => {
    const owner = await h.signUp('Idle Socket Co');
    const socket = await TestSocket.open(url, { cookie: owner.cookie, origin: PUBLIC_URL });
    // The session was last used two minutes ago; heartbeats must not move that forward.
    await h.t.ownerQuery(
      `update auth_sessions set last_seen_at = now() - interval '2 minutes'
        where user_id = $1`,
      [owner.userId],
    );
    await new Promise((r) => setTimeout(r, 2500));
    const [row] = await h.t.ownerQuery<{ idle: number }>(
      `select extract(epoch from now() - last_seen_at)::int as idle from auth_sessions where user_id = $1`,
      [owner.userId],
    );
    expect(row?.idle).toBeGreaterThanOrEqual(120);
    expect(socket.closed).toBeNull();
    // Past the idle limit, the socket goes with the session.
    await h.t.ownerQuery(
      `update auth_sessions set last_seen_at = now() - interval '1 day' where user_id = $1`,
      [owner.userId],
    );
    expect(await closedWithin(socket, 5000)).toMatchObject({ code: 4401 });
  });
});
