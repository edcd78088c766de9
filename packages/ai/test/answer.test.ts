import { loadConfig } from '@platform/config';
import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import {
  addDocument,
  createKnowledgeService,
  createLocalEmbedder,
  type KnowledgeService,
} from '@platform/knowledge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetExhaustedError } from '../src/input-error.ts';
import { writeBudgetSettings } from '../src/ledger/budget.ts';
import { rollupDay } from '../src/ledger/rollup.ts';
import { defaultPersonality, updatePersonality } from '../src/personalities/store.ts';
import { NO_ANSWER } from '../src/providers/offline/model.ts';
import { type AiService, createAiService } from '../src/service.ts';

const config = loadConfig({
  AI_TIER1_MODELS: 'offline:extractive-v1',
  AI_TIER2_MODELS: 'offline:extractive-v1',
  AI_TIER3_MODELS: 'offline:extractive-v1',
  AUTH_SECRET: 'answer-test-secret-answer-test-secret',
});

const HOURS =
  '# Opening hours\n\nOur shop is open Monday to Friday from 9am to 6pm. On Saturdays we open at 10am and close at 4pm. We are closed on Sundays and public holidays.\n';
const RETURNS =
  '# Returns\n\nYou can return unused items within 30 days of delivery for a full refund. Opened software cannot be returned.\n';

