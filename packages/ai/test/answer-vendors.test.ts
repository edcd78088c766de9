import { loadConfig } from '@platform/config';
import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import {
  addDocument,
  createKnowledgeService,
  createLocalEmbedder,
  type KnowledgeService,
} from '@platform/knowledge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { saveProviderKey } from '../src/credentials/store.ts';
import { type AiService, createAiService } from '../src/service.ts';
import { type FakeVendors, startFakeVendors } from './fake-vendors.ts';

const DOC =
  '# Opening hours\n\nOur shop is open Monday to Friday from 9am to 6pm. On Saturdays we open at 10am.\n';

describe.each(testDrivers())('answers from hosted models behind the router (%s)', (driver) => {
  let t: TestDatabase;
  let vendors: FakeVendors;
  let ai: AiService;
  let knowledge: KnowledgeService;
  let tenantId: string;
  let otherTenantId: string;
  const embedder = createLocalEmbedder();

  beforeAll(async () => {
    vendors = await startFakeVendors();
    t = await openTestDatabase(driver);
    const rows = await t.ownerQuery<{ id: string }>(
      "insert into tenants (name, slug) values ('v', 'v'), ('w', 'w') returning id",
    );
    tenantId = rows[0]?.id as string;
    otherTenantId = rows[1]?.id as string;
    knowledge = createKnowledgeService(t.db, { embedder, maxUploadBytes: 1e6, pollMs: 20 });
    await knowledge.start();
    await t.db.withTenant(tenantId, (tx) =>
      addDocument(
        tx,
        tenantId,
        { bytes: new TextEncoder().encode(DOC), fileName: 'hours.md', source: 'hours.md' },
        { maxBytes: 1e6 },
      ),
    );
    for (;;) {
      knowledge.nudge();
      const [busy] = await t.ownerQuery<{ n: number }>(
        "select count(*)::int as n from knowledge_documents where status in ('pending','processing')",
      );
      if (!busy?.n) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // The default tiers (gpt-4o-mini, gpt-4o, claude-sonnet-4-5), pointed at the fake vendors.
    const config = loadConfig({
      AI_FIRST_TOKEN_TIMEOUT_MS: '2000',
      AI_TOTAL_TIMEOUT_MS: '10000',
      AI_BREAKER_FAILURES: '5',
      OPENAI_API_KEY: 'platform-openai-key',
      OPENAI_BASE_URL: vendors.baseURLs.openai,
      ANTHROPIC_API_KEY: 'platform-anthropic-key',
      ANTHROPIC_BASE_URL: vendors.baseURLs.anthropic,
      AUTH_SECRET: 'vendor-test-secret-vendor-test-secret',
      ANSWER_CACHE_MIN_SIMILARITY: '1',
    });
    ai = createAiService(t.db, { config, embedder });
  });
  afterAll(async () => {
    await knowledge.stop();
    await ai.stop();
    await t.close();
    await vendors.close();
  });
  beforeEach(() => vendors.reset());

  it('sends the personality prompt with numbered passages to the tier model, and prices its usage', async () => {
    vendors.enqueue('openai', {
      type: 'text',
      text: 'We open at 10am on Saturdays [1].',
      usage: { input: 1200, output: 10, cached: 200 },
    });
    const result = await ai.answerText({
      tenantId,
      question: 'What time do you open on Saturdays?',
    });
    expect(result.text).toBe('We open at 10am on Saturdays [1].');
    expect(result.citations[0]?.title).toBe('hours.md');
    expect([result.provider, result.model, result.tier]).toEqual(['openai', 'gpt-4o-mini', 1]);
    // 1000 uncached * 0.15 + 200 cached * 0.075 + 10 * 0.6 = 150 + 15 + 6
    expect(result.costMicros).toBe(171);
    const [request] = vendors.requests;
    expect(request?.headers.authorization).toBe('Bearer platform-openai-key');
    const body = request?.body as {
      model: string;
      messages: { role: string; content: string }[];
      stream: boolean;
    };
    expect(body.model).toBe('gpt-4o-mini');
    expect(body.stream).toBe(true);
    expect(body.messages[0]?.role).toBe('system');
    expect(body.messages[0]?.content).toContain('[1] hours.md');
    expect(body.messages[0]?.content).toContain('On Saturdays we open at 10am.');
    expect(body.messages.at(-1)).toEqual({
      role: 'user',
      content: 'What time do you open on Saturdays?',
    });
  });

  it('a 429 on the tier model falls back up the chain; both calls are in the ledger and the decision', async () => {
    vendors.enqueue('openai', { type: 'status', status: 429 });
    vendors.enqueue('openai', {
      type: 'text',
      text: 'Ten on Saturdays [1].',
      usage: { input: 100, output: 5 },
    });
    const result = await ai.answerText({ tenantId, question: 'Saturday opening time?' });
    expect(result.text).toBe('Ten on Saturdays [1].');
    expect(result.attempts.map((a) => `${a.ref.model}:${a.outcome}`)).toEqual([
      'gpt-4o-mini:rate_limited',
      'gpt-4o:ok',
    ]);
    const events = await t.ownerQuery<{ model: string; outcome: string }>(
      'select model, outcome from cost_events where routing_decision_id = $1 order by created_at',
      [result.routingDecisionId],
    );
    expect(events).toEqual([
      { model: 'gpt-4o-mini', outcome: 'rate_limited' },
      { model: 'gpt-4o', outcome: 'ok' },
    ]);
    const [decision] = await t.ownerQuery<{ attempts: { outcome: string }[]; model: string }>(
      'select attempts, model from routing_decisions where id = $1',
      [result.routingDecisionId],
    );
    expect(decision?.model).toBe('gpt-4o');
    expect(decision?.attempts.map((a) => a.outcome)).toEqual(['rate_limited', 'ok']);
  });

  it('when every vendor fails, the offline model answers from the passages', async () => {
    vendors.enqueue('openai', { type: 'status', status: 500 }, { type: 'status', status: 500 });
    vendors.enqueue('anthropic', { type: 'status', status: 503 });
    const result = await ai.answerText({ tenantId, question: 'When do you open on Saturdays?' });
    expect(result.provider).toBe('offline');
    expect(result.text).toContain('On Saturdays we open at 10am');
    expect(result.attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'error', 'ok']);
  });

  it("a tenant's own key is used for its calls only", async () => {
    await t.db.withTenant(otherTenantId, (tx) =>
      saveProviderKey(
        tx,
        otherTenantId,
        ai.cipher,
        { provider: 'openai', apiKey: 'tenant-w-own-key', baseUrl: vendors.baseURLs.openai },
        null,
      ),
    );
    vendors.enqueue('openai', { type: 'text', text: 'ok' }, { type: 'text', text: 'ok' });
    await ai.answerText({ tenantId: otherTenantId, question: 'hello there, what can you do?' });
    await ai.answerText({ tenantId, question: 'hello there, what can you do?' });
    expect(vendors.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer tenant-w-own-key',
      'Bearer platform-openai-key',
    ]);
  });
});
