import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { keyFingerprint } from '@platform/auth';
import { testDrivers } from '@platform/db/testing';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, data, type Harness, PUBLIC_URL, startHarness } from './harness.ts';

const RETURNS = `# Returns policy

## Refunds

Unworn shoes can be returned within forty-five days for a full refund to the original card.

## Exchanges

Exchanges for another size are free and ship within two business days.
`;
const QUESTION = 'How many days do I have to return unworn shoes for a refund?';
const SHOP = 'https://shop.example.com';
const ELSEWHERE = 'https://evil.example.net';

type Session = { token: string; expiresAt: string; visitorId: string };
type Citation = { documentId: string; title: string; snippet: string };
type Message = {
  id: string;
  role: string;
  text: string;
  citations: Citation[];
  costMicros: number | null;
};
type Conversation = { id: string; channel: string; status: string; messageCount: number };
type Done = { reply: Message | null; handoff: string | null; duplicate: boolean };
type SseEvent = { event: string; data: Record<string, unknown> };

/** The events of a Server-Sent Events body, in order (comments such as `: ping` skipped). */
function parseSse(body: string): SseEvent[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const payload = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: JSON.parse(payload) as Record<string, unknown> };
    });
}

const json = (raw: LightMyRequestResponse) => JSON.parse(raw.body) as Record<string, unknown>;