describe.each(testDrivers())('grounded answers, metering and the answer cache (%s)', (driver) => {
  let t: TestDatabase;
  let ai: AiService;
  let knowledge: KnowledgeService;
  let tenantId: string;
  const embedder = createLocalEmbedder();

  const ingest = async (name: string, text: string) => {
    await t.db.withTenant(tenantId, (tx) =>
      addDocument(
        tx,
        tenantId,
        { bytes: new TextEncoder().encode(text), fileName: name, source: name },
        { maxBytes: 1e6 },
      ),
    );
    for (;;) {
      knowledge.nudge();
      const [busy] = await t.ownerQuery<{ n: number }>(
        "select count(*)::int as n from knowledge_documents where status in ('pending','processing')",
      );
      if (!busy?.n) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const zeroBudget = (exhaustedPolicy: 'block' | 'offline') =>
    t.db.withTenant(tenantId, (tx) =>
      writeBudgetSettings(
        tx,
        tenantId,
        {
          monthlyLimitMicros: 0,
          alertThresholds: [50, 100],
          downgradeAtPercent: 90,
          exhaustedPolicy,
        },
        null,
      ),
    );
  const count = async (table: string) =>
    (
      await t.ownerQuery<{ n: number }>(
        `select count(*)::int as n from ${table} where tenant_id = $1`,
        [tenantId],
      )
    )[0]?.n;

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    const [row] = await t.ownerQuery<{ id: string }>(
      "insert into tenants (name, slug) values ('a', 'a') returning id",
    );
    tenantId = row?.id as string;
    knowledge = createKnowledgeService(t.db, { embedder, maxUploadBytes: 1e6, pollMs: 20 });
    await knowledge.start();
    ai = createAiService(t.db, { config, embedder });
    await ingest('hours.md', HOURS);
    await ingest('returns.md', RETURNS);
  });
  afterAll(async () => {
    await knowledge.stop();
    await ai.stop();
    await t.close();
  });

  it('answers from the passages with citations, meters the call and logs the decision', async () => {
    const deltas: string[] = [];
    const gen = ai.answer({ tenantId, question: 'When do you open on Saturdays?' });
    let step = await gen.next();
    while (!step.done) {
      deltas.push(step.value);
      step = await gen.next();
    }
    const result = step.value;
    expect(deltas.length).toBeGreaterThan(3);
    expect(result.text).toContain('On Saturdays we open at 10am');
    expect(result.citations[0]?.title).toBe('hours.md');
    expect(result.cacheHit).toBe(false);
    expect(result.provider).toBe('offline');
    const [event] = await t.ownerQuery<{
      outcome: string;
      cost_micros: string;
      routing_decision_id: string;
      price_version: string;
    }>(
      'select outcome, cost_micros, routing_decision_id, price_version from cost_events where tenant_id = $1',
      [tenantId],
    );
    expect(event?.outcome).toBe('ok');
    expect(Number(event?.cost_micros)).toBe(0);
    expect(event?.routing_decision_id).toBe(result.routingDecisionId);
    const [decision] = await t.ownerQuery<{ reason: string; tier: number; model: string }>(
      'select reason, tier, model from routing_decisions where id = $1',
      [result.routingDecisionId],
    );
    expect(decision?.reason).toMatch(/^tier 1: /);
    expect(decision?.model).toBe('extractive-v1');
  });

  it('reuses the answer for the same question, and not for a different one', async () => {
    const again = await ai.answerText({ tenantId, question: 'When do you open on Saturdays?' });
    expect(again.cacheHit).toBe(true);
    expect(again.costMicros).toBe(0);
    expect(again.text).toContain('10am');
    const other = await ai.answerText({ tenantId, question: 'Can I return opened software?' });
    expect(other.cacheHit).toBe(false);
    expect(other.citations[0]?.title).toBe('returns.md');
  });

  it('never caches an answer that cites nothing', async () => {
    const q = 'Do you sell gift vouchers for weddings?';
    const first = await ai.answerText({ tenantId, question: q });
    expect(first.text).toBe(NO_ANSWER);
    expect(first.citations).toEqual([]);
    expect((await ai.answerText({ tenantId, question: q })).cacheHit).toBe(false);
  });

  it('a personality edit and a knowledge-base change invalidate cached answers', async () => {
    const q = 'What time do you close on Saturdays?';
    await ai.answerText({ tenantId, question: q });
    expect((await ai.answerText({ tenantId, question: q })).cacheHit).toBe(true);
    await t.db.withTenant(tenantId, async (tx) => {
      const p = await defaultPersonality(tx, tenantId);
      await updatePersonality(tx, tenantId, p.id, { tone: 'warm' }, null);
    });
    const afterEdit = await ai.answerText({ tenantId, question: q });
    expect(afterEdit.cacheHit).toBe(false);
    expect(afterEdit.personality.version).toBe(2);
    expect((await ai.answerText({ tenantId, question: q })).cacheHit).toBe(true);
    await ingest(
      'holidays.md',
      '# Holidays\n\nOver the winter holidays the shop closes at 2pm on Saturdays.\n',
    );
    expect((await ai.answerText({ tenantId, question: q })).cacheHit).toBe(false);
  });

  it('a budget of zero with the block policy refuses; the offline policy answers at no cost', async () => {
    await zeroBudget('block');
    await expect(
      ai.answerText({ tenantId, question: 'Where do I send returns?' }),
    ).rejects.toBeInstanceOf(BudgetExhaustedError);
    await zeroBudget('offline');
    const offline = await ai.answerText({ tenantId, question: 'Where do I send returns?' });
    expect(offline.decision.reason).toContain('offline answers only');
    expect(await count('audit_logs')).toBeGreaterThanOrEqual(2);
  });

  it('the roll-up rebuilds daily summaries from the ledger, idempotently', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const events = await count('cost_events');
    await t.db.withTenant(tenantId, (tx) => rollupDay(tx, tenantId, day));
    await t.db.withTenant(tenantId, (tx) => rollupDay(tx, tenantId, day));
    const rows = await t.ownerQuery<{ requests: number; model: string }>(
      'select requests, model from cost_summaries where tenant_id = $1 and day = $2',
      [tenantId, day],
    );
    const hits =
      (
        await t.ownerQuery<{ n: number }>(
          "select count(*)::int as n from cost_events where tenant_id = $1 and outcome = 'cache_hit'",
          [tenantId],
        )
      )[0]?.n ?? 0;
    expect(rows.reduce((s, r) => s + r.requests, 0)).toBe((events ?? 0) - hits);
    expect(new Set(rows.map((r) => r.model))).toEqual(new Set(['extractive-v1']));
  });
});
