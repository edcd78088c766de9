import { createHash } from 'node:crypto';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Account, data, type Harness, startHarness, trpcError } from './harness.ts';

type Created = {
  id: string;
  key: string;
  name: string;
  prefix: string;
  scopes: string[];
  status: string;
  expiresAt: string | null;
};
type Listed = Omit<Created, 'key'> & { lastUsedAt: string | null; revokedAt: string | null };
type Answer = { status: number; body: Record<string, unknown>; text: string; retryAfter?: string };

const KEY_SHAPE = /^sk_live_[0-9A-Za-z]{43}$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe.each(testDrivers())('API keys (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  let other: Account;

  beforeAll(async () => {
    h = await startHarness(driver);
    owner = await h.signUp('Key Corp');
    other = await h.signUp('Other Corp');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const answer = (r: {
    statusCode: number;
    body: string;
    headers: Record<string, unknown>;
  }): Answer => {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(r.body) as Record<string, unknown>;
    } catch {
      body = {};
    }
    const retry = r.headers['retry-after'];
    return {
      status: r.statusCode,
      body,
      text: r.body,
      ...(retry !== undefined ? { retryAfter: String(retry) } : {}),
    };
  };
  /** Requests with `Authorization: Bearer <key>` and nothing else: no cookie, no CSRF token. */
  const as = (key: string, extra: Record<string, string> = {}) => {
    const headers = { authorization: `Bearer ${key}`, ...extra };
    return {
      query: async (path: string, input?: unknown) =>
        answer(
          await h.app.inject({
            method: 'GET',
            url: `/trpc/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
            headers,
          }),
        ),
      mutate: async (path: string, input: unknown) =>
        answer(
          await h.app.inject({
            method: 'POST',
            url: `/trpc/${path}`,
            headers: { ...headers, 'content-type': 'application/json' },
            payload: JSON.stringify(input),
          }),
        ),
      rest: async (method: 'GET' | 'POST', url: string, body?: unknown) =>
        answer(
          await h.app.inject({
            method,
            url,
            headers: {
              ...headers,
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
          }),
        ),
    };
  };
  const errorOf = (a: Answer) =>
    a.body.error as { message: string; data: { code: string; httpStatus: number; field?: string } };

  const create = async (input: Record<string, unknown>, by: Account = owner) => {
    const reply = await h.mutate('apiKeys.create', by.cookie, input);
    expect(reply.status, reply.raw.body).toBe(200);
    return data<Created>(reply);
  };

  it('finds a key by its hash before any tenant is known (platform_api_key_by_hash)', async () => {
    const created = await create({ name: 'lookup', scopes: ['read'] });
    const found = await h.platform.db.apiKeyByHash(sha256(created.key));
    // The SECURITY DEFINER function reads api_keys as platform_definer, which needs its own
    // SELECT policy there (as widgets have: definer_select in 0006); without it every key is 401.
    expect(
      found,
      'api_keys needs: CREATE POLICY definer_select ON api_keys FOR SELECT TO platform_definer USING (true)',
    ).toMatchObject({
      keyId: created.id,
      tenantId: owner.tenantId,
      scopes: ['read'],
      createdBy: owner.userId,
      revokedAt: null,
    });
    expect(await h.platform.db.apiKeyByHash(sha256(`${created.key}x`))).toBeNull();
  });

  it('shows the key once, lists it without the secret, and stores only its SHA-256', async () => {
    const created = await create({ name: 'CI export', scopes: ['read'] });
    expect(created.key).toMatch(KEY_SHAPE);
    expect(created.prefix).toBe(created.key.slice(0, 12));
    expect(created.status).toBe('active');

    const list = await h.query('apiKeys.list', owner.cookie);
    expect(list.status).toBe(200);
    expect(list.raw.body).not.toContain(created.key);
    expect(list.raw.body).not.toContain(created.key.slice(12));
    expect(list.raw.body).not.toContain(sha256(created.key));
    const listed = data<{ items: Listed[] }>(list).items.find((k) => k.id === created.id);
    expect(listed).toMatchObject({
      name: 'CI export',
      prefix: created.prefix,
      scopes: ['read'],
      status: 'active',
      createdBy: owner.userId,
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(Object.keys(listed ?? {})).not.toContain('key');
    expect(Object.keys(listed ?? {})).not.toContain('keyHash');

    const rows = await h.t.ownerQuery<Record<string, unknown>>(
      'select * from api_keys where id = $1',
      [created.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.key_hash).toBe(sha256(created.key));
    expect(rows[0]?.tenant_id).toBe(owner.tenantId);
    expect(JSON.stringify(rows)).not.toContain(created.key.slice(12));

    const audit = await h.t.ownerQuery<{ action: string; actor_type: string; metadata: unknown }>(
      `select action, actor_type, metadata from audit_logs where resource_type = 'api_key' and resource_id = $1`,
      [created.id],
    );
    expect(audit).toEqual([
      {
        action: 'api_key.created',
        actor_type: 'user',
        metadata: expect.objectContaining({
          name: 'CI export',
          scopes: ['read'],
          prefix: created.prefix,
        }),
      },
    ]);
    const everything = await h.t.ownerQuery('select * from audit_logs');
    expect(JSON.stringify(everything)).not.toContain(created.key.slice(12));
    expect(JSON.stringify(everything)).not.toContain(sha256(created.key));
  });

  it('authenticates tRPC and REST in the key’s own tenant, whatever cookie or input says', async () => {
    const { key } = await create({ name: 'sync', scopes: ['read', 'conversations:write'] });
    const current = await as(key).query('tenants.current');
    expect(current.status, current.text).toBe(200);
    expect(current.text).toContain(owner.tenantId);

    // Another organisation's cookie beside the key changes nothing: the key alone decides.
    const withCookie = await as(key, { cookie: other.cookie }).query('tenants.current');
    expect(withCookie.text).toContain(owner.tenantId);
    expect(withCookie.text).not.toContain(other.tenantId);
    const smuggled = await as(key).query('users.list', { tenantId: other.tenantId });
    expect(smuggled.status).toBe(400);

    const opened = await as(key).rest('POST', '/api/v1/conversations', { title: 'from a key' });
    expect(opened.status, opened.text).toBe(201);
    expect(opened.body).toMatchObject({ channel: 'api' });
    const listed = await as(key).rest('GET', '/api/v1/conversations');
    expect(listed.status, listed.text).toBe(200);
    expect(listed.text).toContain(String(opened.body.id));
    const [row] = await h.t.ownerQuery<{ tenant_id: string }>(
      'select tenant_id from chat_sessions where id = $1',
      [opened.body.id],
    );
    expect(row?.tenant_id).toBe(owner.tenantId);
  });

  it('never reaches another organisation’s data', async () => {
    const widget = await h.mutate('widgets.create', other.cookie, { name: 'Other site' });
    expect(widget.status).toBe(200);
    const otherWidget = data<{ id: string }>(widget).id;
    const otherConversation = await h.mutate('conversations.create', other.cookie, {
      title: 'private',
    });
    const otherConversationId = data<{ id: string }>(otherConversation).id;
    const { key } = await create({ name: 'probe', scopes: ['admin'] });

    const got = await as(key).query('widgets.get', { id: otherWidget });
    expect(got.status).toBe(404);
    const list = await as(key).query('widgets.list');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(otherWidget);
    const updated = await as(key).mutate('widgets.update', { id: otherWidget, name: 'taken' });
    expect(updated.status).toBe(404);
    const rest = await as(key).rest('GET', `/api/v1/conversations/${otherConversationId}`);
    expect(rest.status).toBe(404);
    const [name] = await h.t.ownerQuery<{ name: string }>(
      'select name from widgets where id = $1',
      [otherWidget],
    );
    expect(name?.name).toBe('Other site');
  });

  it('refuses mutations to a read-only key and resources outside a per-resource key (403 scope)', async () => {
    const reader = (await create({ name: 'reader', scopes: ['read'] })).key;
    const refused = await as(reader).mutate('collections.create', { name: 'nope' });
    expect(refused.status).toBe(403);
    expect(errorOf(refused).data).toMatchObject({ code: 'FORBIDDEN', field: 'scope' });
    const restWrite = await as(reader).rest('POST', '/api/v1/conversations', {});
    expect(restWrite.status).toBe(403);
    expect(restWrite.body).toMatchObject({ code: 'FORBIDDEN', field: 'scope' });
    expect((await as(reader).query('collections.list')).status).toBe(200);

    const knowledge = (await create({ name: 'kb', scopes: ['knowledge:read'] })).key;
    expect((await as(knowledge).query('knowledge.list')).status).toBe(200);
    expect((await as(knowledge).query('collections.list')).status).toBe(200);
    const outside = await as(knowledge).query('widgets.list');
    expect(outside.status).toBe(403);
    expect(errorOf(outside).data.field).toBe('scope');
    expect((await as(knowledge).rest('GET', '/api/v1/conversations')).status).toBe(403);
    expect((await as(knowledge).mutate('collections.create', { name: 'x' })).status).toBe(403);

    const chat = (await create({ name: 'chat', scopes: ['conversations:write'] })).key;
    expect((await as(chat).mutate('conversations.create', { title: 'ok' })).status).toBe(200);
    expect((await as(chat).query('knowledge.list')).status).toBe(403);
    const [collections] = await h.t.ownerQuery<{ n: number }>(
      `select count(*)::int as n from collections where tenant_id = $1 and name in ('nope', 'x')`,
      [owner.tenantId],
    );
    expect(collections?.n).toBe(0);
  });

  it('needs the admin scope for admin procedures, audits as the key, and never manages keys', async () => {
    const writer = (await create({ name: 'writer', scopes: ['write'] })).key;
    const notAdmin = await as(writer).mutate('widgets.create', { name: 'by writer' });
    expect(notAdmin.status).toBe(403);

    const admin = await create({ name: 'admin bot', scopes: ['admin'] });
    const made = await as(admin.key).mutate('widgets.create', { name: 'by admin key' });
    expect(made.status, made.text).toBe(200);
    const widgetId = (made.body.result as { data: { id: string } }).data.id;
    const [entry] = await h.t.ownerQuery<{ actor_type: string; actor_user_id: string }>(
      `select actor_type, actor_user_id from audit_logs where resource_id = $1`,
      [widgetId],
    );
    expect(entry).toEqual({ actor_type: 'api_key', actor_user_id: owner.userId });
    // The key acts as an admin, never as the owner who made it.
    const me = await as(admin.key).query('users.me');
    expect((me.body.result as { data: { role: string } }).data.role).toBe('admin');

    for (const [path, kind, input] of [
      ['apiKeys.list', 'query', undefined],
      ['apiKeys.create', 'mutation', { name: 'successor', scopes: ['admin'] }],
      ['apiKeys.revoke', 'mutation', { id: admin.id }],
    ] as const) {
      const reply =
        kind === 'query'
          ? await as(admin.key).query(path)
          : await as(admin.key).mutate(path, input);
      expect(reply.status, path).toBe(403);
      expect(errorOf(reply).data.field).toBe('scope');
    }
    expect((await as(admin.key).query('tenants.current')).status).toBe(200);
  });

  it('lets only owners and admins manage keys', async () => {
    const member = await h.joinAs(owner, 'member');
    const made = await h.mutate('apiKeys.create', member.cookie, { name: 'x', scopes: ['read'] });
    expect(made.status).toBe(403);
    expect((await h.query('apiKeys.list', member.cookie)).status).toBe(403);
    const admin = await h.joinAs(owner, 'admin');
    const byAdmin = await h.mutate('apiKeys.create', admin.cookie, { name: 'y', scopes: ['read'] });
    expect(byAdmin.status).toBe(200);
    expect((await h.query('apiKeys.list')).status).toBe(401);
  });

  it('demotes a key with its creator, and stops it when the creator leaves', async () => {
    const admin = await h.joinAs(owner, 'admin');
    const { key } = await create({ name: 'admin made', scopes: ['admin'] }, admin);
    expect((await as(key).mutate('collections.create', { name: 'before' })).status).toBe(200);
    await h.t.ownerQuery(`update memberships set role = 'member' where user_id = $1`, [
      admin.userId,
    ]);
    expect((await as(key).mutate('collections.create', { name: 'after' })).status).toBe(403);
    await h.t.ownerQuery('delete from memberships where user_id = $1 and tenant_id = $2', [
      admin.userId,
      owner.tenantId,
    ]);
    expect((await as(key).query('collections.list')).status).toBe(403);
    expect((await as(key).rest('GET', '/api/v1/conversations')).status).toBe(403);
  });

  it('answers 401 with one message for unknown, malformed, revoked and expired keys', async () => {
    const unknown = `sk_live_${'A'.repeat(43)}`;
    const answers: Answer[] = [
      await as(unknown).query('tenants.current'),
      await as('sk_live_short').query('tenants.current'),
      await as('sk_test_whatever').query('tenants.current'),
    ];

    const revoked = await create({ name: 'to revoke', scopes: ['read'] });
    // Used first, so the revocation must beat this process's cache.
    expect((await as(revoked.key).query('tenants.current')).status).toBe(200);
    const revoke = await h.mutate('apiKeys.revoke', owner.cookie, { id: revoked.id });
    expect(revoke.status).toBe(200);
    expect(data<{ status: string }>(revoke).status).toBe('revoked');
    answers.push(await as(revoked.key).query('tenants.current'));
    answers.push(await as(revoked.key).rest('GET', '/api/v1/conversations'));
    const again = await h.mutate('apiKeys.revoke', owner.cookie, { id: revoked.id });
    expect(again.status).toBe(200);

    const expired = await create({ name: 'to expire', scopes: ['read'], expiresInDays: 1 });
    await h.t.ownerQuery(
      `update api_keys set expires_at = now() - interval '1 minute' where id = $1`,
      [expired.id],
    );
    answers.push(await as(expired.key).query('tenants.current'));
    answers.push(await as(expired.key).rest('GET', '/api/v1/conversations'));

    // A bad key never falls back to the cookie sent beside it.
    answers.push(await as(unknown, { cookie: owner.cookie }).query('tenants.current'));

    for (const a of answers) {
      expect(a.status, a.text).toBe(401);
      const message = a.body.error ? errorOf(a).message : a.body.message;
      expect(message).toBe('Invalid API key');
    }
    const list = data<{ items: Listed[] }>(await h.query('apiKeys.list', owner.cookie)).items;
    expect(list.find((k) => k.id === revoked.id)?.status).toBe('revoked');
    expect(list.find((k) => k.id === expired.id)?.status).toBe('expired');
    const audit = await h.t.ownerQuery<{ action: string }>(
      `select action from audit_logs where resource_id = $1 order by created_at`,
      [revoked.id],
    );
    expect(audit.map((a) => a.action)).toEqual(['api_key.created', 'api_key.revoked']);
  });

  it('records when a key was last used', async () => {
    const { id, key } = await create({ name: 'used', scopes: ['read'] });
    expect((await as(key).query('tenants.current')).status).toBe(200);
    await vi.waitFor(
      async () => {
        const [row] = await h.t.ownerQuery<{ last_used_at: Date | null }>(
          'select last_used_at from api_keys where id = $1',
          [id],
        );
        expect(row?.last_used_at).not.toBeNull();
      },
      { timeout: 5_000, interval: 50 },
    );
    const listed = data<{ items: Listed[] }>(await h.query('apiKeys.list', owner.cookie));
    expect(listed.items.find((k) => k.id === id)?.lastUsedAt).not.toBeNull();
  });

  it('limits each key’s requests a minute: 429 with Retry-After on tRPC and REST', async () => {
    // Six calls against a limit of two: whichever minute boundary falls between them, one
    // minute sees at least three.
    const trpc = (await create({ name: 'slow', scopes: ['read'], rateLimitPerMinute: 2 })).key;
    const trpcAnswers: Answer[] = [];
    for (let i = 0; i < 6; i++) trpcAnswers.push(await as(trpc).query('tenants.current'));
    const limited = trpcAnswers.find((a) => a.status === 429);
    expect(limited, JSON.stringify(trpcAnswers.map((a) => a.status))).toBeDefined();
    expect(errorOf(limited as Answer).data.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(limited?.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(limited?.retryAfter)).toBeLessThanOrEqual(60);
    expect(trpcAnswers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(4);

    const rest = (await create({ name: 'slow rest', scopes: ['read'], rateLimitPerMinute: 2 })).key;
    const restAnswers: Answer[] = [];
    for (let i = 0; i < 6; i++)
      restAnswers.push(await as(rest).rest('GET', '/api/v1/conversations'));
    const restLimited = restAnswers.find((a) => a.status === 429);
    expect(restLimited).toBeDefined();
    expect(restLimited?.body).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(Number(restLimited?.retryAfter)).toBeGreaterThanOrEqual(1);
    // Another key is counted on its own.
    const fresh = (await create({ name: 'fresh', scopes: ['read'] })).key;
    expect((await as(fresh).query('tenants.current')).status).toBe(200);
  });

  it('refuses bad input with a 400 naming the field, and stores nothing', async () => {
    const [before] = await h.t.ownerQuery<{ n: number }>(
      'select count(*)::int as n from api_keys where tenant_id = $1',
      [owner.tenantId],
    );
    const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '', scopes: ['read'] }, 'name'],
      [{ name: '   ', scopes: ['read'] }, 'name'],
      [{ name: 'x'.repeat(101), scopes: ['read'] }, 'name'],
      [{ scopes: ['read'] }, 'name'],
      [{ name: 'k', scopes: [] }, 'scopes'],
      [{ name: 'k', scopes: ['root'] }, 'scopes'],
      [{ name: 'k', scopes: ['read', 'billing:read'] }, 'scopes'],
      [{ name: 'k' }, 'scopes'],
      [{ name: 'k', scopes: 'read' }, 'scopes'],
      [{ name: 'k', scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      [{ name: 'k', scopes: ['read'], expiresAt: future(800) }, 'expiresAt'],
      [{ name: 'k', scopes: ['read'], expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ name: 'k', scopes: ['read'], expiresAt: future(5), expiresInDays: 5 }, 'expiresAt'],
      [{ name: 'k', scopes: ['read'], expiresInDays: 0 }, 'expiresInDays'],
      [{ name: 'k', scopes: ['read'], expiresInDays: 731 }, 'expiresInDays'],
      [{ name: 'k', scopes: ['read'], rateLimitPerMinute: 0 }, 'rateLimitPerMinute'],
      [{ name: 'k', scopes: ['read'], rateLimitPerMinute: 1.5 }, 'rateLimitPerMinute'],
      [{ name: 'k', scopes: ['read'], tenantId: other.tenantId }, 'tenantId'],
    ];
    for (const [input, field] of cases) {
      const reply = await h.mutate('apiKeys.create', owner.cookie, input);
      expect(reply.status, JSON.stringify(input)).toBe(400);
      expect(trpcError(reply).data.field, JSON.stringify(input)).toBe(field);
    }
    const unknownScope = await h.mutate('apiKeys.create', owner.cookie, {
      name: 'k',
      scopes: ['root'],
    });
    expect(trpcError(unknownScope).message).toContain('root');
    const badId = await h.mutate('apiKeys.revoke', owner.cookie, { id: 'not-a-uuid' });
    expect(badId.status).toBe(400);
    expect(trpcError(badId).data.field).toBe('id');
    const missing = await h.mutate('apiKeys.revoke', owner.cookie, {
      id: '00000000-0000-4000-8000-000000000000',
    });
    expect(missing.status).toBe(404);
    const [after] = await h.t.ownerQuery<{ n: number }>(
      'select count(*)::int as n from api_keys where tenant_id = $1',
      [owner.tenantId],
    );
    expect(after?.n).toBe(before?.n);

    const ok = await create({ name: 'expiring', scopes: ['read'], expiresAt: future(30) });
    expect(new Date(ok.expiresAt ?? 0).getTime()).toBeGreaterThan(Date.now());
  });
});
