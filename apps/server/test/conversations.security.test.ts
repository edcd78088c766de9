import { appRouter } from '@platform/api';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from './fingerprint.ts';
import {
  type Account,
  data,
  type Harness,
  PUBLIC_URL,
  startHarness,
  trpcError,
} from './harness.ts';

/**
 * Conversations and chat. Covered elsewhere: visitors kept apart by tenant, widget and origin
 * (rest.e2e), redacted views (ws.e2e), the tRPC and visitor REST size limits
 * (conversations.e2e, rest.e2e), other tenants (cross-tenant). Here: what a visitor token
 * opens, the member REST limit, and inputs that once failed as 500s.
 */
const SHOP = 'https://shop.example.com';
const procedures = Object.entries(appRouter._def.procedures).map(([path, procedure]) => ({
  path,
  type: (procedure as unknown as { _def: { type: 'query' | 'mutation' } })._def.type,
}));

describe.each(testDrivers())('conversations security (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  let widgetKey = '';

  beforeAll(async () => {
    h = await startHarness(driver);
    owner = await h.signUp('Chatty Co');
    widgetKey = data<{ publicKey: string }>(
      await h.mutate('widgets.create', owner.cookie, { name: 'Shop', allowedOrigins: [SHOP] }),
    ).publicKey;
  });
  afterAll(() => h?.close());

  /** A new visitor of the widget: their token, and a REST caller with it. */
  const visitor = async () => {
    const session = await h.app.inject({
      method: 'POST',
      url: '/api/v1/widget/session',
      headers: { 'content-type': 'application/json', origin: SHOP },
      payload: JSON.stringify({ widgetKey }),
    });
    const { token } = session.json() as { token: string };
    const call = (method: 'GET' | 'POST', url: string, body?: unknown) =>
      h.app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${token}`,
          origin: SHOP,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    return { token, call };
  };
  /** A member's REST call from the dashboard (cookie, Origin, CSRF token). */
  const member = async (method: 'GET' | 'POST', url: string, body?: unknown) =>
    h.app.inject({
      method,
      url,
      headers: {
        cookie: owner.cookie,
        origin: PUBLIC_URL,
        accept: 'application/json',
        ...(method === 'POST'
          ? {
              'x-csrf-token': String(await h.csrf(owner.cookie)),
              'content-type': 'application/json',
            }
          : {}),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  it('opens no tRPC procedure to a visitor token', async () => {
    const { token } = await visitor();
    const before = await fingerprint(h);
    for (const { path, type } of procedures) {
      const r = await h.app.inject({
        method: type === 'query' ? 'GET' : 'POST',
        url: `/trpc/${path}`,
        headers: {
          authorization: `Bearer ${token}`,
          origin: SHOP,
          ...(type === 'mutation' ? { 'content-type': 'application/json' } : {}),
        },
        ...(type === 'mutation' ? { payload: '{}' } : {}),
      });
      expect(r.statusCode, `${path}: ${r.body}`).toBe(401);
    }
    expect(await fingerprint(h)).toEqual(before);
  });

  it('answers an oversized member message over REST with 413, storing nothing', async () => {
    const { id } = (await member('POST', '/api/v1/conversations', {})).json() as { id: string };
    const before = await fingerprint(h);
    const r = await member('POST', `/api/v1/conversations/${id}/messages`, {
      text: 'é'.repeat(5000),
    });
    expect(r.statusCode, r.body).toBe(413);
    expect(r.json()).toMatchObject({ field: 'text' });
    expect(await fingerprint(h)).toEqual(before);
  });

  it('never answers a repeated clientMessageId with another visitor’s message', async () => {
    const a = await visitor();
    const b = await visitor();
    const conversationOf = async (v: typeof a) =>
      ((await v.call('POST', '/api/v1/conversations', {})).json() as { id: string }).id;
    const [ca, cb] = [await conversationOf(a), await conversationOf(b)];
    const first = await a.call('POST', `/api/v1/conversations/${ca}/messages`, {
      text: 'my card ends 4242',
      clientMessageId: 'msg-1',
    });
    expect(first.statusCode, first.body).toBe(200);
    const replay = await b.call('POST', `/api/v1/conversations/${cb}/messages`, {
      text: 'hello',
      clientMessageId: 'msg-1',
    });
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.body).not.toContain('4242');
    expect(replay.json()).toMatchObject({ duplicate: false });
  });

  // Regressions from fuzz.security.test.ts: each of these answered 500.
  it('refuses text PostgreSQL cannot store and forged cursors with 400 naming the field', async () => {
    const v = await visitor();
    const before = await fingerprint(h);
    const started = await v.call('POST', '/api/v1/conversations', { visitorName: 'Ada\u0000' });
    expect(started.statusCode, started.body).toBe(400);
    expect(started.json()).toMatchObject({ field: 'visitorName' });
    const rules = await h.mutate('conversations.setHandoffRules', owner.cookie, {
      lowConfidence: null,
      keywords: ['refund \ud800'],
    });
    expect(rules.status, rules.raw.body).toBe(400);
    expect(trpcError(rules).data.field).toBe('keywords.0');
    const forged = (cursor: object) => Buffer.from(JSON.stringify(cursor)).toString('base64url');
    for (const cursor of [
      forged({ at: '2024-01-01T00:00:00Z', id: 'not-a-uuid' }),
      forged({ at: '0000-01-01T00:00:00Z', id: '00000000-0000-4000-8000-000000000000' }),
    ]) {
      const trpc = await h.query('conversations.list', owner.cookie, { cursor });
      expect(trpc.status, trpc.raw.body).toBe(400);
      expect(trpcError(trpc).data.field).toBe('cursor');
      const rest = await v.call('GET', `/api/v1/conversations?cursor=${cursor}`);
      expect(rest.statusCode, rest.body).toBe(400);
    }
    expect(await fingerprint(h)).toEqual(before);
  });
});
