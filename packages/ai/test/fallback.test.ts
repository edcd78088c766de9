import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Candidate, streamWithFallback } from '../src/generate/stream-with-fallback.ts';
import type { ModelRef } from '../src/providers/model-ref.ts';
import { OFFLINE_MODEL } from '../src/providers/offline/model.ts';
import { createLanguageModel } from '../src/providers/registry.ts';
import { CircuitBreakers } from '../src/router/breaker.ts';
import { fallbackOrder } from '../src/service.ts';
import { type FakeVendors, startFakeVendors, type Vendor } from './fake-vendors.ts';

let vendors: FakeVendors;
beforeAll(async () => {
  vendors = await startFakeVendors();
});
afterAll(() => vendors.close());
beforeEach(() => vendors.reset());

const candidate = (provider: Vendor, model: string, tier: 1 | 2 | 3): Candidate => ({
  ref: { provider, model },
  tier,
  model: createLanguageModel(
    { provider, model },
    { apiKey: 'test-key', baseURL: vendors.baseURLs[provider] },
  ),
  breakerKey: provider,
});
const offline: Candidate = {
  ref: { provider: 'offline', model: OFFLINE_MODEL },
  tier: 1,
  model: createLanguageModel({ provider: 'offline', model: OFFLINE_MODEL }),
  breakerKey: 'offline',
};
const request = {
  system: 'You answer from passages.',
  messages: [{ role: 'user' as const, content: 'When are you open?' }],
  temperature: 0.2,
  maxOutputTokens: 200,
  providerOptions: {
    offline: { passages: [{ title: 'Hours', text: 'We are open from 9am to 5pm on weekdays.' }] },
  },
};

async function run(
  candidates: Candidate[],
  breakers = new CircuitBreakers({ failures: 3, cooldownMs: 60_000 }),
  firstTokenTimeoutMs = 5000,
  totalTimeoutMs = 30_000,
) {
  const seen: string[] = [];
  const gen = streamWithFallback(candidates, request, {
    breakers,
    firstTokenTimeoutMs,
    totalTimeoutMs,
    onAttempt: (a) => {
      seen.push(`${a.ref.provider}:${a.outcome}`);
    },
  });
  let text = '';
  let step = await gen.next();
  while (!step.done) {
    text += step.value;
    step = await gen.next();
  }
  return { ...step.value, streamed: text, seen };
}

describe('fallback chain', () => {
  it('moves on after a 429 and a 500, and meters each attempt', async () => {
    vendors.enqueue('openai', { type: 'status', status: 429, headers: { 'retry-after': '1' } });
    vendors.enqueue('anthropic', { type: 'status', status: 500 });
    vendors.enqueue('google', {
      type: 'text',
      text: 'Open nine to five.',
      usage: { input: 40, output: 5, cached: 8 },
    });
    const result = await run([
      candidate('openai', 'gpt-4o', 2),
      candidate('anthropic', 'claude-sonnet-4-5', 3),
      candidate('google', 'gemini-2.5-flash', 1),
    ]);
    expect(result.seen).toEqual(['openai:rate_limited', 'anthropic:error', 'google:ok']);
    expect(result.text).toBe('Open nine to five.');
    expect(result.streamed).toBe(result.text);
    expect(result.answered?.usage).toEqual({
      inputTokens: 40,
      outputTokens: 5,
      cachedInputTokens: 8,
    });
    expect(vendors.requests.map((r) => r.vendor)).toEqual(['openai', 'anthropic', 'google']);
    expect(result.attempts[0]?.error).toContain('429');
  });

  it('falls back when the first token does not come in time', async () => {
    vendors.enqueue('openai', { type: 'hang' });
    const result = await run([candidate('openai', 'gpt-4o', 2), offline], undefined, 300);
    expect(result.seen).toEqual(['openai:timeout', 'offline:ok']);
    expect(result.text).toContain('9am to 5pm');
  });

  it('a stream that breaks after text was sent ends truncated instead of switching model', async () => {
    vendors.enqueue('openai', { type: 'stall', text: 'We are open' });
    const result = await run([candidate('openai', 'gpt-4o', 2), offline], undefined, 5000, 500);
    expect(result.seen).toEqual(['openai:timeout']);
    expect(result.truncated).toBe(true);
    expect(result.text).toBe('We are open');
  });

  it('skips a provider whose circuit is open, and tries it again after the cooldown', async () => {
    let now = 0;
    const breakers = new CircuitBreakers({ failures: 2, cooldownMs: 10_000, now: () => now });
    for (let i = 0; i < 2; i++) {
      vendors.enqueue('openai', { type: 'status', status: 500 });
      await run([candidate('openai', 'gpt-4o', 2), offline], breakers);
    }
    expect(breakers.state('openai')).toBe('open');
    const skipped = await run([candidate('openai', 'gpt-4o', 2), offline], breakers);
    expect(skipped.attempts[0]?.outcome).toBe('skipped');
    expect(vendors.requests).toHaveLength(2);
    now = 20_000;
    vendors.enqueue('openai', { type: 'text', text: 'Back again.' });
    const recovered = await run([candidate('openai', 'gpt-4o', 2), offline], breakers);
    expect(recovered.text).toBe('Back again.');
    expect(breakers.state('openai')).toBe('closed');
  });
});

describe('fallback order', () => {
  const chains: Record<1 | 2 | 3, ModelRef[]> = {
    1: [{ provider: 'openai', model: 'gpt-4o-mini' }],
    2: [
      { provider: 'openai', model: 'gpt-4o' },
      { provider: 'compatible', model: 'llama3.1' },
    ],
    3: [{ provider: 'anthropic', model: 'claude-sonnet-4-5' }],
  };
  it('tries the tier, then stronger tiers, then cheaper ones, then offline; unreachable models are left out', () => {
    const all = fallbackOrder(2, chains, () => true).map((c) => `${c.ref.provider}:${c.ref.model}`);
    expect(all).toEqual([
      'openai:gpt-4o',
      'compatible:llama3.1',
      'anthropic:claude-sonnet-4-5',
      'openai:gpt-4o-mini',
      `offline:${OFFLINE_MODEL}`,
    ]);
    const noKeys = fallbackOrder(3, chains, (ref) => ref.provider === 'compatible');
    expect(noKeys.map((c) => c.ref.provider)).toEqual(['compatible', 'offline']);
  });
});
