import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, data, type Harness, startHarness } from './harness.ts';

/**
 * ai.answer and ai.route. Covered elsewhere: input limits and `system` turns in the history
 * (ai-api.e2e), another tenant's personality and knowledge (cross-tenant), the budget (ai-api).
 * Here: the answer cache, which a question asked word for word by another organisation must
 * never reach.
 */
const SECRET = 'heron-7731';
const QUESTION = 'What is the code of the vault in the basement?';

type Answer = { text: string; cacheHit: boolean; citations: { documentId: string }[] };

describe.each(testDrivers())('ai security (%s)', (driver) => {
  let h: Harness;
  let a: Account;
  let b: Account;
  let documentId = '';

  beforeAll(async () => {
    h = await startHarness(driver);
    a = await h.signUp('Vault Owners');
    b = await h.signUp('Curious Neighbours');
    documentId = await h.ingest(
      a.cookie,
      'vault.md',
      `# Vault\n\nThe code of the vault in the basement is ${SECRET}. Change it every quarter.`,
    );
  }, 120_000);
  afterAll(() => h?.close());

  const ask = async (who: Account) => {
    const r = await h.mutate('ai.answer', who.cookie, { question: QUESTION });
    expect(r.status, r.raw.body).toBe(200);
    return { answer: data<Answer>(r), body: r.raw.body };
  };

  it('never serves one organisation’s cached answer to another asking the same words', async () => {
    const first = await ask(a);
    expect(first.body).toContain(SECRET);
    expect(first.answer.citations.map((c) => c.documentId)).toContain(documentId);
    // The cache works for A…
    expect((await ask(a)).answer.cacheHit).toBe(true);
    // …and is A's alone.
    for (let i = 0; i < 2; i++) {
      const other = await ask(b);
      expect(other.answer.cacheHit).toBe(false);
      expect(other.body).not.toContain(SECRET);
      expect(other.body).not.toContain(documentId);
    }
    const routed = await h.query('ai.route', b.cookie, { query: QUESTION });
    expect(routed.status).toBe(200);
    expect(routed.raw.body).not.toContain(documentId);
  });
});
