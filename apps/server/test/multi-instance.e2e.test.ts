/**
 * Two real server processes share PostgreSQL and a private Redis: what is sent through one
 * reaches clients of the other; a stop sent to one halts the answer the other writes; a Redis
 * restart loses nothing; when an instance dies mid-answer, its clients resume on the other and
 * the other writes the answer. Needs DATABASE_URL (runs on PostgreSQL) and redis-server.
 */
import { randomBytes } from 'node:crypto';
import { openTestDatabase, type TestDatabase } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeVendors, startFakeVendors } from '../../../packages/ai/test/fake-vendors.ts';
import {
  hasRedisServer,
  type RedisServer,
  startRedisServer,
} from '../../../packages/realtime/test/redis-server.ts';
import { freePort, type ServerProcess, startServer, waitHealthy } from './process.ts';
import { type Frame, TestSocket } from './ws-client.ts';

const ORIGIN = 'http://localhost:3000';
type Message = { id: string; text: string; status: string; author: { type: string } };

const createdIn = (s: TestSocket, conversationId: string) =>
  s.events('message.created', conversationId).map((f) => (f.data as { message: Message }).message);
const isMessage = (match: (m: Message) => boolean) => (f: Frame) =>
  f.event === 'message.created' && match((f.data as { message: Message }).message);

const runs = Boolean(process.env.DATABASE_URL) && hasRedisServer;