describe.each(testDrivers())('REST conversations and widget sessions (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  let other: Account;
  let documentId: string;
  const keyA = `pk_a_${randomBytes(8).toString('hex')}`;
  const keyB = `pk_b_${randomBytes(8).toString('hex')}`;

  const session = (body: Record<string, unknown>, origin: string | null = SHOP) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/widget/session',
      headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
      payload: JSON.stringify(body),
    });
  const visitor = async (widgetKey = keyA, origin = SHOP) => {
    const r = await session({ widgetKey }, origin);
    expect(r.statusCode, r.body).toBe(200);
    return json(r) as Session;
  };
  const call = async (
    method: 'GET' | 'POST',
    url: string,
    opts: {
      token?: string;
      origin?: string | null;
      cookie?: string;
      /** A cookie write carries its session's CSRF token unless this is false. */
      csrf?: boolean;
      body?: unknown;
      payload?: string;
      accept?: string;
    } = {},
  ) => {
    const csrf =
      opts.cookie && method === 'POST' && opts.csrf !== false
        ? await h.csrf(opts.cookie)
        : undefined;
    return h.app.inject({
      method,
      url,
      headers: {
        ...(opts.origin === null ? {} : { origin: opts.origin ?? SHOP }),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.cookie ? { cookie: opts.cookie } : {}),
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
        ...(opts.accept ? { accept: opts.accept } : {}),
        ...(opts.body !== undefined || opts.payload !== undefined
          ? { 'content-type': 'application/json' }
          : {}),
      },
      ...(opts.payload !== undefined
        ? { payload: opts.payload }
        : opts.body !== undefined
          ? { payload: JSON.stringify(opts.body) }
          : {}),
    });
  };
  const newConversation = async (token: string, origin = SHOP) => {
    const r = await call('POST', '/api/v1/conversations', { token, origin, body: {} });
    expect(r.statusCode, r.body).toBe(201);
    return json(r) as Conversation;
  };
  const ask = (token: string, conversationId: string, body: unknown, accept?: string) =>
    call('POST', `/api/v1/conversations/${conversationId}/messages`, {
      token,
      body,
      ...(accept ? { accept } : {}),
    });
  const messageCount = async (conversationId: string) =>
    Number(
      (
        await h.t.ownerQuery<{ n: string }>(
          'select count(*) as n from messages where session_id = $1',
          [conversationId],
        )
      )[0]?.n,
    );
  const allMessages = async () =>
    Number((await h.t.ownerQuery<{ n: string }>('select count(*) as n from messages'))[0]?.n ?? 0);

  beforeAll(async () => {
    h = await startHarness(driver);
    owner = await h.signUp('Shoe Shop');
    other = await h.signUp('Other Shop');
    documentId = await h.ingest(owner.cookie, 'returns.md', RETURNS);
    for (const [tenantId, key, origins] of [
      [owner.tenantId, keyA, [SHOP, 'https://*.example.org']],
      [other.tenantId, keyB, [SHOP]],
    ] as const)
      await h.t.ownerQuery(
        'insert into widgets (tenant_id, name, public_key, allowed_origins) values ($1, $2, $3, $4)',
        [tenantId, 'Website', key, [...origins]],
      );
  });
  afterAll(() => h?.close());

  it('issues visitor sessions to allowed origins only, keeping a returning visitor', async () => {
    const first = await session({ widgetKey: keyA, name: 'Ada' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['access-control-allow-origin']).toBe(SHOP);
    expect(String(first.headers.vary)).toMatch(/origin/i);
    const issued = json(first) as Session;
    expect(issued.token).toMatch(/^vt1\./);
    expect(issued.visitorId).toMatch(/^v_/);
    expect(Date.parse(issued.expiresAt)).toBeGreaterThan(Date.now());
    expect(h.platform.visitorTokens.verify(issued.token)).toMatchObject({
      tenantId: owner.tenantId,
      origin: SHOP,
      name: 'Ada',
    });

    // Wildcard subdomains of an allowed domain.
    expect((await session({ widgetKey: keyA }, 'https://help.example.org')).statusCode).toBe(200);

    const refused = await session({ widgetKey: keyA }, ELSEWHERE);
    expect(refused.statusCode).toBe(403);
    expect(json(refused)).toMatchObject({ code: 'FORBIDDEN', field: 'origin' });
    // The refusal is readable by the refused page (no credential in it), so its widget can say
    // why; it grants nothing: the page still holds no token.
    expect(refused.headers['access-control-allow-origin']).toBe(ELSEWHERE);
    expect(refused.headers['access-control-allow-credentials']).toBeUndefined();
    expect(json(refused)).not.toHaveProperty('token');
    const unknown = await session({ widgetKey: 'pk_nobody' });
    expect(unknown.statusCode).toBe(401);
    expect(json(unknown)).toMatchObject({ field: 'widgetKey' });
    expect(unknown.headers['access-control-allow-origin']).toBe(SHOP);
    expect(json(await session({ widgetKey: keyA }, null))).toMatchObject({ field: 'origin' });
    expect(json(await session({ widgetKey: '' }))).toMatchObject({ field: 'widgetKey' });

    // A reload with the previous token (even an expired one) keeps the visitor.
    const again = json(await session({ widgetKey: keyA, visitorToken: issued.token })) as Session;
    expect(again.visitorId).toBe(issued.visitorId);
    expect(h.platform.visitorTokens.verify(again.token)?.name).toBe('Ada');
    const old = h.platform.visitorTokens.issue(
      {
        tenantId: owner.tenantId,
        widgetId: String(h.platform.visitorTokens.verify(issued.token)?.widgetId),
        origin: SHOP,
        personalityId: null,
        name: null,
        keyId: keyFingerprint(keyA),
      },
      Date.now() - 2 * 86_400_000,
    );
    expect(h.platform.visitorTokens.verify(old.token)).toBeNull();
    const revived = json(await session({ widgetKey: keyA, visitorToken: old.token })) as Session;
    expect(revived.visitorId).toBe(old.claims.visitorId);
    // Another widget's token, or a forged one, starts a new visitor.
    const fromB = await visitor(keyB);
    const crossed = json(await session({ widgetKey: keyA, visitorToken: fromB.token })) as Session;
    expect(crossed.visitorId).not.toBe(fromB.visitorId);
    const forged = json(
      await session({ widgetKey: keyA, visitorToken: `${issued.token.slice(0, -2)}xx` }),
    ) as Session;
    expect(forged.visitorId).not.toBe(issued.visitorId);

    const preflight = await h.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/widget/session',
      headers: {
        origin: SHOP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(SHOP);
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('content-type');
  });

  it('streams a grounded answer as server-sent events', async () => {
    const { token } = await visitor();
    const conversation = await newConversation(token);
    expect(conversation.channel).toBe('widget');
    const r = await ask(token, conversation.id, { text: QUESTION });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['x-accel-buffering']).toBe('no');
    expect(r.headers['access-control-allow-origin']).toBe(SHOP);
    expect(r.body).toContain('event: message');
    expect(r.body).toContain('event: delta');
    expect(r.body).toContain('event: done');
    const events = parseSse(r.body);
    expect(events[0]).toMatchObject({ event: 'message', data: { text: QUESTION, role: 'user' } });
    const deltas = events.filter((e) => e.event === 'delta').map((e) => e.data);
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.map((d) => d.index)).toEqual(deltas.map((_, i) => i));
    const done = events.at(-1);
    expect(done?.event).toBe('done');
    const { reply, handoff, duplicate } = (done?.data ?? {}) as Done;
    expect({ handoff, duplicate }).toEqual({ handoff: null, duplicate: false });
    expect(reply?.text).toContain('forty-five days');
    expect(deltas.map((d) => d.delta).join('')).toBe(reply?.text);
    expect(reply?.citations[0]).toMatchObject({ documentId, title: 'returns.md' });
    // Visitors are not shown what an answer cost.
    expect(reply?.costMicros).toBeNull();
    // The hijacked stream is counted out of the in-flight requests (shutdown waits for them).
    expect(h.app.inFlight.count()).toBe(0);

    const listed = await call('GET', `/api/v1/conversations/${conversation.id}/messages`, {
      token,
    });
    expect(listed.statusCode).toBe(200);
    expect((json(listed).items as Message[]).map((m) => m.role)).toEqual(['user', 'assistant']);
    const limited = await call('GET', `/api/v1/conversations/${conversation.id}/messages?limit=1`, {
      token,
    });
    expect((json(limited).items as Message[]).map((m) => m.role)).toEqual(['assistant']);
    const got = await call('GET', `/api/v1/conversations/${conversation.id}`, { token });
    expect(got.statusCode).toBe(200);
    expect(json(got)).toMatchObject({ id: conversation.id, messageCount: 2, status: 'open' });
    expect(json(got)).not.toHaveProperty('assignedUserId');
  });

  it('finishes and stores the answer when the client disconnects mid-stream', async () => {
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const { token } = await visitor();
    const conversation = await newConversation(token);
    const controller = new AbortController();
    const response = await fetch(
      `http://127.0.0.1:${port}/api/v1/conversations/${conversation.id}/messages`,
      {
        method: 'POST',
        headers: {
          origin: SHOP,
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ text: QUESTION }),
        signal: controller.signal,
      },
    );
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toContain('event: message');
    controller.abort();
    await reader?.cancel().catch(() => undefined);
    let reply: { content: string } | undefined;
    for (let i = 0; i < 400 && !reply; i++) {
      [reply] = await h.t.ownerQuery<{ content: string }>(
        "select content from messages where session_id = $1 and author_type = 'ai'",
        [conversation.id],
      );
      if (!reply) await new Promise((r) => setTimeout(r, 25));
    }
    expect(reply?.content).toContain('forty-five days');
  });

  it('returns the outcome as JSON when the client asks for JSON', async () => {
    const { token } = await visitor();
    const conversation = await newConversation(token);
    const r = await ask(token, conversation.id, { text: QUESTION }, 'application/json');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const outcome = json(r) as unknown as Done & { message: Message };
    expect(outcome.message.text).toBe(QUESTION);
    expect(outcome.reply?.citations[0]?.documentId).toBe(documentId);
    expect(outcome).toMatchObject({ handoff: null, duplicate: false });
  });

  it('keeps tenants, visitors and origins apart', async () => {
    const a = await visitor(keyA);
    const b = await visitor(keyB);
    const theirs = await newConversation(b.token);
    const before = await messageCount(theirs.id);
    for (const r of [
      await call('GET', `/api/v1/conversations/${theirs.id}`, { token: a.token }),
      await call('GET', `/api/v1/conversations/${theirs.id}/messages`, { token: a.token }),
      await ask(a.token, theirs.id, { text: QUESTION }),
      await call('POST', `/api/v1/conversations/${theirs.id}/handoff`, {
        token: a.token,
        body: {},
      }),
    ]) {
      expect(r.statusCode, r.body).toBe(404);
      expect(json(r)).toMatchObject({ code: 'NOT_FOUND' });
    }
    // Another visitor of the same widget does not see it either.
    const mine = await newConversation(a.token);
    const neighbour = await visitor(keyA);
    const peek = await call('GET', `/api/v1/conversations/${mine.id}`, { token: neighbour.token });
    expect(peek.statusCode).toBe(404);

    // A token works only from the origin it was issued to, and is not CORS-readable elsewhere.
    const stolen = await call('GET', `/api/v1/conversations/${mine.id}`, {
      token: a.token,
      origin: ELSEWHERE,
    });
    expect(stolen.statusCode).toBe(403);
    expect(stolen.headers['access-control-allow-origin']).toBeUndefined();
    const posted = await call('POST', `/api/v1/conversations/${mine.id}/messages`, {
      token: a.token,
      origin: ELSEWHERE,
      body: { text: QUESTION },
    });
    expect(posted.statusCode).toBe(403);
    expect(
      (await call('GET', `/api/v1/conversations/${mine.id}`, { origin: null })).statusCode,
    ).toBe(401);
    expect(await messageCount(theirs.id)).toBe(before);
    expect(await messageCount(mine.id)).toBe(0);

    // A member's cookie works from the platform's own origin only.
    for (const origin of [ELSEWHERE, null]) {
      const r = await call('POST', '/api/v1/conversations', {
        cookie: owner.cookie,
        origin,
        body: {},
      });
      expect(r.statusCode).toBe(403);
    }
    // From the right origin, but without the session's CSRF token (or with another's).
    const tokenless = await call('POST', '/api/v1/conversations', {
      cookie: owner.cookie,
      origin: PUBLIC_URL,
      csrf: false,
      body: {},
    });
    expect(tokenless.statusCode).toBe(403);
    expect(json(tokenless)).toMatchObject({ code: 'CSRF', field: 'x-csrf-token' });
    const ok = await call('POST', '/api/v1/conversations', {
      cookie: owner.cookie,
      origin: PUBLIC_URL,
      body: { title: 'From a script' },
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(json(ok)).toMatchObject({ channel: 'api', title: 'From a script' });
    expect(ok.headers['access-control-allow-origin']).toBeUndefined();
    // Another tenant's member cannot read it.
    const foreign = await call('GET', `/api/v1/conversations/${String(json(ok).id)}`, {
      cookie: other.cookie,
      origin: PUBLIC_URL,
    });
    expect(foreign.statusCode).toBe(404);
    // Same-origin reads carry no Origin in browsers: a cookie GET without one is fine, a
    // foreign Origin is not.
    const id = String(json(ok).id);
    expect(
      (await call('GET', `/api/v1/conversations/${id}`, { cookie: owner.cookie, origin: null }))
        .statusCode,
    ).toBe(200);
    expect(
      (
        await call('GET', `/api/v1/conversations/${id}`, {
          cookie: owner.cookie,
          origin: ELSEWHERE,
        })
      ).statusCode,
    ).toBe(403);

    // Preflights are approved only for requests that bring a token.
    const preflight = (headers: string) =>
      h.app.inject({
        method: 'OPTIONS',
        url: `/api/v1/conversations/${mine.id}/messages`,
        headers: {
          origin: SHOP,
          'access-control-request-method': 'POST',
          'access-control-request-headers': headers,
        },
      });
    const withToken = await preflight('authorization, content-type');
    expect(withToken.statusCode).toBe(204);
    expect(withToken.headers['access-control-allow-origin']).toBe(SHOP);
    expect(withToken.headers['access-control-allow-credentials']).toBeUndefined();
    expect(
      (await preflight('content-type')).headers['access-control-allow-origin'],
    ).toBeUndefined();
  });

  it('answers bad input with a 4xx naming the field, changing nothing', async () => {
    const { token } = await visitor();
    const conversation = await newConversation(token);
    const before = await allMessages();
    const url = `/api/v1/conversations/${conversation.id}/messages`;
    const cases: [Promise<LightMyRequestResponse>, number, Record<string, unknown>][] = [
      [ask(token, conversation.id, { text: '   ' }), 400, { field: 'text' }],
      [ask(token, conversation.id, {}), 400, { field: 'text' }],
      [ask(token, conversation.id, { text: 'x'.repeat(9 * 1024) }), 413, { field: 'text' }],
      [
        ask(token, conversation.id, { text: 'x'.repeat(9 * 1024) }, 'application/json'),
        413,
        { field: 'text' },
      ],
      [ask(token, conversation.id, { text: 'hi', extra: 1 }), 400, { field: 'extra' }],
      [ask(token, conversation.id, [1, 2]), 400, { field: 'body' }],
      [call('POST', url, { token, payload: '{"text": "hi"' }), 400, { code: 'INVALID_JSON' }],
      [ask(token, 'not-a-uuid', { text: 'hi' }), 400, { field: 'id' }],
      [call('GET', '/api/v1/conversations/not-a-uuid', { token }), 400, { field: 'id' }],
      [call('GET', `${url}?limit=0`, { token }), 400, { field: 'limit' }],
      [ask(token, crypto.randomUUID(), { text: 'hi' }), 404, { code: 'NOT_FOUND' }],
      [
        call('POST', `/api/v1/conversations/${conversation.id}/rating`, {
          token,
          body: { scale: 'thumbs', value: 3 },
        }),
        400,
        { field: 'value' },
      ],
      [
        call('POST', '/api/v1/conversations', { token, body: { title: 'x', channel: 'api' } }),
        400,
        { field: 'channel' },
      ],
    ];
    for (const [pending, status, body] of cases) {
      const r = await pending;
      expect(r.statusCode, r.body).toBe(status);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(json(r)).toMatchObject(body);
      expect(typeof json(r).message).toBe('string');
    }
    expect(await allMessages()).toBe(before);
  });

  it('stores a repeated clientMessageId once and says it was a duplicate', async () => {
    const { token } = await visitor();
    const conversation = await newConversation(token);
    const body = { text: QUESTION, clientMessageId: 'client-1' };
    const first = parseSse((await ask(token, conversation.id, body)).body);
    expect(first.at(-1)).toMatchObject({ event: 'done', data: { duplicate: false } });
    const stored = await messageCount(conversation.id);
    const again = parseSse((await ask(token, conversation.id, body)).body);
    expect(again.map((e) => e.event)).toEqual(['message', 'done']);
    expect(again[0]?.data.id).toBe(first[0]?.data.id);
    expect(again[1]?.data).toEqual({ reply: null, handoff: null, duplicate: true });
    const asJson = json(await ask(token, conversation.id, body, 'application/json'));
    expect(asJson).toMatchObject({ duplicate: true });
    expect(await messageCount(conversation.id)).toBe(stored);
    expect(
      await h.t.ownerQuery(
        'select 1 from messages where session_id = $1 and client_message_id = $2',
        [conversation.id, 'client-1'],
      ),
    ).toHaveLength(1);
  });

  it('reports a failure after the stream started as an error event', async () => {
    await h.mutate('budgets.set', other.cookie, { monthlyLimitUsd: 0, exhaustedPolicy: 'block' });
    try {
      const member = { cookie: other.cookie, origin: PUBLIC_URL };
      const created = await call('POST', '/api/v1/conversations', { ...member, body: {} });
      const id = String(json(created).id);
      const r = await call('POST', `/api/v1/conversations/${id}/messages`, {
        ...member,
        body: { text: QUESTION },
      });
      expect(r.statusCode).toBe(200);
      const events = parseSse(r.body);
      expect(events.map((e) => e.event)).toEqual(['message', 'error']);
      expect(events[1]?.data).toMatchObject({ code: 'PAYMENT_REQUIRED' });
      // The question was stored before the answer failed.
      expect(await messageCount(id)).toBeGreaterThanOrEqual(1);
    } finally {
      await h.mutate('budgets.set', other.cookie, { monthlyLimitUsd: null });
    }
  });

  it('hands the conversation to a person when asked, and takes a rating', async () => {
    const { token } = await visitor();
    const conversation = await newConversation(token);
    const events = parseSse(
      (await ask(token, conversation.id, { text: 'can I talk to a human?' })).body,
    );
    expect(events.map((e) => e.event)).toEqual(['message', 'done']);
    const done = events[1]?.data as Done;
    expect(done.reply).toBeNull();
    expect(done.handoff).toBeTruthy();
    const got = json(await call('GET', `/api/v1/conversations/${conversation.id}`, { token }));
    expect(got).toMatchObject({ status: 'waiting' });

    const again = await call('POST', `/api/v1/conversations/${conversation.id}/handoff`, {
      token,
      body: { reason: 'still waiting' },
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(json(again)).toMatchObject({ status: 'waiting' });
    const rated = await call('POST', `/api/v1/conversations/${conversation.id}/rating`, {
      token,
      body: { scale: 'csat', value: 5, comment: 'quick' },
    });
    expect(rated.statusCode, rated.body).toBe(200);
    expect(json(rated)).toMatchObject({ rating: { scale: 'csat', value: 5, comment: 'quick' } });
    const stop = await call('POST', `/api/v1/conversations/${conversation.id}/stop`, { token });
    expect(stop.statusCode, stop.body).toBe(200);
    expect(json(stop)).toMatchObject({ stopping: true });
  });

  it('lets a visitor say who they are and list its own conversations', async () => {
    const ada = await visitor();
    const first = await newConversation(ada.token);
    const second = await newConversation(ada.token);
    const stranger = await visitor();
    const theirs = await newConversation(stranger.token);

    const named = await call('POST', `/api/v1/conversations/${second.id}/visitor`, {
      token: ada.token,
      body: { name: 'Ada Lovelace', email: 'ada@example.com' },
    });
    expect(named.statusCode, named.body).toBe(200);
    expect(json(named)).toMatchObject({
      visitorName: 'Ada Lovelace',
      visitorEmail: 'ada@example.com',
    });
    // Members find the conversation by the email in the inbox.
    const inbox = data<{ items: Conversation[] }>(
      await h.query('conversations.list', owner.cookie, { search: 'ada@example' }),
    );
    expect(inbox.items.map((c) => c.id)).toEqual([second.id]);
    // Bad input names its field and changes nothing; someone else's conversation is not found.
    const bad = await call('POST', `/api/v1/conversations/${second.id}/visitor`, {
      token: ada.token,
      body: { email: 'not an email' },
    });
    expect(bad.statusCode).toBe(400);
    expect(json(bad)).toMatchObject({ field: 'email' });
    expect(
      json(
        await call('POST', `/api/v1/conversations/${second.id}/visitor`, {
          token: ada.token,
          body: {},
        }),
      ),
    ).toMatchObject({ field: 'name' });
    const foreign = await call('POST', `/api/v1/conversations/${theirs.id}/visitor`, {
      token: ada.token,
      body: { name: 'Mallory' },
    });
    expect(foreign.statusCode).toBe(404);
    const kept = json(
      await call('GET', `/api/v1/conversations/${theirs.id}`, { token: stranger.token }),
    );
    expect(kept.visitorName).toBeNull();

    // The visitor's list holds its own conversations only, newest first, paged.
    const page1 = await call('GET', '/api/v1/conversations?limit=1', { token: ada.token });
    expect(page1.statusCode, page1.body).toBe(200);
    const body1 = json(page1) as { items: Conversation[]; nextCursor: string | null };
    expect(body1.items.map((c) => c.id)).toEqual([second.id]);
    expect(body1.items[0]).not.toHaveProperty('tags');
    const page2 = json(
      await call('GET', `/api/v1/conversations?limit=5&cursor=${body1.nextCursor}`, {
        token: ada.token,
      }),
    ) as { items: Conversation[] };
    expect(page2.items.map((c) => c.id)).toEqual([first.id]);
    const filtered = await call('GET', '/api/v1/conversations?assignee=me', { token: ada.token });
    expect(filtered.statusCode).toBe(400);
    expect(json(filtered)).toMatchObject({ field: 'assignee' });
  });
});
