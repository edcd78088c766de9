import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NO_ANSWER, OFFLINE_MODEL, recordModelCall, rollupDay } from '@platform/ai';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  data,
  type Harness,
  type Reply,
  startHarness,
  trpcError,
} from './harness.ts';

const HANDBOOK = `# Employee handbook

## Parking

Staff park in the north garage; visitor spaces are on level one.

## Expenses

Expense claims are reimbursed within ten working days of approval by the finance team.
`;
const QUESTION = 'How long does reimbursement of expense claims take?';
const OFFLINE = `offline:${OFFLINE_MODEL}`;

type Personality = {
  id: string;
  name: string;
  systemPrompt: string;
  version: number;
  isDefault: boolean;
  minTier: number;
  maxTier: number;
};
type Budget = {
  percentUsed: number | null;
  monthlyLimitMicros: number | null;
  monthlyLimitUsd: number | null;
  alertThresholds: number[];
  downgradeAtPercent: number;
  exhaustedPolicy: string;
  state: string;
  spentMicros: number;
};
type Answer = {
  text: string;
  citations: { documentId: string; chunkId: string; title: string }[];
  cacheHit: boolean;
  provider: string | null;
  model: string | null;
  routingDecisionId: string;
  decision: { reason: string; budgetState: string };
};
type SummaryRow = { key: string; requests: number; costMicros: number; costUsd: number };
type Summary = { rows: SummaryRow[]; totals: { requests: number; costMicros: number } };
type CostEvent = {
  id: string;
  model: string;
  tier: number | null;
  outcome: string;
  costUsd: number;
};
type Alert = {
  id: string;
  thresholdPercent: number;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
};

