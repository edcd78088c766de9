import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appRouter } from '@platform/api';
import { testDrivers } from '@platform/db/testing';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fingerprint, type Ignore } from './fingerprint.ts';
import {
  fromSchema,
  inputFor,
  invalidUtf8,
  keysOf,
  nastyString,
  type Pools,
  plausibleString,
  rawFor,
  uriSafe,
} from './fuzz-inputs.ts';
import {
  type Account,
  cookieOf,
  data,
  type Harness,
  PUBLIC_URL,
  type Reply,
  startHarness,
} from './harness.ts';

/**
 * Property: whatever a caller sends, the answer is never a 5xx, and a refusal (4xx) leaves
 * every table as it was. Every tRPC procedure (found in appRouter, so new ones are fuzzed
 * without touching this file) is called as an organisation owner, the strongest role, with
 * inputs from fuzz-inputs.ts; then the REST API and the sign-in and sign-up bodies. A valid
 * input may legitimately change data (2xx): the fingerprint is then taken afresh.
 * FUZZ_RUNS sets the runs per procedure; FUZZ_SEED replays a failure (fast-check prints both).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const options = { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) };

const SHOP = 'https://shop.example.com';

const procedures = Object.entries(appRouter._def.procedures).map(([path, procedure]) => {
  const def = (procedure as unknown as { _def: { type: string; inputs?: unknown[] } })._def;
  return { path, type: def.type as 'query' | 'mutation', parser: def.inputs?.at(-1) };
});

/** Nothing a request sends may add to Object.prototype in this (the server's) process. */
const PROTOTYPE = Object.getOwnPropertyNames(Object.prototype).sort();
const assertUnpolluted = () => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
};

/** Short and printable, for failure messages. */
const show = (value: unknown) => {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
};

/**
 * How often each path answered each status; FUZZ_STATS=1 prints it, to see how many inputs
 * get past validation into the procedures.
 */
const statuses = new Map<string, number>();

type Sent = { label: string; reply: LightMyRequestResponse };

