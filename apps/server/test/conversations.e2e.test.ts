import type { AddressInfo } from 'node:net';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type Account,
  data,
  type Harness,
  PUBLIC_URL,
  startHarness,
  trpcError,
} from './harness.ts';

type Conversation = {
  id: string;
  status: string;
  handler: string;
  tags: string[];
  answeredBy: { kind: string; name: string | null };
  rating: { scale: string; value: number } | null;
};
type Page = { items: Conversation[]; nextCursor: string | null };

describe.each(testDrivers())('conversations: inbox, handoff rules, ratings (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  let agent: Account;

  beforeAll(async () => {
    h = await startHarness(driver, { REALTIME_HEARTBEAT_SECONDS: '1' });
    owner = await h.signUp('Inbox Ltd');
    agent = await h.joinAs(owner, 'member');
  });
  afterAll(() => h?.close());

  const create = async (title: string) =>
    data<Conversation>(await h.mutate('conversations.create', owner.cookie, { title }));
  const list = async (input: Record<string, unknown>, cookie = owner.cookie) =>
    data<Page>(await h.query('conversations.list', cookie, input));

  it('pages through the inbox by cursor, newest activity first, without repeats', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await create(`paging ${i}`)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await list({ limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => made.includes(id))).toEqual([...made].reverse());
    const bad = await h.query('conversations.list', owner.cookie, { cursor: 'not-a-cursor' });
    expect(bad.status).toBe(400);
    expect(trpcError(bad).data.field).toBe('cursor');
  });

  it('filters by status, assignee and tag, and searches message text', async () => {
    const c = await create('Filters');
    await h.mutate('chat.send', owner.cookie, {
      conversationId: c.id,
      text: 'The flux capacitor is broken',
    });
    const tagged = await h.mutate('conversations.tag', owner.cookie, {
      id: c.id,
      add: ['Billing', 'vip'],
    });
    expect(data<Conversation>(tagged).tags).toEqual(['billing', 'vip']);
    expect((await list({ tag: 'vip' })).items.map((x) => x.id)).toEqual([c.id]);
    expect((await list({ search: 'capacitor' })).items.map((x) => x.id)).toEqual([c.id]);
    expect((await list({ search: 'nothing-like-this' })).items).toEqual([]);
    await h.mutate('conversations.claim', agent.cookie, { id: c.id });
    expect((await list({ assignee: 'me' }, agent.cookie)).items.map((x) => x.id)).toEqual([c.id]);
    expect((await list({ assignee: 'unassigned' })).items.map((x) => x.id)).not.toContain(c.id);
    expect((await list({ handler: 'human' })).items.map((x) => x.id)).toEqual([c.id]);
    // Someone else's claim is refused; the holder's own claim is a no-op.
    const taken = await h.mutate('conversations.claim', owner.cookie, { id: c.id });
    expect(taken.status).toBe(409);
    const resolved = data<Conversation>(
      await h.mutate('conversations.resolve', agent.cookie, { id: c.id }),
    );
    expect(resolved).toMatchObject({ status: 'resolved', handler: 'ai' });
    expect((await list({ status: ['resolved'] })).items.map((x) => x.id)).toContain(c.id);
    const invalid = await h.mutate('conversations.tag', owner.cookie, {
      id: c.id,
      add: ['<script>'],
    });
    expect(invalid.status).toBe(400);
  });

  it('hands over on a keyword rule set by an admin, not by a member', async () => {
    const rule = { lowConfidence: null, keywords: ['refund'] };
    expect((await h.mutate('conversations.setHandoffRules', agent.cookie, rule)).status).toBe(403);
    expect((await h.mutate('conversations.setHandoffRules', owner.cookie, rule)).status).toBe(200);
    expect(data(await h.query('conversations.handoffRules', agent.cookie))).toEqual(rule);
    const c = await create('Rules');
    const sent = data<{ handoff: string | null; reply: unknown }>(
      await h.mutate('chat.send', owner.cookie, {
        conversationId: c.id,
        text: 'I want a refund for my order',
      }),
    );
    expect(sent.handoff).toBe('matched the handoff rule "refund"');
    expect(sent.reply).toBeNull();
    const now = data<Conversation>(await h.query('conversations.get', owner.cookie, { id: c.id }));
    expect(now).toMatchObject({ status: 'waiting', handler: 'ai' });
    const bad = await h.mutate('conversations.setHandoffRules', owner.cookie, {
      lowConfidence: { threshold: 2, channels: [] },
      keywords: [],
    });
    expect(bad.status).toBe(400);
    expect(trpcError(bad).data.field).toBe('lowConfidence.threshold');
  });

  it('takes thumbs and CSAT ratings within their scales', async () => {
    const c = await create('Rated');
    const rated = await h.mutate('conversations.rate', owner.cookie, {
      id: c.id,
      scale: 'csat',
      value: 4,
      comment: 'Quick',
    });
    expect(data<Conversation>(rated).rating).toMatchObject({ scale: 'csat', value: 4 });
    for (const [scale, value] of [
      ['thumbs', 0],
      ['csat', 6],
      ['thumbs', 2],
    ] as const) {
      const r = await h.mutate('conversations.rate', owner.cookie, { id: c.id, scale, value });
      expect(r.status).toBe(400);
      expect(trpcError(r).data.field).toBe('value');
    }
    const kept = data<Conversation>(await h.query('conversations.get', owner.cookie, { id: c.id }));
    expect(kept.rating).toMatchObject({ scale: 'csat', value: 4 });
  });

  it('refuses oversized and empty messages with the field, storing nothing', async () => {
    const c = await create('Limits');
    const big = await h.mutate('chat.send', owner.cookie, {
      conversationId: c.id,
      text: 'é'.repeat(5000),
    });
    expect(big.status).toBe(413);
    expect(trpcError(big).data.field).toBe('text');
    const empty = await h.mutate('chat.send', owner.cookie, { conversationId: c.id, text: '   ' });
    expect(empty.status).toBe(400);
    expect(trpcError(empty).data.field).toBe('text');
    expect(
      data<unknown[]>(await h.query('conversations.messages', owner.cookie, { id: c.id })),
    ).toEqual([]);
  });

  it('drops a connection that stops answering heartbeats', async () => {
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (h.app.server.address() as AddressInfo).port;
    // A client that never answers pings, as a half-open connection would not.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
      headers: { cookie: owner.cookie, origin: PUBLIC_URL },
      autoPong: false,
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    expect(await closed).toBe(1006);
  });
});
