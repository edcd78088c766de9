import type { AddressInfo } from 'node:net';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  data,
  type Harness,
  PUBLIC_URL,
  startHarness,
  trpcError,
} from './harness.ts';
import { TestSocket } from './ws-client.ts';

/**
 * The viewer role: reads what a member reads and changes nothing of the organisation's, on
 * every path a conversation can be acted on (tRPC, REST, WebSocket), and whatever it holds
 * (a session, or an API key whose creator was made a viewer). The matrix walk
 * (rbac.security.test.ts) covers each procedure's gate; this covers the paths behind it.
 */
describe.each(testDrivers())('viewer role (%s)', (driver) => {
  let h: Harness;
  let url: string;
  let owner: Account;
  let viewer: Account;
  let conversationId: string;

  const messageCount = async () =>
    (
      await h.t.ownerQuery<{ n: number }>(
        'select count(*)::int as n from messages where session_id = $1',
        [conversationId],
      )
    )[0]?.n;

  beforeAll(async () => {
    h = await startHarness(driver, { LOG_LEVEL: 'error' });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    owner = await h.signUp('Viewer Org');
    viewer = await h.joinAs(owner, 'viewer');
    const created = await h.mutate('conversations.create', owner.cookie, { title: 'Refunds' });
    conversationId = data<{ id: string }>(created).id;
    const sent = await h.mutate('chat.send', owner.cookie, { conversationId, text: 'Hello' });
    expect(sent.status, sent.raw.body).toBe(200);
  }, 60_000);
  afterAll(() => h?.close());

  it('reads the organisation: conversations, messages, knowledge, costs, members', async () => {
    const me = data<{ role: string }>(await h.query('users.me', viewer.cookie));
    expect(me.role).toBe('viewer');
    const list = await h.query('conversations.list', viewer.cookie, {});
    expect(list.status, list.raw.body).toBe(200);
    expect(data<{ items: { id: string }[] }>(list).items.map((c) => c.id)).toContain(
      conversationId,
    );
    const messages = await h.query('conversations.messages', viewer.cookie, { id: conversationId });
    expect(messages.status, messages.raw.body).toBe(200);
    for (const path of ['knowledge.list', 'budgets.get', 'users.list', 'widgets.list'])
      expect((await h.query(path, viewer.cookie, {})).status, path).toBe(200);
  });

  it('cannot take part in a conversation over tRPC, REST or a socket', async () => {
    const before = await messageCount();
    const trpc = await h.mutate('chat.send', viewer.cookie, { conversationId, text: 'Hi' });
    expect(trpc.status).toBe(403);
    expect(trpcError(trpc).message).toContain('member');
    expect((await h.mutate('conversations.create', viewer.cookie, {})).status).toBe(403);
    expect(
      (await h.mutate('conversations.claim', viewer.cookie, { id: conversationId })).status,
    ).toBe(403);
    expect((await h.mutate('ai.answer', viewer.cookie, { question: 'Refunds?' })).status).toBe(403);

    // REST reads work; a write is refused by the conversation service itself.
    const csrf = await h.csrf(viewer.cookie);
    const read = await h.app.inject({
      method: 'GET',
      url: `/api/v1/conversations/${conversationId}/messages`,
      headers: { cookie: viewer.cookie },
    });
    expect(read.statusCode, read.body).toBe(200);
    const write = await h.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${conversationId}/messages`,
      headers: {
        cookie: viewer.cookie,
        origin: PUBLIC_URL,
        'content-type': 'application/json',
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
      },
      payload: JSON.stringify({ text: 'Hi from REST' }),
    });
    expect(write.statusCode, write.body).toBe(403);
    expect(write.body).toContain('Viewers can read conversations');

    // A socket may watch the conversation, not write in it.
    const socket = await TestSocket.open(url, { cookie: viewer.cookie, origin: PUBLIC_URL });
    try {
      const sub = await socket.request({ type: 'subscribe', conversationId });
      expect(sub).toMatchObject({ type: 'subscribed', conversationId });
      const refused = await socket.request({ type: 'send', conversationId, text: 'Hi from ws' });
      expect(refused).toMatchObject({ type: 'error', code: 'forbidden' });
    } finally {
      await socket.close();
    }
    expect(await messageCount()).toBe(before);
  });

  it('demotes the API keys of a member made a viewer, and can be promoted back', async () => {
    const admin = await h.joinAs(owner, 'admin');
    const created = await h.mutate('apiKeys.create', admin.cookie, {
      name: 'Support bot',
      scopes: ['read', 'write'],
    });
    expect(created.status, created.raw.body).toBe(200);
    const key = data<{ key: string }>(created).key;
    const viaKey = (path: string, input: unknown) =>
      h.app.inject({
        method: 'POST',
        url: `/trpc/${path}`,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload: JSON.stringify(input),
      });
    expect((await viaKey('conversations.create', {})).statusCode).toBe(200);

    const demoted = await h.mutate('users.updateRole', owner.cookie, {
      userId: admin.userId,
      role: 'viewer',
    });
    expect(demoted.status, demoted.raw.body).toBe(200);
    expect((await viaKey('conversations.create', {})).statusCode).toBe(403);
    const read = await h.app.inject({
      method: 'GET',
      url: '/trpc/conversations.list?input=%7B%7D',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(read.statusCode, read.body).toBe(200);

    const [entry] = await h.t.ownerQuery<{ metadata: unknown }>(
      `select metadata from audit_logs where tenant_id = $1 and action = 'member.role_changed'
        and resource_id = $2 order by created_at desc limit 1`,
      [owner.tenantId, admin.userId],
    );
    expect(entry?.metadata).toMatchObject({ before: { role: 'admin' }, after: { role: 'viewer' } });
    await h.mutate('users.updateRole', owner.cookie, { userId: admin.userId, role: 'member' });
    expect((await viaKey('conversations.create', {})).statusCode).toBe(200);
  });
});