describe.skipIf(!runs)('two instances, one Redis (postgres)', () => {
  let t: TestDatabase;
  let redis: RedisServer;
  let vendor: FakeVendors;
  let a: ServerProcess;
  let b: ServerProcess;
  let c: ServerProcess | undefined;
  let env: Record<string, string>;
  let cookie = '';
  let csrf = '';

  const post = async (server: ServerProcess, path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: ORIGIN,
        ...(cookie ? { cookie } : {}),
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
      },
      body: JSON.stringify(body),
    });
    return { res, body: (await res.json()) as { result?: { data: Record<string, unknown> } } };
  };
  const newConversation = async (on: ServerProcess = a) =>
    String((await post(on, '/trpc/conversations.create', {})).body.result?.data.id);
  const open = (server: ServerProcess) => TestSocket.open(server.url, { cookie, origin: ORIGIN });
  const subscribe = (s: TestSocket, conversationId: string, lastEventId?: string) =>
    s.request({ type: 'subscribe', conversationId, ...(lastEventId ? { lastEventId } : {}) });

  beforeAll(async () => {
    t = await openTestDatabase('postgres');
    redis = await startRedisServer();
    // A hosted model behind a local fake, so an answer can be held open mid-stream.
    vendor = await startFakeVendors();
    env = {
      DATABASE_URL: t.url ?? '',
      REDIS_URL: redis.url,
      AUTH_SECRET: randomBytes(32).toString('base64url'),
      PUBLIC_URL: ORIGIN,
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: vendor.baseURLs.openai,
      AI_TIER1_MODELS: 'openai:gpt-4o-mini',
      AI_TIER2_MODELS: 'openai:gpt-4o-mini',
      AI_TIER3_MODELS: 'openai:gpt-4o-mini',
      // A reply not stored within 2 s + 15 s is written by a surviving instance.
      AI_FIRST_TOKEN_TIMEOUT_MS: '1500',
      AI_TOTAL_TIMEOUT_MS: '2000',
    };
    a = startServer(
      { ...env, INSTANCE_ID: 'a', DATA_DIR: `/tmp/platform-mi-${process.pid}-a` },
      await freePort(),
    );
    b = startServer(
      { ...env, INSTANCE_ID: 'b', DATA_DIR: `/tmp/platform-mi-${process.pid}-b` },
      await freePort(),
    );
    await Promise.all([waitHealthy(a), waitHealthy(b)]);
    const signUp = await post(a, '/api/auth/sign-up/email', {
      name: 'Agent Smith',
      email: `mi-${randomBytes(4).toString('hex')}@example.com`,
      password: 'correct horse battery staple',
      organizationName: 'Two Instances',
    });
    cookie =
      signUp.res.headers
        .getSetCookie()
        .find((c) => c.includes('session_token='))
        ?.split(';')[0] ?? '';
    expect(cookie).not.toBe('');
    // Tokens are bound to the session, not the instance: one serves both.
    csrf = (
      (await (await fetch(`${a.url}/api/csrf`, { headers: { cookie } })).json()) as {
        token: string;
      }
    ).token;
  }, 120_000);

  afterAll(async () => {
    for (const server of [a, b, c]) server?.child.kill('SIGKILL');
    await Promise.all([a?.exited, b?.exited, c?.exited]);
    await redis?.stop();
    await vendor?.close();
    await t?.close();
  });

  it('a client on A receives the answer to a question sent through B', async () => {
    const id = await newConversation();
    const onA = await open(a);
    const onB = await open(b);
    await subscribe(onA, id);
    await subscribe(onB, id);
    vendor.enqueue('openai', { type: 'text', text: 'Staff park in the north garage.' });
    const done = await onB.request(
      { type: 'send', conversationId: id, text: 'Where do staff park?' },
      'done',
    );
    const replyId = (done.data as { replyId: string }).replyId;
    await onA.waitFor(isMessage((m) => m.id === replyId));
    const messages = createdIn(onA, id);
    expect(messages.map((m) => m.author.type)).toEqual(['member', 'ai']);
    expect(messages[1]?.text).toBe('Staff park in the north garage.');
    const deltas = onA.events('message.delta', id).map((f) => (f.data as { delta: string }).delta);
    expect(deltas.join('')).toBe(messages[1]?.text);
    await Promise.all([onA.close(), onB.close()]);
  });

  it('a stop sent through B cuts off the answer A is writing', async () => {
    const id = await newConversation();
    const onA = await open(a);
    const onB = await open(b);
    await subscribe(onA, id);
    await subscribe(onB, id);
    vendor.enqueue('openai', { type: 'stall', text: 'The first part' });
    const sending = onA.request(
      { type: 'send', conversationId: id, text: 'Explain the travel policy' },
      'done',
    );
    await onB.waitFor((f) => f.event === 'message.delta');
    expect(await onB.request({ type: 'stop', conversationId: id })).toMatchObject({ type: 'ack' });
    const replyId = ((await sending).data as { replyId: string }).replyId;
    const reply = await onB.waitFor(isMessage((m) => m.id === replyId));
    expect((reply.data as { message: Message }).message).toMatchObject({
      text: 'The first part',
      status: 'stopped',
    });
    await Promise.all([onA.close(), onB.close()]);
  });

  it('restarting Redis mid-conversation loses nothing', async () => {
    const id = await newConversation();
    await post(a, '/trpc/conversations.claim', { id });
    const onA = await open(a);
    const onB = await open(b);
    await subscribe(onA, id);
    await subscribe(onB, id);
    const sent: string[] = [];
    const say = async (text: string) => {
      const ack = await onB.request({ type: 'send', conversationId: id, text }, 'done');
      expect(ack.type).toBe('ack');
      sent.push(text);
    };
    for (let i = 0; i < 5; i++) await say(`before ${i}`);
    const restarting = redis.restart();
    for (let i = 0; i < 5; i++) await say(`during ${i}`);
    await restarting;
    for (let i = 0; i < 5; i++) await say(`after ${i}`);
    for (const s of [onA, onB]) {
      await s.waitFor(
        isMessage((m) => m.text === 'after 4'),
        { timeoutMs: 30_000 },
      );
      const texts = createdIn(s, id)
        .filter((m) => m.author.type === 'agent')
        .map((m) => m.text);
      expect(texts).toEqual(sent);
    }
    await Promise.all([onA.close(), onB.close()]);
  });

  it("when A dies mid-answer, A's clients resume on B and B writes the answer", async () => {
    const chat = await newConversation();
    await post(a, '/trpc/conversations.claim', { id: chat });
    const onA = await open(a);
    const onB = await open(b);
    await subscribe(onA, chat);
    await subscribe(onB, chat);
    await onB.request({ type: 'send', conversationId: chat, text: 'seen by both' }, 'done');
    await onA.waitFor(isMessage((m) => m.text === 'seen by both'));
    const last = onA.lastEventId();
    // A question whose answer A is still writing when it dies.
    const asked = await newConversation();
    const watcher = await open(b);
    await subscribe(watcher, asked);
    vendor.enqueue(
      'openai',
      { type: 'stall', text: 'Half an' },
      { type: 'text', text: 'The whole answer.' },
    );
    onA.send({ type: 'send', conversationId: asked, text: 'What is the refund policy?' });
    await watcher.waitFor((f) => f.event === 'message.delta');
    a.child.kill('SIGKILL');
    await a.exited;
    await expect.poll(() => onA.closed !== null, { timeout: 10_000 }).toBe(true);
    // While the client reconnects, the conversation goes on through B.
    for (const text of ['missed 1', 'missed 2'])
      await onB.request({ type: 'send', conversationId: chat, text }, 'done');
    const resumed = await open(b);
    expect(await subscribe(resumed, chat, last)).toMatchObject({
      type: 'subscribed',
      source: 'stream',
    });
    expect(createdIn(resumed, chat).map((m) => m.text)).toEqual(['missed 1', 'missed 2']);
    // B's reply guard answers the question A never finished (due 17 s after it was asked).
    const answer = await watcher.waitFor(
      isMessage((m) => m.author.type === 'ai'),
      { timeoutMs: 60_000 },
    );
    expect((answer.data as { message: Message }).message.text).toBe('The whole answer.');
    await Promise.all([resumed.close(), onB.close(), watcher.close()]);
  });

  it('an instance told to stop finishes the answer it is writing before it closes', async () => {
    c = startServer(
      { ...env, INSTANCE_ID: 'c', DATA_DIR: `/tmp/platform-mi-${process.pid}-c` },
      await freePort(),
    );
    await waitHealthy(c);
    const asked = await newConversation(b); // A is gone (the test before killed it)
    const onC = await open(c);
    const watcher = await open(b);
    await subscribe(onC, asked);
    await subscribe(watcher, asked);
    const text = 'Refunds are paid within fourteen days of the return arriving.';
    // About a second of streaming: the stop arrives in the middle of it.
    vendor.enqueue('openai', { type: 'text', text, intervalMs: 60 });
    onC.send({ type: 'send', conversationId: asked, text: 'How fast are refunds paid?' });
    await watcher.waitFor((f) => f.event === 'message.delta');
    c.child.kill('SIGTERM');
    // Its own socket is closed at once (1001), so its client can reconnect elsewhere...
    await expect.poll(() => onC.closed?.code, { timeout: 10_000 }).toBe(1001);
    // ...while the answer is finished, stored and published before the bus and database close.
    const answer = await watcher.waitFor(
      isMessage((m) => m.author.type === 'ai'),
      {
        timeoutMs: 20_000,
      },
    );
    expect((answer.data as { message: Message }).message).toMatchObject({
      text,
      status: 'complete',
    });
    expect(await c.exited).toBe(0);
    expect(c.output()).not.toMatch(/Cannot use a pool|answer failed|shutdown failed/);
    await watcher.close();
  });
});
