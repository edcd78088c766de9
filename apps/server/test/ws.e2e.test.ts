import type { AddressInfo } from 'node:net';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, data, type Harness, PUBLIC_URL, startHarness } from './harness.ts';
import { type Frame, TestSocket } from './ws-client.ts';

const HANDBOOK = `# Travel policy

## Hotels

Hotel stays are booked through the travel desk and capped at 180 euros per night in capital cities.

## Trains

Rail journeys under four hours are taken in second class.
`;

type Conversation = { id: string; status: string; handler: string };
type Message = { id: string; text: string; author: { type: string }; citations: Array<{ documentId: string }> };

describe.each(testDrivers())('WebSocket /ws (%s)', (driver) => {
  let h: Harness;
  let url: string;
  let owner: Account;
  let other: Account;
  let documentId: string;

  beforeAll(async () => {
    h = await startHarness(driver, { LOG_LEVEL: 'error', REALTIME_RATE_PER_SECOND: '20', REALTIME_RATE_BURST: '40' });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    owner = await h.signUp('Sockets Inc');
    other = await h.signUp('Other Org');
    const up = await h.mutate('knowledge.upload', owner.cookie, {
      fileName: 'travel.md',
      contentBase64: Buffer.from(HANDBOOK).toString('base64'),
    });
    documentId = data<{ document: { id: string } }>(up).document.id;
    await h.platform.knowledge.start();
    for (let i = 0; i < 400; i++) {
      const got = await h.query('knowledge.get', owner.cookie, { documentId });
      if (data<{ status: string }>(got).status === 'ready') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(() => h?.close());

  const open = (account: Account, origin = PUBLIC_URL) => TestSocket.open(url, { cookie: account.cookie, origin });
  const newConversation = async (account: Account) =>
    data<Conversation>(await h.mutate('conversations.create', account.cookie, {}));
  const messageCount = async (conversationId: string) =>
    Number((await h.t.ownerQuery<{ n: string }>('select count(*) as n from messages where session_id = $1', [conversationId]))[0]?.n);

  it('streams a grounded answer to everyone watching the conversation', async () => {
    const a = await open(owner);
    const b = await open(owner);
    expect(await a.waitFor((f) => f.type === 'hello')).toMatchObject({ identity: { kind: 'member' } });
    const conversation = await newConversation(owner);
    for (const s of [a, b]) {
      const sub = await s.request({ type: 'subscribe', conversationId: conversation.id });
      expect(sub).toMatchObject({ type: 'subscribed', conversationId: conversation.id, source: 'none' });
    }
    const done = await a.request(
      { type: 'send', conversationId: conversation.id, text: 'What is the hotel cap per night in capital cities?' },
      'done',
    );
    const replyId = (done.data as { replyId: string }).replyId;
    expect(replyId).toBeTruthy();
    for (const s of [a, b]) {
      const created = await s.waitFor(
        (f) => f.event === 'message.created' && (f.data as { message: Message }).message.id === replyId,
      );
      const reply = (created.data as { message: Message }).message;
      expect(reply.author.type).toBe('ai');
      expect(reply.text).toContain('180 euros');
      expect(reply.citations[0]?.documentId).toBe(documentId);
      const deltas = s.events('message.delta', conversation.id).map((f) => f.data as { delta: string; messageId: string });
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.every((d) => d.messageId === replyId)).toBe(true);
      expect(deltas.map((d) => d.delta).join('')).toBe(reply.text);
      // The user's own message came first, and the conversation's state followed.
      const order = s.events(undefined, conversation.id).map((f) => f.event);
      expect(order.indexOf('message.created')).toBeLessThan(order.indexOf('message.delta'));
      expect(order).toContain('conversation.updated');
    }
    const [row] = await h.t.ownerQuery<{ tier: number; cost_micros: string; total_ms: number; first_token_ms: number; retrieval_ms: number }>(
      'select tier, cost_micros, total_ms, first_token_ms, retrieval_ms from messages where id = $1',
      [replyId],
    );
    expect(row).toMatchObject({ tier: expect.any(Number) });
    expect(row?.total_ms).toBeGreaterThanOrEqual(row?.first_token_ms ?? 0);
    expect(row?.retrieval_ms).toBeGreaterThanOrEqual(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('answers bad frames with an error naming the problem and keeps everyone connected', async () => {
    const a = await open(owner);
    const bystander = await open(owner);
    const conversation = await newConversation(owner);
    await bystander.request({ type: 'subscribe', conversationId: conversation.id });
    const before = await messageCount(conversation.id);
    const errors: Frame[] = [];
    a.raw('{not json');
    errors.push(await a.waitFor((f) => f.type === 'error' && f.code === 'bad_frame'));
    errors.push(await a.request({ type: 'dance' }));
    errors.push(await a.request({ type: 'send', conversationId: conversation.id, text: 'x'.repeat(9000) }));
    errors.push(await a.request({ type: 'send', conversationId: 'nope', text: 'hi' }));
    errors.push(await a.request({ type: 'subscribe', conversationId: crypto.randomUUID() }));
    a.raw(JSON.stringify({ v: 9, type: 'ping' }));
    errors.push(await a.waitFor((f) => f.type === 'error' && f.code === 'unsupported_version'));
    expect(errors.map((e) => [e.code, e.field])).toEqual([
      ['bad_frame', undefined],
      ['unknown_type', 'type'],
      ['message_too_large', 'text'],
      ['invalid', 'conversationId'],
      ['not_found', undefined],
      ['unsupported_version', 'v'],
    ]);
    expect(await a.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(await bystander.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(await messageCount(conversation.id)).toBe(before);
    await Promise.all([a.close(), bystander.close()]);
  });

  it('rate-limits a flooding socket, then cuts it off; others are unaffected', async () => {
    const flooder = await open(owner);
    const calm = await open(owner);
    for (let i = 0; i < 400; i++) flooder.raw(JSON.stringify({ v: 1, type: 'ping' }));
    await flooder.waitFor((f) => f.type === 'error' && f.code === 'rate_limited');
    await expect.poll(() => flooder.closed?.code, { timeout: 10_000 }).toBe(1008);
    expect(await calm.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    await calm.close();
  });

  it('refuses a cookie from a foreign origin, and another tenant sees nothing', async () => {
    await expect(open(owner, 'https://evil.example')).rejects.toThrow('403');
    await expect(TestSocket.open(url, { origin: PUBLIC_URL })).rejects.toThrow('401');
    const conversation = await newConversation(owner);
    const intruder = await open(other);
    const sub = await intruder.request({ type: 'subscribe', conversationId: conversation.id });
    expect(sub).toMatchObject({ type: 'error', code: 'not_found' });
    const sent = await intruder.request({ type: 'send', conversationId: conversation.id, text: 'hello' });
    expect(sent).toMatchObject({ type: 'error', code: 'not_found' });
    expect(await messageCount(conversation.id)).toBe(0);
    await intruder.close();
  });

  it('replays what a client missed, from the stream', async () => {
    const conversation = await newConversation(owner);
    const first = await open(owner);
    await first.request({ type: 'subscribe', conversationId: conversation.id });
    await first.request({ type: 'send', conversationId: conversation.id, text: 'Which class for rail journeys?' }, 'done');
    await first.waitFor((f) => f.event === 'message.created' && (f.data as { message: Message }).message.author.type === 'ai');
    const last = first.lastEventId();
    await first.close();
    // Meanwhile, someone else continues the conversation.
    const other = await open(owner);
    await other.request({ type: 'subscribe', conversationId: conversation.id });
    const done = await other.request({ type: 'send', conversationId: conversation.id, text: 'And hotels?' }, 'done');
    const replyId = (done.data as { replyId: string }).replyId;
    const back = await open(owner);
    const sub = await back.request({ type: 'subscribe', conversationId: conversation.id, lastEventId: last });
    expect(sub).toMatchObject({ source: 'stream' });
    const ids = back.events('message.created').map((f) => (f.data as { message: Message }).message.id);
    expect(ids).toContain(replyId);
    expect(ids).toHaveLength(2);
    await Promise.all([other.close(), back.close()]);
  });

  it('hands off to a human: the assistant falls silent until released', async () => {
    const conversation = await newConversation(owner);
    const s = await open(owner);
    await s.request({ type: 'subscribe', conversationId: conversation.id });
    const handoff = await s.request({ type: 'handoff', conversationId: conversation.id });
    expect(handoff).toMatchObject({ data: { conversation: { status: 'waiting' } } });
    const waiting = data<{ items: Conversation[] }>(await h.query('conversations.list', owner.cookie, { status: ['waiting'] }));
    expect(waiting.items.map((c) => c.id)).toContain(conversation.id);
    const agent = await h.joinAs(owner, 'member');
    const claimed = data<{ answeredBy: { kind: string; name: string } }>(
      await h.mutate('conversations.claim', agent.cookie, { id: conversation.id }),
    );
    expect(claimed.answeredBy).toMatchObject({ kind: 'human' });
    const quiet = await s.request({ type: 'send', conversationId: conversation.id, text: 'Hello?' }, 'done');
    expect(quiet.data).toMatchObject({ replyId: null });
    const released = await h.mutate('conversations.release', agent.cookie, { id: conversation.id });
    expect(data<{ answeredBy: { kind: string } }>(released).answeredBy.kind).toBe('ai');
    const back = await s.request({ type: 'send', conversationId: conversation.id, text: 'What is the hotel cap?' }, 'done');
    expect((back.data as { replyId: string | null }).replyId).toBeTruthy();
    await s.close();
  });
});