describe.each(testDrivers())('fuzzing every input (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  let victim: Account;
  let vendor: Server;
  const pools: Pools = { uuids: [], urls: [] };
  let visitorToken = '';
  let widgetKey = '';
  let visitorConversation = '';
  let memberConversation = '';
  let baseline: Record<string, string> = {};

  beforeAll(async () => {
    // A vendor that refuses every key: providerKeys.set reaches it, and never the internet.
    vendor = createServer((_req, res) => res.writeHead(401).end('{"error":"bad key"}'));
    await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
    const vendorUrl = `http://127.0.0.1:${(vendor.address() as AddressInfo).port}/v1`;

    h = await startHarness(driver, {
      // Thousands of calls in a minute from one organisation: the limits have their own tests.
      TENANT_RATE_LIMIT_PER_MINUTE: '10000000',
      REDIS_URL: '',
    });
    owner = await h.signUp('Fuzz Corp');
    const admin = await h.joinAs(owner, 'admin');
    const member = await h.joinAs(owner, 'member');
    // Someone to sign in as (wrongly) in the auth fuzz; not the owner, who must stay unlocked.
    victim = await h.signUp('Victim Org');

    // Rows of the owner's organisation for schema-shaped inputs to name.
    const ok = async (r: Promise<Reply>) => {
      const reply = await r;
      if (reply.status !== 200) throw new Error(`fixture: ${reply.status} ${reply.raw.body}`);
      return reply;
    };
    const collection = data<{ id: string }>(
      await ok(h.mutate('collections.create', owner.cookie, { name: 'Fuzzed' })),
    );
    const personality = data<{ id: string }>(
      await ok(
        h.mutate('personalities.create', owner.cookie, {
          name: 'Fuzzy',
          systemPrompt: 'Be brief.',
        }),
      ),
    );
    // Left pending: no ingestion worker runs here, so nothing changes behind the fuzzer's back.
    const upload = data<{ document: { id: string } }>(
      await ok(
        h.mutate('knowledge.upload', owner.cookie, {
          fileName: 'fuzz.md',
          contentBase64: Buffer.from('# Fuzz\n\nShoes ship in two days.').toString('base64'),
          collectionId: collection.id,
        }),
      ),
    );
    const widget = await newVisitor(personality.id);
    const conversation = data<{ id: string }>(
      await ok(h.mutate('conversations.create', owner.cookie, { title: 'Fuzzing' })),
    );
    memberConversation = conversation.id;
    await ok(
      h.mutate('chat.send', owner.cookie, { conversationId: conversation.id, text: 'Hello?' }),
    );
    const key = data<{ id: string }>(
      await ok(h.mutate('apiKeys.create', owner.cookie, { name: 'fuzz', scopes: ['read'] })),
    );
    const [alert] = await h.t.ownerQuery<{ id: string }>(
      `insert into budget_alerts (tenant_id, month, threshold_percent, budget_micros, spent_micros)
       values ($1, date_trunc('month', now())::date, 50, 1000000, 500000) returning id`,
      [owner.tenantId],
    );
    // The default personality is made on first read: make it now, not during the fuzzing.
    await ok(h.query('personalities.list', owner.cookie));

    // Not the owner's own session: sessions.revoke would sign the fuzzer out.
    const sessions = await h.t.ownerQuery<{ id: string }>(
      'select id from auth_sessions where user_id = any($1)',
      [[admin.userId, member.userId]],
    );
    pools.uuids = [
      owner.userId,
      admin.userId,
      member.userId,
      owner.tenantId,
      collection.id,
      personality.id,
      upload.document.id,
      widget,
      conversation.id,
      visitorConversation,
      key.id,
      ...(alert ? [alert.id] : []),
      ...sessions.map((s) => s.id),
    ];
    pools.urls = [vendorUrl, `${vendorUrl}/`, 'http://127.0.0.1:9/v1'];
    baseline = await fingerprint(h);
  }, 120_000);
  afterAll(async () => {
    if (process.env.FUZZ_STATS) console.info(JSON.stringify(Object.fromEntries(statuses), null, 1));
    await h?.close();
    await new Promise((resolve) => vendor?.close(resolve));
  });

  const visitorHeaders = () => ({
    authorization: `Bearer ${visitorToken}`,
    origin: SHOP,
    'content-type': 'application/json',
  });
  /**
   * A widget on SHOP with a visitor session and a conversation of that visitor; its id. Made
   * again before the REST fuzzing, since the tRPC fuzzing may have removed the first widget.
   */
  const newVisitor = async (personalityId?: string) => {
    const created = await h.mutate('widgets.create', owner.cookie, {
      name: 'Fuzz shop',
      allowedOrigins: [SHOP],
      ...(personalityId ? { personalityId } : {}),
    });
    if (created.status !== 200) throw new Error(`widget: ${created.raw.body}`);
    const widget = data<{ id: string; publicKey: string }>(created);
    widgetKey = widget.publicKey;
    const session = await h.app.inject({
      method: 'POST',
      url: '/api/v1/widget/session',
      headers: { 'content-type': 'application/json', origin: SHOP },
      payload: JSON.stringify({ widgetKey }),
    });
    visitorToken = (session.json() as { token: string }).token;
    const started = await h.app.inject({
      method: 'POST',
      url: '/api/v1/conversations',
      headers: visitorHeaders(),
      payload: '{}',
    });
    visitorConversation = (started.json() as { id: string }).id;
    return widget.id;
  };
  const cookieHeaders = async (account: Account) => ({
    cookie: account.cookie,
    origin: PUBLIC_URL,
    'x-csrf-token': String(await h.csrf(account.cookie)),
  });

  /**
   * A 402 turns down a valid request because the month's AI budget is spent (a budget the
   * fuzzer itself may have set low with budgets.set). It is the outcome of handling the
   * request, not a refusal of its input, and is recorded by design: the routing decision that
   * blocked it (answer.ts), and in a conversation the question with a failed note (send.ts).
   * Those tables may change; no other.
   */
  const BUDGET_RECORD = new Set(['routing_decisions', 'messages', 'conversations']);
  const outsideBudgetRecord = (print: Record<string, string>) =>
    Object.fromEntries(Object.entries(print).filter(([table]) => !BUDGET_RECORD.has(table)));

  /**
   * The property for one request: no 5xx (also not inside an event stream), Object.prototype
   * untouched, and after a 4xx every table as it was (a 402 only its record, above). A 2xx
   * may change data: it sets the new baseline.
   */
  const expectSafe = async ({ label, reply }: Sent, ignore: Ignore = {}) => {
    const why = `${label} → ${reply.statusCode} ${show(reply.body)}`;
    const key = `${label.split(' ')[0]} ${reply.statusCode}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    expect(reply.statusCode, why).toBeLessThan(500);
    expect(reply.statusCode, why).toBeGreaterThanOrEqual(200);
    expect(reply.body, why).not.toContain('INTERNAL_SERVER_ERROR');
    assertUnpolluted();
    if (reply.statusCode === 402) {
      const now = await fingerprint(h, ignore);
      expect(
        outsideBudgetRecord(now),
        `${why}: a budget refusal changed more than its record`,
      ).toEqual(outsideBudgetRecord(baseline));
      baseline = now;
      return;
    }
    if (reply.statusCode >= 400) {
      expect(await fingerprint(h, ignore), `${why}: a refusal changed data`).toEqual(baseline);
      return;
    }
    await keepFuzzerOwner();
    baseline = await fingerprint(h, ignore);
  };

  /**
   * A valid call may have handed ownership away (users.updateRole), or, once another member
   * was made an owner, removed the fuzzer from its organisation (users.remove), which also
   * ends its sessions: the fuzzer stays an owner, signed in, so later procedures are fuzzed
   * past the permission check and not merely refused with 401.
   */
  const keepFuzzerOwner = async () => {
    await h.t.ownerQuery(
      `insert into memberships (tenant_id, user_id, role) values ($1, $2, 'owner')
       on conflict (tenant_id, user_id) do update set role = 'owner' where memberships.role <> 'owner'`,
      [owner.tenantId, owner.userId],
    );
    await h.t.ownerQuery('delete from membership_removals where tenant_id = $1 and user_id = $2', [
      owner.tenantId,
      owner.userId,
    ]);
    if ((await h.query('users.me', owner.cookie)).status !== 401) return;
    const signIn = await h.post('/api/auth/sign-in/email', {
      email: owner.email,
      password: owner.password,
    });
    const cookie = cookieOf(signIn.raw);
    if (!cookie) throw new Error(`the fuzzer could not sign in again: ${signIn.status}`);
    owner = { ...owner, cookie };
  };

  type Input = { raw: false; value: unknown } | { raw: true; text: string | Buffer };

  const callTrpc = async (
    path: string,
    type: 'query' | 'mutation',
    input: Input,
  ): Promise<Sent> => {
    const text = input.raw
      ? input.text
      : input.value === undefined
        ? undefined
        : JSON.stringify(input.value);
    const label = `${path} ${input.raw ? 'raw ' : ''}${show(input.raw ? String(input.text) : input.value)}`;
    if (type === 'query') {
      const qs = text === undefined ? '' : `?input=${encodeURIComponent(String(text))}`;
      const reply = await h.app.inject({
        method: 'GET',
        url: `/trpc/${path}${qs}`,
        headers: { cookie: owner.cookie },
      });
      return { label, reply };
    }
    const reply = await h.app.inject({
      method: 'POST',
      url: `/trpc/${path}`,
      headers: {
        ...(await cookieHeaders(owner)),
        ...(text === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(text === undefined ? {} : { payload: text }),
    });
    return { label, reply };
  };

  describe('tRPC, as the owner', () => {
    it.each(procedures)('$path ($type)', async ({ path, type, parser }) => {
      const keys = keysOf(parser);
      const inputs: fc.Arbitrary<Input> = fc.oneof(
        {
          weight: 4,
          arbitrary: inputFor(parser, pools).map((value) => ({ raw: false as const, value })),
        },
        { weight: 1, arbitrary: rawFor(parser).map((text) => ({ raw: true as const, text })) },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(...keys, 'x')
            .map((k) => ({ raw: true as const, text: invalidUtf8(k) })),
        },
      );
      await fc.assert(
        fc.asyncProperty(inputs, async (input) => expectSafe(await callTrpc(path, type, input))),
        options,
      );
    });

    it('survives odd paths, batches and methods', async () => {
      const names = procedures.map((p) => p.path);
      const segment = fc.oneof(
        fc.constantFrom(...names),
        fc.constantFrom(
          '',
          '..',
          '%2e%2e%2f',
          '__proto__',
          'constructor',
          'users.__proto__',
          'a'.repeat(5000),
        ),
        nastyString(20).map(uriSafe),
      );
      const request = fc.record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        paths: fc.array(segment, { minLength: 1, maxLength: 4 }),
        batch: fc.boolean(),
        body: fc.oneof(
          fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
          rawFor(undefined),
        ),
        contentType: fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/octet-stream',
          'application/json; charset=utf-16',
        ),
      });
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const url = `/trpc/${r.paths.join(',')}${r.batch ? `?batch=1&input=${encodeURIComponent(r.body)}` : ''}`;
          const reply = await h.app.inject({
            method: r.method as 'GET',
            url,
            headers: { ...(await cookieHeaders(owner)), 'content-type': r.contentType },
            ...(r.method === 'GET' ? {} : { payload: r.body }),
          });
          await expectSafe({
            label: `${r.method} ${show(url)} ${r.contentType} ${show(r.body)}`,
            reply,
          });
        }),
        { ...options, numRuns: RUNS * 3 },
      );
    });
  });

  /** Bodies for the REST routes, in the routes' own shapes (REST schemas are not exported). */
  const restBodies = {
    create: z.strictObject({
      title: z.string().max(200).optional(),
      visitorName: z.string().max(100).optional(),
      visitorEmail: z.email().optional(),
    }),
    messages: z.strictObject({ text: z.string(), clientMessageId: z.string().max(100).optional() }),
    visitor: z.strictObject({ name: z.string().max(100).optional(), email: z.email().optional() }),
    handoff: z.strictObject({ reason: z.string().max(200).optional() }),
    rating: z.strictObject({
      scale: z.enum(['thumbs', 'csat']),
      value: z.number().int().min(-1).max(5),
      comment: z.string().max(1000).optional(),
    }),
    stop: z.strictObject({}),
    session: z.strictObject({
      widgetKey: z.string().max(200),
      visitorToken: z.string().max(4096).optional(),
      name: z.string().max(100).optional(),
    }),
  };
  type RestRoute = {
    method: 'GET' | 'POST';
    path: (id: string) => string;
    body?: keyof typeof restBodies;
  };
  const restRoutes: RestRoute[] = [
    { method: 'POST', path: () => '/api/v1/conversations', body: 'create' },
    { method: 'GET', path: () => '/api/v1/conversations' },
    { method: 'GET', path: (id) => `/api/v1/conversations/${id}` },
    { method: 'GET', path: (id) => `/api/v1/conversations/${id}/messages` },
    { method: 'POST', path: (id) => `/api/v1/conversations/${id}/messages`, body: 'messages' },
    { method: 'POST', path: (id) => `/api/v1/conversations/${id}/stop`, body: 'stop' },
    { method: 'POST', path: (id) => `/api/v1/conversations/${id}/visitor`, body: 'visitor' },
    { method: 'POST', path: (id) => `/api/v1/conversations/${id}/handoff`, body: 'handoff' },
    { method: 'POST', path: (id) => `/api/v1/conversations/${id}/rating`, body: 'rating' },
    { method: 'POST', path: () => '/api/v1/widget/session', body: 'session' },
    { method: 'POST', path: () => '/api/v1/knowledge/documents', body: 'create' },
  ];

  const restRequest = () =>
    fc.record({
      route: fc.constantFrom(...restRoutes),
      id: fc.oneof(
        fc
          .constantFrom(
            () => visitorConversation,
            () => memberConversation,
          )
          .map((f) => f()),
        fc.uuid({ version: 4 }),
        nastyString(40).map(uriSafe),
      ),
      query: fc.dictionary(
        fc.constantFrom('status', 'cursor', 'limit', 'x', '__proto__'),
        fc.oneof(nastyString(40), fc.integer().map(String), fc.constantFrom('NaN', '1e309', '-0')),
        { maxKeys: 3 },
      ),
      body: fc.oneof(
        { weight: 4, arbitrary: fc.constant(null) }, // filled from the route's shape below
        { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
        { weight: 1, arbitrary: rawFor(undefined) },
      ),
      shaped: fc.nat(),
      json: fc.boolean(),
    });

  const restProperty = (auth: () => Promise<Record<string, string>>) =>
    fc.asyncProperty(
      restRequest().chain((r) =>
        r.body === null && r.route.body
          ? fromSchema(restBodies[r.route.body], {
              uuids: pools.uuids,
              urls: [],
            }).map((v) => ({ ...r, body: JSON.stringify(v) ?? '' }))
          : fc.constant({ ...r, body: r.body ?? '' }),
      ),
      async (r) => {
        const qs = new URLSearchParams(r.query).toString();
        const url = `${r.route.path(r.id)}${qs ? `?${qs}` : ''}`;
        const body =
          r.route.body === 'session' && r.body.includes('widgetKey') && r.shaped % 3 === 0
            ? JSON.stringify({ widgetKey })
            : r.body;
        const reply = await h.app.inject({
          method: r.route.method,
          url,
          headers: {
            ...(await auth()),
            ...(r.json ? { accept: 'application/json' } : {}),
            ...(r.route.method === 'POST' ? { 'content-type': 'application/json' } : {}),
          },
          ...(r.route.method === 'POST' ? { payload: body } : {}),
        });
        await expectSafe({ label: `${r.route.method} ${show(url)} ${show(body)}`, reply });
      },
    );

  describe('REST /api/v1', () => {
    beforeAll(async () => {
      await newVisitor();
      baseline = await fingerprint(h);
    });

    it('with a visitor token', async () => {
      await fc.assert(
        restProperty(async () => visitorHeaders()),
        { ...options, numRuns: RUNS * 4 },
      );
    });

    it('with a session cookie', async () => {
      await fc.assert(
        restProperty(() => cookieHeaders(owner)),
        { ...options, numRuns: RUNS * 4 },
      );
    });

    it('multipart uploads', async () => {
      const upload = fc.record({
        fields: fc.dictionary(
          fc.constantFrom('source', 'title', 'collectionId', 'tags', 'file', 'x'),
          fc.oneof(plausibleString(60), nastyString(60), fc.constantFrom(...pools.uuids)),
          { maxKeys: 4 },
        ),
        name: fc.oneof(plausibleString(40), nastyString(40), fc.constantFrom('a.md', '../../x.md')),
        bytes: fc.oneof(
          fc.uint8Array({ maxLength: 2_000 }),
          plausibleString(200).map((t) => new TextEncoder().encode(`# ${t}\n\n${t}`)),
        ),
        files: fc.integer({ min: 0, max: 2 }),
      });
      await fc.assert(
        fc.asyncProperty(upload, async (u) => {
          const form = new FormData();
          for (const [k, v] of Object.entries(u.fields)) form.append(k, v);
          for (let i = 0; i < u.files; i++)
            form.append('file', new Blob([new Uint8Array(u.bytes)]), u.name);
          const request = new Request('http://x/', { method: 'POST', body: form });
          const reply = await h.app.inject({
            method: 'POST',
            url: '/api/v1/knowledge/documents',
            headers: {
              ...(await cookieHeaders(owner)),
              'content-type': request.headers.get('content-type') ?? '',
            },
            payload: Buffer.from(await request.arrayBuffer()),
          });
          await expectSafe({ label: `multipart ${show(u.fields)} ${show(u.name)}`, reply });
        }),
        options,
      );
    });
  });

  describe('/api/auth bodies', () => {
    const signIn = z.strictObject({
      email: z.email(),
      password: z.string().max(128),
      rememberMe: z.boolean().optional(),
      callbackURL: z.string().optional(),
    });
    const signUp = z.strictObject({
      name: z.string().max(100),
      email: z.email(),
      password: z.string().max(128),
      organizationName: z.string().max(100),
    });
    /**
     * What a refused sign-in may change, by design: the victim's failure count and lock
     * (lockout), and the audit entries of failed sign-ins in their organisations.
     */
    const lockout: Ignore = {
      users: { columns: ['failed_sign_ins', 'locked_until', 'updated_at'] },
      audit_logs: { rows: "x.action like 'auth.%'" },
    };
    let address = 0;

    it.each([
      ['sign-in', '/api/auth/sign-in/email', signIn],
      ['sign-up', '/api/auth/sign-up/email', signUp],
    ] as const)('%s', async (_name, url, schema) => {
      baseline = await fingerprint(h, lockout);
      const body = fc.oneof(
        {
          weight: 4,
          arbitrary: fromSchema(schema, { uuids: [], urls: [] }).map(
            (v) => JSON.stringify(v) ?? '',
          ),
        },
        // The victim's email with a hostile password: the real account's code path.
        {
          weight: 1,
          arbitrary: nastyString(128).map((password) =>
            JSON.stringify({ email: victim.email, password }),
          ),
        },
        { weight: 1, arbitrary: inputFor(undefined, pools).map((v) => JSON.stringify(v) ?? '') },
        { weight: 1, arbitrary: rawFor(schema) },
      );
      await fc.assert(
        fc.asyncProperty(body, fc.boolean(), async (payload, browser) => {
          address++;
          const reply = await h.app.inject({
            method: 'POST',
            url,
            // A fresh client address each time: neither the per-IP limit nor a lock interferes.
            remoteAddress: `10.77.${address >> 8}.${address & 255}`,
            headers: {
              'content-type': 'application/json',
              ...(browser ? { origin: PUBLIC_URL } : {}),
            },
            payload,
          });
          await expectSafe({ label: `${url} ${show(payload)}`, reply }, lockout);
        }),
        { ...options, numRuns: RUNS * 2 },
      );
      // Whatever happened to the victim, the owner still signs in.
      expect((await h.query('users.me', owner.cookie)).status).toBe(200);
    });
  });
});