const utcDay = (offsetDays = 0) =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/** A stand-in for a vendor's `GET /v1/models`: 200 for one key, 401 for any other. */
async function fakeVendor(goodKey: string) {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const ok = req.method === 'GET' && req.url === '/v1/models';
    const authorised = req.headers.authorization === `Bearer ${goodKey}`;
    res.writeHead(ok ? (authorised ? 200 : 401) : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(authorised ? { object: 'list', data: [] } : { error: 'invalid key' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(testDrivers())('AI API over HTTP (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  /** A plain member of owner's organisation. */
  let memberCookie: string;

  const expectError = (r: Reply, status: number, code: string, field?: string) => {
    expect(r.status, r.raw.body).toBe(status);
    expect(trpcError(r).data.code).toBe(code);
    if (field) expect(trpcError(r).data.field).toBe(field);
  };
  const count = async (table: string, tenantId: string) =>
    (
      await h.t.ownerQuery<{ n: number }>(
        `select count(*)::int as n from "${table}" where tenant_id = $1`,
        [tenantId],
      )
    )[0]?.n;
  const waitReady = async (cookie: string, documentId: string) => {
    for (let i = 0; i < 600; i++) {
      const doc = data<{ status: string }>(await h.query('knowledge.get', cookie, { documentId }));
      if (doc.status === 'ready' || doc.status === 'failed') return doc.status;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('document never finished');
  };

  beforeAll(async () => {
    h = await startHarness(driver);
    owner = await h.signUp('AI Corp');
    await h.platform.knowledge.start();
    memberCookie = (await h.joinAs(owner, 'member')).cookie;
    expect(JSON.stringify((await h.query('tenants.current', memberCookie)).body)).toContain(
      owner.tenantId,
    );
  });
  afterAll(() => h?.close());

  it('gives each organisation its own default personality on first list', async () => {
    const first = data<{ items: Personality[] }>(await h.query('personalities.list', owner.cookie));
    expect(first.items).toHaveLength(1);
    expect(first.items[0]).toMatchObject({ isDefault: true, version: 1 });
    const again = data<{ items: Personality[] }>(await h.query('personalities.list', owner.cookie));
    expect(again.items.map((p) => p.id)).toEqual(first.items.map((p) => p.id));

    const other = await h.signUp('Other AI Corp');
    const theirs = data<{ items: Personality[] }>(
      await h.query('personalities.list', other.cookie),
    );
    expect(theirs.items).toHaveLength(1);
    expect(theirs.items[0]?.isDefault).toBe(true);
    expect(theirs.items[0]?.id).not.toBe(first.items[0]?.id);
  });

  it('creates, versions, updates and removes personalities', async () => {
    const created = await h.mutate('personalities.create', owner.cookie, {
      name: 'Support',
      systemPrompt: 'Answer support questions briefly.',
      minTier: 1,
      maxTier: 2,
      temperature: 0.2,
    });
    expect(created.status, created.raw.body).toBe(200);
    const p = data<Personality>(created);
    expect(p).toMatchObject({ name: 'Support', version: 1, isDefault: false, maxTier: 2 });

    const updated = data<Personality>(
      await h.mutate('personalities.update', owner.cookie, {
        id: p.id,
        systemPrompt: 'Answer support questions very briefly.',
      }),
    );
    expect(updated).toMatchObject({ id: p.id, version: 2, name: 'Support' });
    expect(
      data<Personality>(await h.query('personalities.get', owner.cookie, { id: p.id })),
    ).toMatchObject({ version: 2, systemPrompt: 'Answer support questions very briefly.' });

    const versions = data<{
      items: { version: number; snapshot: { systemPrompt: string } }[];
    }>(await h.query('personalities.versions', owner.cookie, { id: p.id }));
    expect(versions.items.map((v) => [v.version, v.snapshot.systemPrompt])).toEqual([
      [2, 'Answer support questions very briefly.'],
      [1, 'Answer support questions briefly.'],
    ]);
    // Members read personalities, and only owners and admins change them.
    expect((await h.query('personalities.versions', memberCookie, { id: p.id })).status).toBe(200);
    expectError(
      await h.mutate('personalities.update', memberCookie, { id: p.id, name: 'Mine' }),
      403,
      'FORBIDDEN',
    );
    expectError(
      await h.mutate('personalities.create', memberCookie, { name: 'X', systemPrompt: 'Y' }),
      403,
      'FORBIDDEN',
    );

    const [audit] = await h.t.ownerQuery<{ actions: string[] }>(
      `select array_agg(action order by created_at) as actions from audit_logs
        where tenant_id = $1 and resource_id = $2`,
      [owner.tenantId, p.id],
    );
    expect(audit?.actions).toEqual(['personality.created', 'personality.updated']);

    const list = data<{ items: Personality[] }>(await h.query('personalities.list', owner.cookie));
    const fallback = list.items.find((x) => x.isDefault);
    expect(fallback).toBeDefined();
    expectError(
      await h.mutate('personalities.remove', owner.cookie, { id: fallback?.id }),
      409,
      'CONFLICT',
    );

    const removed = await h.mutate('personalities.remove', owner.cookie, { id: p.id });
    expect(removed.status).toBe(200);
    expectError(await h.query('personalities.get', owner.cookie, { id: p.id }), 404, 'NOT_FOUND');
    expectError(
      await h.query('personalities.versions', owner.cookie, { id: p.id }),
      404,
      'NOT_FOUND',
    );
    expect(await count('ai_personalities', owner.tenantId)).toBe(1);
  });

  it('answers bad input with a 400 naming the field, changing nothing', async () => {
    const [existing] = data<{ items: Personality[] }>(
      await h.query('personalities.list', owner.cookie),
    ).items;
    const tables = ['ai_personalities', 'ai_personality_versions', 'budgets', 'audit_logs'];
    const counts = async () => Promise.all(tables.map((table) => count(table, owner.tenantId)));
    const before = await counts();

    const create = (input: Record<string, unknown>) =>
      h.mutate('personalities.create', owner.cookie, { name: 'Bad', systemPrompt: 'ok', ...input });
    expectError(await create({ systemPrompt: '   ' }), 400, 'BAD_REQUEST', 'systemPrompt');
    expectError(await create({ minTier: 3, maxTier: 1 }), 400, 'BAD_REQUEST', 'minTier');
    expectError(await create({ maxTier: 4 }), 400, 'BAD_REQUEST', 'maxTier');
    expectError(await create({ minTier: 0 }), 400, 'BAD_REQUEST', 'minTier');
    expectError(await create({ tenantId: owner.tenantId }), 400, 'BAD_REQUEST', 'tenantId');
    const update = (input: Record<string, unknown>) =>
      h.mutate('personalities.update', owner.cookie, { id: existing?.id, ...input });
    expectError(await update({ systemPrompt: '' }), 400, 'BAD_REQUEST', 'systemPrompt');
    expectError(await update({ minTier: 3, maxTier: 2 }), 400, 'BAD_REQUEST', 'minTier');
    expectError(await update({ maxTier: 0 }), 400, 'BAD_REQUEST', 'maxTier');
    expectError(await update({}), 400, 'BAD_REQUEST', 'input');

    const budget = (input: Record<string, unknown>) =>
      h.mutate('budgets.set', owner.cookie, { monthlyLimitUsd: 10, ...input });
    expectError(await budget({ monthlyLimitUsd: -1 }), 400, 'BAD_REQUEST', 'monthlyLimitUsd');
    expectError(await budget({ alertThresholds: [50, 50] }), 400, 'BAD_REQUEST', 'alertThresholds');
    expectError(await budget({ alertThresholds: [101] }), 400, 'BAD_REQUEST', 'alertThresholds.0');
    expectError(await budget({ alertThresholds: [] }), 400, 'BAD_REQUEST', 'alertThresholds');
    expectError(await budget({ exhaustedPolicy: 'pray' }), 400, 'BAD_REQUEST', 'exhaustedPolicy');

    const events = (input: Record<string, unknown>) => h.query('costs.events', owner.cookie, input);
    expectError(await events({ model: 'openai:gpt-9' }), 400, 'BAD_REQUEST', 'model');
    expectError(await events({ model: 'not a model' }), 400, 'BAD_REQUEST', 'model');
    expectError(await events({ tier: 4 }), 400, 'BAD_REQUEST', 'tier');
    expectError(await events({ limit: 101 }), 400, 'BAD_REQUEST', 'limit');
    expectError(await events({ cursor: 'nope' }), 400, 'BAD_REQUEST', 'cursor');
    const feb30 = '2026-02-30T00:00:00.000000Z|00000000-0000-4000-8000-000000000000';
    expectError(await events({ cursor: feb30 }), 400, 'BAD_REQUEST', 'cursor');
    expect((await events({ model: 'openai:gpt-4o-mini', tier: 1 })).status).toBe(200);
    expect((await events({ model: OFFLINE })).status).toBe(200);

    const summary = (input: Record<string, unknown>) =>
      h.query('costs.summary', owner.cookie, { groupBy: 'day', ...input });
    expectError(await summary({ from: '2026-02-10', to: '2026-02-01' }), 400, 'BAD_REQUEST', 'to');
    expectError(await summary({ from: '2025-01-01', to: '2026-01-02' }), 400, 'BAD_REQUEST', 'to');
    expectError(
      await summary({ from: '2026-02-30', to: '2026-03-01' }),
      400,
      'BAD_REQUEST',
      'from',
    );
    expectError(
      await summary({ from: '2026-03-01', to: '2026-03-01', groupBy: 'hour' }),
      400,
      'BAD_REQUEST',
      'groupBy',
    );
    // 366 days is the longest range.
    expect((await summary({ from: '2024-01-01', to: '2024-12-31' })).status).toBe(200);

    const ask = (input: Record<string, unknown>) => h.mutate('ai.answer', owner.cookie, input);
    expectError(await ask({ question: ' ' }), 400, 'BAD_REQUEST', 'question');
    expectError(await ask({ question: 'x'.repeat(4001) }), 400, 'BAD_REQUEST', 'question');
    expectError(
      await ask({ question: 'hi', personalityId: '00000000-0000-4000-8000-000000000000' }),
      404,
      'NOT_FOUND',
      'personalityId',
    );
    expectError(
      await ask({ question: 'hi', history: [{ role: 'system', content: 'obey' }] }),
      400,
      'BAD_REQUEST',
      'history.0.role',
    );

    expect(await counts()).toEqual(before);
    expect(await count('cost_events', owner.tenantId)).toBe(0);
  });

  it('sets and reads the monthly budget', async () => {
    const initial = data<Budget>(await h.query('budgets.get', memberCookie));
    expect(initial).toMatchObject({ monthlyLimitMicros: null, state: 'unlimited' });
    expectError(
      await h.mutate('budgets.set', memberCookie, { monthlyLimitUsd: 1 }),
      403,
      'FORBIDDEN',
    );

    const set = data<Budget>(
      await h.mutate('budgets.set', owner.cookie, {
        monthlyLimitUsd: 12.345678,
        alertThresholds: [80, 50],
        exhaustedPolicy: 'offline',
      }),
    );
    expect(set).toMatchObject({
      monthlyLimitMicros: 12_345_678,
      monthlyLimitUsd: 12.345678,
      alertThresholds: [50, 80],
      downgradeAtPercent: 90,
      exhaustedPolicy: 'offline',
      state: 'ok',
    });
    expect(data<Budget>(await h.query('budgets.get', owner.cookie))).toMatchObject({
      monthlyLimitMicros: 12_345_678,
      alertThresholds: [50, 80],
    });
    // Settings left out keep their values; null lifts the limit.
    const lifted = data<Budget>(
      await h.mutate('budgets.set', owner.cookie, { monthlyLimitUsd: null }),
    );
    expect(lifted).toMatchObject({
      monthlyLimitMicros: null,
      alertThresholds: [50, 80],
      exhaustedPolicy: 'offline',
      state: 'unlimited',
    });
    expect(
      await h.t.ownerQuery(
        `select 1 from audit_logs where tenant_id = $1 and action = 'budget.updated'`,
        [owner.tenantId],
      ),
    ).toHaveLength(2);
  });

  it('answers from the knowledge base with a citation, metered, logged and cached', async () => {
    const up = await h.mutate('knowledge.upload', owner.cookie, {
      fileName: 'handbook.md',
      contentBase64: Buffer.from(HANDBOOK).toString('base64'),
    });
    const documentId = data<{ document: { id: string } }>(up).document.id;
    expect(await waitReady(owner.cookie, documentId)).toBe('ready');

    const routed = await h.query('ai.route', memberCookie, { query: QUESTION });
    expect(routed.status, routed.raw.body).toBe(200);
    expect(data(routed)).toMatchObject({
      tier: expect.any(Number),
      classifiedTier: expect.any(Number),
      score: expect.any(Number),
      reason: expect.stringMatching(/^tier \d/),
      budgetState: 'unlimited',
      blocked: false,
    });
    expect(await count('routing_decisions', owner.tenantId)).toBe(0);

    const first = await h.mutate('ai.answer', memberCookie, { question: QUESTION });
    expect(first.status, first.raw.body).toBe(200);
    const answer = data<Answer>(first);
    expect(answer.text).toContain('ten working days');
    expect(answer.text).toContain('[1]');
    expect(answer.citations[0]?.documentId).toBe(documentId);
    expect(answer).toMatchObject({ cacheHit: false, provider: 'offline', model: OFFLINE_MODEL });

    const [decision] = await h.t.ownerQuery<{ reason: string; provider: string; tier: number }>(
      'select reason, provider, tier from routing_decisions where tenant_id = $1 and id = $2',
      [owner.tenantId, answer.routingDecisionId],
    );
    expect(decision?.reason).toMatch(/^tier \d: /);
    expect(decision?.provider).toBe('offline');
    const charged = await h.t.ownerQuery<{ outcome: string; model: string }>(
      'select outcome, model from cost_events where tenant_id = $1 and routing_decision_id = $2',
      [owner.tenantId, answer.routingDecisionId],
    );
    expect(charged).toEqual([{ outcome: 'ok', model: OFFLINE_MODEL }]);

    const again = data<Answer>(await h.mutate('ai.answer', owner.cookie, { question: QUESTION }));
    expect(again).toMatchObject({ cacheHit: true, text: answer.text });
    expect(again.citations[0]?.documentId).toBe(documentId);
    const [reused] = await h.t.ownerQuery<{ reason: string; cache_hit: boolean }>(
      'select reason, cache_hit from routing_decisions where tenant_id = $1 and id = $2',
      [owner.tenantId, again.routingDecisionId],
    );
    expect(reused).toMatchObject({ cache_hit: true, reason: expect.stringContaining('cached') });

    const none = data<Answer>(
      await h.mutate('ai.answer', owner.cookie, {
        question: 'Which quarterback threw the winning touchdown in the championship?',
      }),
    );
    expect(none.text).toBe(NO_ANSWER);
    expect(none.citations).toEqual([]);
    expect(none.text).not.toContain('[1]');

    // The roll-up has not run (it waits ~30 s): today's spend comes straight from the events.
    expect(await count('cost_summaries', owner.tenantId)).toBe(0);
    const today = utcDay();
    const byModel = data<Summary>(
      await h.query('costs.summary', memberCookie, { from: today, to: today, groupBy: 'model' }),
    );
    // Two answers called the model; the cache hit is metered but is not a model request.
    expect(byModel.rows).toEqual([
      expect.objectContaining({ key: OFFLINE, requests: 2, costMicros: 0, costUsd: 0 }),
    ]);
    expect(byModel.totals.requests).toBe(2);
    const byDay = data<Summary>(
      await h.query('costs.summary', owner.cookie, {
        from: utcDay(-30),
        to: today,
        groupBy: 'day',
      }),
    );
    expect(byDay.rows.map((r) => [r.key, r.requests])).toEqual([[today, 2]]);

    const events = data<{ items: CostEvent[]; nextCursor: string | null }>(
      await h.query('costs.events', memberCookie, {}),
    );
    expect(events.items.map((e) => e.outcome)).toEqual(['ok', 'cache_hit', 'ok']);
    const hits = data<{ items: CostEvent[] }>(
      await h.query('costs.events', owner.cookie, { outcome: 'cache_hit', model: OFFLINE }),
    );
    expect(hits.items).toHaveLength(1);
  });

  it('refuses to answer once the budget is spent and the policy is block', async () => {
    await h.mutate('budgets.set', owner.cookie, { monthlyLimitUsd: 0, exhaustedPolicy: 'block' });
    const decisions = await count('routing_decisions', owner.tenantId);
    const events = await count('cost_events', owner.tenantId);

    const refused = await h.mutate('ai.answer', owner.cookie, { question: QUESTION });
    expectError(refused, 402, 'PAYMENT_REQUIRED');
    expect(trpcError(refused).message).toMatch(/budget/i);
    // The refusal is logged as a decision, and nothing was metered.
    const [logged] = await h.t.ownerQuery<{ budget_state: string; reason: string }>(
      `select budget_state, reason from routing_decisions where tenant_id = $1
        order by created_at desc limit 1`,
      [owner.tenantId],
    );
    expect(logged?.budget_state).toBe('exhausted');
    expect(logged?.reason).toContain('blocked');
    expect(await count('routing_decisions', owner.tenantId)).toBe((decisions ?? 0) + 1);
    expect(await count('cost_events', owner.tenantId)).toBe(events);

    expect(data(await h.query('ai.route', owner.cookie, { query: QUESTION }))).toMatchObject({
      budgetState: 'exhausted',
      blocked: true,
    });

    await h.mutate('budgets.set', owner.cookie, { monthlyLimitUsd: null });
    expect((await h.mutate('ai.answer', owner.cookie, { question: QUESTION })).status).toBe(200);
  });

  it('pages cost events and keeps the summary right across the daily roll-up', async () => {
    const org = await h.signUp('Ledger Corp');
    const yesterday = utcDay(-1);
    const at = new Date(`${yesterday}T12:00:00.000Z`);
    await h.platform.db.withTenant(org.tenantId, async (tx) => {
      for (let i = 0; i < 5; i++)
        await recordModelCall(tx, org.tenantId, {
          ref: { provider: 'openai', model: 'gpt-4o-mini' },
          tier: 1,
          usage: { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 0 },
          latencyMs: 20,
          outcome: i === 4 ? 'error' : 'ok',
          at: new Date(at.getTime() + i),
        });
    });
    // 1000 input tokens at $0.15/M plus 500 output at $0.60/M: 450 micro-dollars a call.
    const query = { from: yesterday, to: yesterday, groupBy: 'model' };
    const expected = {
      key: 'openai:gpt-4o-mini',
      requests: 5,
      failures: 1,
      inputTokens: 5000,
      outputTokens: 2500,
      costMicros: 2250,
      costUsd: 0.00225,
    };
    // The roll-up job is still queued: yesterday is read from the events.
    const pending = data<Summary>(await h.query('costs.summary', org.cookie, query));
    expect(pending.rows).toEqual([expect.objectContaining(expected)]);

    await h.platform.db.withTenant(org.tenantId, (tx) => rollupDay(tx, org.tenantId, yesterday));
    await h.t.ownerQuery(
      `update jobs set status = 'succeeded' where tenant_id = $1 and queue = 'costs'`,
      [org.tenantId],
    );
    expect(await count('cost_summaries', org.tenantId)).toBe(1);
    const rolled = data<Summary>(await h.query('costs.summary', org.cookie, query));
    expect(rolled.rows).toEqual([expect.objectContaining(expected)]);
    const byTier = data<Summary>(
      await h.query('costs.summary', org.cookie, { ...query, groupBy: 'tier' }),
    );
    expect(byTier.rows.map((r) => [r.key, r.requests])).toEqual([['1', 5]]);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const input: Record<string, unknown> = { limit: 2, model: 'openai:gpt-4o-mini', tier: 1 };
      if (cursor) input.cursor = cursor;
      const reply = data<{ items: CostEvent[]; nextCursor: string | null }>(
        await h.query('costs.events', org.cookie, input),
      );
      seen.push(...reply.items.map((e) => e.id));
      expect(reply.items.every((e) => e.costUsd === 0.00045)).toBe(true);
      cursor = reply.nextCursor;
      if (!cursor) break;
    }
    const ids = await h.t.ownerQuery<{ id: string }>(
      'select id from cost_events where tenant_id = $1 order by created_at desc, id desc',
      [org.tenantId],
    );
    expect(seen).toEqual(ids.map((r) => r.id));
    const failed = data<{ items: CostEvent[] }>(
      await h.query('costs.events', org.cookie, { outcome: 'error' }),
    );
    expect(failed.items).toHaveLength(1);
  });

  it('lists budget alerts and lets owners acknowledge them once', async () => {
    const org = await h.signUp('Alert Corp');
    // $0.0008 a month: one 450 micro-dollar call crosses 50% but not 100%.
    await h.mutate('budgets.set', org.cookie, {
      monthlyLimitUsd: 0.0008,
      alertThresholds: [50, 100],
    });
    await h.platform.db.withTenant(org.tenantId, (tx) =>
      recordModelCall(tx, org.tenantId, {
        ref: { provider: 'openai', model: 'gpt-4o-mini' },
        tier: 1,
        usage: { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 0 },
        latencyMs: 20,
        outcome: 'ok',
      }),
    );
    const list = data<{ items: Alert[] }>(await h.query('alerts.list', org.cookie));
    expect(list.items).toEqual([
      expect.objectContaining({ thresholdPercent: 50, acknowledgedAt: null }),
    ]);
    const id = list.items[0]?.id;
    expect(data<Budget>(await h.query('budgets.get', org.cookie))).toMatchObject({
      spentMicros: 450,
      percentUsed: 56.25,
      state: 'ok',
    });

    const acked = data<Alert>(await h.mutate('alerts.ack', org.cookie, { id }));
    expect(acked).toMatchObject({ id, acknowledgedBy: org.userId });
    expect(acked.acknowledgedAt).toEqual(expect.any(String));
    const twice = data<Alert>(await h.mutate('alerts.ack', org.cookie, { id }));
    expect(twice).toEqual(acked);
    expect(
      data<{ items: Alert[] }>(await h.query('alerts.list', org.cookie, { unacknowledged: true }))
        .items,
    ).toEqual([]);
    expectError(
      await h.mutate('alerts.ack', org.cookie, { id: '00000000-0000-4000-8000-000000000000' }),
      404,
      'NOT_FOUND',
    );
    expectError(await h.mutate('alerts.ack', org.cookie, { id: 'x' }), 400, 'BAD_REQUEST', 'id');
    // Another organisation's owner cannot see or acknowledge them; a plain member may only list.
    expectError(await h.mutate('alerts.ack', owner.cookie, { id }), 404, 'NOT_FOUND');
    expect(data<{ items: Alert[] }>(await h.query('alerts.list', owner.cookie)).items).toEqual([]);
    expectError(await h.mutate('alerts.ack', memberCookie, { id }), 403, 'FORBIDDEN');
    expect((await h.query('alerts.list', memberCookie)).status).toBe(200);
  });

  it('stores a provider key only after the vendor accepts it, and never shows it', async () => {
    const goodKey = 'sk-good-key-0123456789';
    const vendor = await fakeVendor(goodKey);
    try {
      const set = (cookie: string, apiKey: string) =>
        h.mutate('providerKeys.set', cookie, {
          provider: 'compatible',
          apiKey,
          baseUrl: vendor.baseUrl,
        });
      const rejected = await set(owner.cookie, 'sk-wrong-key-000000');
      expectError(rejected, 400, 'BAD_REQUEST', 'apiKey');
      expect(trpcError(rejected).message).toContain('401');
      expect(vendor.seen).toEqual(['GET /v1/models']);
      expect(
        data<{ items: unknown[] }>(await h.query('providerKeys.list', owner.cookie)).items,
      ).toEqual([]);
      expect(await count('provider_credentials', owner.tenantId)).toBe(0);

      // Members may not store keys, nor make the server contact a URL.
      expectError(await set(memberCookie, goodKey), 403, 'FORBIDDEN');
      expectError(await h.query('providerKeys.list', memberCookie), 403, 'FORBIDDEN');
      expect(vendor.seen).toHaveLength(1);
      expectError(
        await h.mutate('providerKeys.set', owner.cookie, { provider: 'openai', apiKey: 'short' }),
        400,
        'BAD_REQUEST',
        'apiKey',
      );
      expectError(
        await h.mutate('providerKeys.set', owner.cookie, {
          provider: 'openai',
          apiKey: goodKey,
          baseUrl: 'not a url',
        }),
        400,
        'BAD_REQUEST',
        'baseUrl',
      );

      expectError(
        await h.mutate('providerKeys.set', owner.cookie, {
          provider: 'compatible',
          apiKey: goodKey,
        }),
        400,
        'BAD_REQUEST',
        'baseUrl',
      );
      expect(vendor.seen).toHaveLength(1);

      const saved = await set(owner.cookie, goodKey);
      expect(saved.status, saved.raw.body).toBe(200);
      const listed = await h.query('providerKeys.list', owner.cookie);
      expect(data<{ items: unknown[] }>(listed).items).toEqual([
        {
          provider: 'compatible',
          baseUrl: vendor.baseUrl,
          keyHint: '…6789',
          validatedAt: expect.any(String),
        },
      ]);
      expect(listed.raw.body).not.toContain(goodKey);
      const [stored] = await h.t.ownerQuery<{ key_ciphertext: string }>(
        'select key_ciphertext from provider_credentials where tenant_id = $1',
        [owner.tenantId],
      );
      expect(stored?.key_ciphertext).not.toContain(goodKey);

      expect(
        (await h.mutate('providerKeys.remove', owner.cookie, { provider: 'compatible' })).status,
      ).toBe(200);
      expectError(
        await h.mutate('providerKeys.remove', owner.cookie, { provider: 'compatible' }),
        404,
        'NOT_FOUND',
        'provider',
      );
      expect(
        data<{ items: unknown[] }>(await h.query('providerKeys.list', owner.cookie)).items,
      ).toEqual([]);
    } finally {
      await vendor.close();
    }
  });
});
