import type { AddressInfo } from 'node:net';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, data, type Harness, PUBLIC_URL, startHarness } from './harness.ts';
import { type Frame, TestSocket, UpgradeRefused } from './ws-client.ts';

type Created = { id: string; key: string };

/** API keys on /ws: `Authorization: Bearer sk_live_...` at the upgrade, held to the key's scopes. */
describe.each(testDrivers())('WebSocket with an API key (%s)', (driver) => {
  let h: Harness;
  let url: string;
  let owner: Account;
  let other: Account;

  beforeAll(async () => {
    // Heartbeat rounds are run by the tests themselves (h.app.realtime.checkCredentials).
    h = await startHarness(driver, { REALTIME_HEARTBEAT_SECONDS: '300', LOG_LEVEL: 'error' });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `ws://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/ws`;
    owner = await h.signUp('Socket Keys Co');
    other = await h.signUp('Other Keys Co');
  }, 60_000);
  afterAll(() => h?.close());

  const createKey = async (input: Record<string, unknown>, by: Account = owner) => {
    const reply = await h.mutate('apiKeys.create', by.cookie, input);
    expect(reply.status, reply.raw.body).toBe(200);
    return data<Created>(reply);
  };
  const withKey = (key: string, extra: { cookie?: string; origin?: string } = {}) =>
    TestSocket.open(url, { authorization: `Bearer ${key}`, ...extra });
  const refusal = async (opening: Promise<TestSocket>): Promise<UpgradeRefused> => {
    const err = await opening.then(
      async (s) => {
        await s.close();
        throw new Error('the upgrade was accepted');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UpgradeRefused);
    return err as UpgradeRefused;
  };
  const newConversation = async () =>
    data<{ id: string }>(await h.mutate('conversations.create', owner.cookie, {})).id;
  const closedWith = (s: TestSocket) =>
    expect.poll(() => s.closed?.code, { timeout: 10_000 }).toBe(4401);
  /** Frames on one socket arrive in order: once the pong is back, nothing sent before is missing. */
  const settled = async (s: TestSocket) => {
    await s.request({ type: 'ping' });
  };

  it('opens a member socket in the key’s tenant, from any Origin or none, a cookie beside it ignored', async () => {
    const { key } = await createKey({ name: 'ws reader', scopes: ['read'] });
    for (const extra of [
      {},
      { origin: 'https://evil.example' },
      { origin: PUBLIC_URL, cookie: other.cookie },
    ]) {
      const s = await withKey(key, extra);
      const hello = await s.waitFor((f) => f.type === 'hello');
      expect(hello).toMatchObject({
        identity: { kind: 'member', tenantId: owner.tenantId, name: 'ws reader' },
      });
      await s.close();
    }
  });

  it('refuses a key in the URL, valid or not, without confirming anything', async () => {
    const { key } = await createKey({ name: 'in the url', scopes: ['read'] });
    const answers = [
      await refusal(TestSocket.open(url, { token: key })),
      await refusal(TestSocket.open(url, { token: `sk_live_${'B'.repeat(43)}` })),
    ];
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.body).toBe(answers[0]?.body);
      expect(a.body).toContain('Authorization header');
      expect(a.body).not.toContain(key);
    }
  });

  it('answers 401 Invalid API key for unknown, malformed, revoked, expired and orphaned keys', async () => {
    const revoked = await createKey({ name: 'revoked', scopes: ['read'] });
    await (await withKey(revoked.key)).close();
    expect((await h.mutate('apiKeys.revoke', owner.cookie, { id: revoked.id })).status).toBe(200);
    const expired = await createKey({ name: 'expired', scopes: ['read'], expiresInDays: 1 });
    await h.t.ownerQuery(
      `update api_keys set expires_at = now() - interval '1 minute' where id = $1`,
      [expired.id],
    );
    const admin = await h.joinAs(owner, 'admin');
    const orphan = await createKey({ name: 'orphan', scopes: ['read'] }, admin);
    await h.t.ownerQuery('delete from memberships where user_id = $1 and tenant_id = $2', [
      admin.userId,
      owner.tenantId,
    ]);
    const answers: UpgradeRefused[] = [];
    for (const key of [
      `sk_live_${'A'.repeat(43)}`,
      'sk_live_short',
      'sk_test_whatever',
      revoked.key,
      expired.key,
      orphan.key,
    ])
      answers.push(await refusal(withKey(key)));
    // A bad key never falls back to the valid cookie beside it.
    answers.push(
      await refusal(
        withKey(`sk_live_${'A'.repeat(43)}`, { cookie: owner.cookie, origin: PUBLIC_URL }),
      ),
    );
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(JSON.parse(a.body)).toEqual({
        error: { code: 'unauthorized', message: 'Invalid API key' },
      });
    }
  });

  it('lets frames through only within the key’s scopes (forbidden naming scope)', async () => {
    const conversationId = await newConversation();
    const reader = await withKey(
      (await createKey({ name: 'r', scopes: ['conversations:read'] })).key,
    );
    expect(await reader.request({ type: 'subscribe', conversationId })).toMatchObject({
      type: 'subscribed',
      conversationId,
    });
    for (const frame of [
      { type: 'send', conversationId, text: 'hello from a reader' },
      { type: 'stop', conversationId },
      { type: 'handoff', conversationId },
    ])
      expect(await reader.request(frame), frame.type).toMatchObject({
        type: 'error',
        code: 'forbidden',
        field: 'scope',
      });
    reader.send({ type: 'typing', conversationId, typing: true });
    await reader.waitFor((f) => f.type === 'error' && f.field === 'scope' && !f.requestId);
    expect(await reader.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(await reader.request({ type: 'unsubscribe', conversationId })).toMatchObject({
      type: 'unsubscribed',
    });
    const [stored] = await h.t.ownerQuery<{ n: number }>(
      'select count(*)::int as n from messages where session_id = $1',
      [conversationId],
    );
    expect(stored?.n).toBe(0);

    const outside = await withKey((await createKey({ name: 'w', scopes: ['widgets:write'] })).key);
    for (const frame of [{ type: 'subscribe', conversationId }, { type: 'subscribe' }])
      expect(await outside.request(frame)).toMatchObject({
        type: 'error',
        code: 'forbidden',
        field: 'scope',
      });

    const writer = await withKey(
      (await createKey({ name: 'chat bot', scopes: ['conversations:write'] })).key,
    );
    const accepted = await writer.request(
      { type: 'send', conversationId, text: 'Hello from an integration' },
      'accepted',
    );
    expect(accepted).toMatchObject({ type: 'ack', data: { stage: 'accepted' } });
    await Promise.all([reader.close(), outside.close(), writer.close()]);
  });

  it('never reaches another organisation’s conversations', async () => {
    const theirs = data<{ id: string }>(
      await h.mutate('conversations.create', other.cookie, { title: 'private' }),
    ).id;
    const s = await withKey((await createKey({ name: 'probe', scopes: ['admin'] })).key);
    expect(await s.request({ type: 'subscribe', conversationId: theirs })).toMatchObject({
      type: 'error',
      code: 'not_found',
    });
    expect(await s.request({ type: 'send', conversationId: theirs, text: 'x' })).toMatchObject({
      type: 'error',
      code: 'not_found',
    });
    await s.close();
  });

  it('on the tenant topic, a key hears only the resources its scopes read', async () => {
    const chat = await withKey(
      (await createKey({ name: 'c', scopes: ['conversations:read'] })).key,
    );
    const kb = await withKey((await createKey({ name: 'k', scopes: ['knowledge:read'] })).key);
    for (const s of [chat, kb])
      expect(await s.request({ type: 'subscribe' })).toMatchObject({
        type: 'subscribed',
        conversationId: null,
      });
    const conversationId = await newConversation();
    const isUpdate = (f: Frame) =>
      f.event === 'conversation.updated' &&
      (f.data as { conversationId: string }).conversationId === conversationId;
    await chat.waitFor(isUpdate);
    await h.ingest(owner.cookie, 'keys.md', '# Keys\n\nRotate integration keys every quarter.');
    await kb.waitFor(
      (f) => f.event === 'ingestion.progress' && (f.data as { status: string }).status === 'ready',
    );
    await Promise.all([settled(chat), settled(kb)]);
    expect(chat.events('ingestion.progress')).toEqual([]);
    expect(kb.events('conversation.updated')).toEqual([]);
    await Promise.all([chat.close(), kb.close()]);
  });

  it('closes the key’s sockets (4401): at once after a revocation here, at the next heartbeat for one elsewhere', async () => {
    // Revoked through this instance: the socket's next frame finds it revoked.
    const here = await createKey({ name: 'revoked here', scopes: ['read'] });
    const a = await withKey(here.key);
    expect((await h.mutate('apiKeys.revoke', owner.cookie, { id: here.id })).status).toBe(200);
    a.send({ type: 'subscribe' });
    await closedWith(a);

    // Revoked by another instance (written straight to the database, this process's cache
    // unaware), expired, or its creator gone: the heartbeat round reads keys afresh.
    const elsewhere = await createKey({ name: 'revoked elsewhere', scopes: ['read'] });
    const expiring = await createKey({ name: 'expiring', scopes: ['read'], expiresInDays: 1 });
    const admin = await h.joinAs(owner, 'admin');
    const leaving = await createKey({ name: 'leaving', scopes: ['read'] }, admin);
    const kept = await createKey({ name: 'kept', scopes: ['read'] });
    const sockets = {
      elsewhere: [await withKey(elsewhere.key), await withKey(elsewhere.key)],
      expiring: [await withKey(expiring.key)],
      leaving: [await withKey(leaving.key)],
      kept: [await withKey(kept.key)],
    };
    await h.app.realtime.checkCredentials();
    for (const s of Object.values(sockets).flat()) expect(s.closed).toBeNull();

    await h.t.ownerQuery('update api_keys set revoked_at = now() where id = $1', [elsewhere.id]);
    await h.t.ownerQuery(
      `update api_keys set expires_at = now() - interval '1 second' where id = $1`,
      [expiring.id],
    );
    await h.t.ownerQuery('delete from memberships where user_id = $1 and tenant_id = $2', [
      admin.userId,
      owner.tenantId,
    ]);
    await h.app.realtime.checkCredentials();
    for (const s of [...sockets.elsewhere, ...sockets.expiring, ...sockets.leaving])
      await closedWith(s);
    const [keptSocket] = sockets.kept;
    expect(await keptSocket?.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    await keptSocket?.close();
  });

  it('counts the upgrade and each acting frame against the key’s per-minute limit', async () => {
    // Against a limit of two, six counted requests: whichever minute boundary falls between
    // them, one minute sees at least three.
    const framed = await createKey({
      name: 'slow frames',
      scopes: ['read'],
      rateLimitPerMinute: 2,
    });
    const s = await withKey(framed.key);
    const answers: Frame[] = [];
    for (let i = 0; i < 5; i++) answers.push(await s.request({ type: 'subscribe' }));
    const limited = answers.find((f) => f.type === 'error');
    expect(limited, JSON.stringify(answers)).toMatchObject({ code: 'rate_limited' });
    // Pings are not counted.
    expect(await s.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    await s.close();

    const upgrades = await createKey({
      name: 'slow upgrades',
      scopes: ['read'],
      rateLimitPerMinute: 2,
    });
    let refused: UpgradeRefused | undefined;
    for (let i = 0; i < 6 && !refused; i++) {
      const opened = await withKey(upgrades.key).catch((e: unknown) => e);
      if (opened instanceof TestSocket) await opened.close();
      else refused = opened as UpgradeRefused;
    }
    expect(refused?.status).toBe(429);
    expect(JSON.parse(refused?.body ?? '{}')).toMatchObject({ error: { code: 'rate_limited' } });
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused?.headers['retry-after'])).toBeLessThanOrEqual(60);
  });
});
