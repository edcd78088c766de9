/**
 * Two real server processes share PostgreSQL and a private Redis: what is sent through one
 * reaches clients of the other; a Redis restart loses nothing; a killed instance's clients
 * resume on the other. Needs DATABASE_URL (the suite runs on PostgreSQL) and redis-server.
 */
import { randomBytes } from 'node:crypto';
import { openTestDatabase, type TestDatabase } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasRedisServer,
  type RedisServer,
  startRedisServer,
} from '../../../packages/realtime/test/redis-server.ts';
import { cookieOf } from './harness.ts';
import { freePort, type ServerProcess, startServer, waitHealthy } from './process.ts';
import { type Frame, TestSocket } from './ws-client.ts';

const ORIGIN = 'http://localhost:3000';
type Message = { id: string; text: string; author: { type: string } };

const created = (s: TestSocket, conversationId: string) =>
  s.events('message.created', conversationId).map((f) => (f.data as { message: Message }).message);

describe.skipIf(!process.env.DATABASE_URL || !hasRedisServer)(
  'two instances, one Redis (postgres)',
  () => {
    let t: TestDatabase;
    let redis: RedisServer;
    let a: ServerProcess;
    let b: ServerProcess;
    let cookie: string;
    let conversationId: string;

    const post = async (server: ServerProcess, path: string, body: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: ORIGIN,
          ...(cookie ? { cookie } : {}),
        },
        body: JSON.stringify(body),
      });
      return { res, body: (await res.json()) as { result?: { data: Record<string, unknown> } } };
    };

    beforeAll(async () => {
      t = await openTestDatabase('postgres');
      redis = await startRedisServer();
      const env = (id: string) => ({
        DATABASE_URL: t.url ?? '',
        REDIS_URL: redis.url,
        AUTH_SECRET: randomBytes(32).toString('base64url'),
        PUBLIC_URL: ORIGIN,
        INSTANCE_ID: id,
        DATA_DIR: `/tmp/platform-mi-${process.pid}-${id}`,
      });
      const shared = env('x');
      a = startServer({ ...shared, INSTANCE_ID: 'a' }, await freePort());
      b = startServer({ ...shared, INSTANCE_ID: 'b' }, await freePort());
      await Promise.all([waitHealthy(a), waitHealthy(b)]);
      const signUp = await post(a, '/api/auth/sign-up/email', {
        name: 'Agent Smith',
        email: `mi-${randomBytes(4).toString('hex')}@example.com`,
        password: 'correct horse battery staple',
        organizationName: 'Two Instances',
      });
      const raw = signUp.res.headers.getSetCookie().find((c) => c.includes('session_token='));
      cookie = raw?.split(';')[0] ?? '';
      expect(cookie).not.toBe('');
      void cookieOf;
      const conversation = await post(a, '/trpc/conversations.create', {});
      conversationId = String(conversation.body.result?.data.id);
    }, 120_000);

    afterAll(async () => {
      for (const server of [a, b]) server?.child.kill('SIGKILL');
      await Promise.all([a?.exited, b?.exited]);
      await redis?.stop();
      await t?.close();
    });

    const open = (server: ServerProcess) => TestSocket.open(server.url, { cookie, origin: ORIGIN });
    const subscribe = async (s: TestSocket, lastEventId?: string) =>
      s.request({ type: 'subscribe', conversationId, ...(lastEventId ? { lastEventId } : {}) });

    it('a client on A receives the answer to a question sent through B', async () => {
      const onA = await open(a);
      const onB = await open(b);
      await subscribe(onA);
      await subscribe(onB);
      const done = await onB.request(
        { type: 'send', conversationId, text: 'What does the handbook say about parking?' },
        'done',
      );
      const replyId = (done.data as { replyId: string }).replyId;
      await onA.waitFor(
        (f) =>
          f.event === 'message.created' && (f.data as { message: Message }).message.id === replyId,
      );
      const messages = created(onA, conversationId);
      expect(messages.map((m) => m.author.type)).toEqual(['member', 'ai']);
      const deltas = onA
        .events('message.delta', conversationId)
        .map((f) => (f.data as { delta: string }).delta);
      expect(deltas.join('')).toBe(messages[1]?.text);
      await Promise.all([onA.close(), onB.close()]);
    });

    it('restarting Redis mid-conversation loses nothing', async () => {
      await post(a, '/trpc/conversations.claim', { id: conversationId });
      const onA = await open(a);
      const onB = await open(b);
      await subscribe(onA);
      await subscribe(onB);
      const sent: string[] = [];
      const say = async (text: string) => {
        const ack = await onB.request({ type: 'send', conversationId, text }, 'done');
        expect(ack.type).toBe('ack');
        sent.push(text);
      };
      for (let i = 0; i < 5; i++) await say(`before ${i}`);
      const restarting = redis.restart();
      for (let i = 0; i < 5; i++) await say(`during ${i}`);
      await restarting;
      for (let i = 0; i < 5; i++) await say(`after ${i}`);
      for (const s of [onA, onB])
        await s.waitFor(
          (f) =>
            f.event === 'message.created' &&
            (f.data as { message: Message }).message.text === 'after 4',
          { timeoutMs: 30_000 },
        );
      for (const s of [onA, onB]) {
        const texts = created(s, conversationId)
          .filter((m) => m.author.type === 'agent')
          .map((m) => m.text);
        expect(texts, JSON.stringify(created(s, conversationId).map((m) => m.text))).toEqual(sent);
      }
      await Promise.all([onA.close(), onB.close()]);
    });

    it('when A dies, its clients resume on B from their last event', async () => {
      const onA = await open(a);
      await subscribe(onA);
      const onB = await open(b);
      await subscribe(onB);
      await onB.request({ type: 'send', conversationId, text: 'seen by both' }, 'done');
      await onA.waitFor(
        (f) =>
          f.event === 'message.created' &&
          (f.data as { message: Message }).message.text === 'seen by both',
      );
      const last = onA.lastEventId();
      a.child.kill('SIGKILL');
      await a.exited;
      await expect.poll(() => onA.closed !== null, { timeout: 10_000 }).toBe(true);
      // While the client reconnects, the conversation goes on through B.
      for (const text of ['missed 1', 'missed 2'])
        await onB.request({ type: 'send', conversationId, text }, 'done');
      const resumed = await open(b);
      const sub: Frame = await subscribe(resumed, last);
      expect(sub).toMatchObject({ type: 'subscribed', source: 'stream' });
      const texts = created(resumed, conversationId).map((m) => m.text);
      expect(texts).toEqual(['missed 1', 'missed 2']);
      await Promise.all([resumed.close(), onB.close()]);
    });
  },
);
