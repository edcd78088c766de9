import { describe, expect, it } from 'vitest';
import { CircuitBreakers } from '../src/router/breaker.ts';
import { classify } from '../src/router/classify.ts';
import { route } from '../src/router/route.ts';

describe('complexity classifier', () => {
  it.each([
    ['What are your opening hours?', 1],
    ['hi', 1],
    ['thanks, that is all!', 1],
    ['where can I find your privacy policy', 1],
    ['Compare the Pro and Enterprise plans for a 40-person team that needs SSO', 2],
    ['I get `TypeError: x is undefined` when calling the endpoint', 2],
    ['We have 14 seats on Pro; how much would adding 6 more cost per year?', 2],
    ['My chest hurts and my left arm is numb', 3],
    ['Can I sue you for leaking my data?', 3],
    ['how much ibuprofen can I give my 3 year old?', 3],
    ['I think someone is in my account right now', 3],
  ])('%s -> tier %i', (query, tier) => {
    const c = classify({ query });
    expect(c.tier, c.reason).toBe(tier);
    expect(c.reason).toMatch(new RegExp(`^tier ${tier}: `));
  });

  it('a short follow-up inherits the stakes of the conversation; small talk does not', () => {
    const history = [
      {
        role: 'user' as const,
        content: 'I took two nitroglycerin for chest pain twenty minutes ago',
      },
      { role: 'assistant' as const, content: 'Please call emergency services now.' },
    ];
    expect(classify({ query: 'should I take another one?', history }).tier).toBe(3);
    expect(classify({ query: 'thanks', history }).tier).toBe(1);
    const pricing = [
      { role: 'user' as const, content: 'How much is Pro per seat per month?' },
      { role: 'assistant' as const, content: '$30 per seat.' },
    ];
    const followUp = classify({ query: 'and for 12 seats?', history: pricing });
    expect(followUp.tier).toBe(2);
    expect(followUp.signals.followUp).toBe(true);
  });

  it('poor retrieval confidence nudges a borderline question up, never a greeting', () => {
    const q = 'what about the thing from before with the invoices being split';
    const covered = classify({ query: q, retrievalConfidence: 0.9 });
    const uncovered = classify({ query: q, retrievalConfidence: 0.1 });
    expect(uncovered.score).toBeGreaterThan(covered.score);
    expect(classify({ query: 'hello', retrievalConfidence: 0 }).tier).toBe(1);
  });
});

describe('learned critical detector', () => {
  it('scores stakes it was not given as cues above everyday questions, and only raises tiers', async () => {
    const { criticalProbability } = await import('../src/router/learned.ts');
    const everyday = criticalProbability('Where can I download last month’s invoice?', []);
    const urgent = criticalProbability(
      'my toddler swallowed a button battery a few minutes ago',
      [],
    );
    expect(urgent).toBeGreaterThan(everyday);
    const c = classify({ query: 'Where can I download last month’s invoice?' });
    expect(c.tier).toBe(1);
    expect(c.signals.criticalProbability).toBeLessThan(0.1);
  });
});

describe('route: personality limits and budget', () => {
  const critical = 'Can I sue my landlord for this?';
  it('keeps the tier within the personality limits', () => {
    expect(
      route({ query: 'What are your opening hours?', limits: { minTier: 2, maxTier: 3 } }).tier,
    ).toBe(2);
    const capped = route({ query: critical, limits: { minTier: 1, maxTier: 2 } });
    expect(capped.tier).toBe(2);
    expect(capped.reason).toContain("personality's maximum tier 2");
  });

  it('a nearly exhausted budget downgrades to tier 1; at 100% the policy applies', () => {
    expect(
      route({ query: critical, budget: { state: 'nearly_exhausted', policy: 'block' } }).tier,
    ).toBe(1);
    const blocked = route({ query: critical, budget: { state: 'exhausted', policy: 'block' } });
    expect(blocked.blocked).toBe(true);
    const offline = route({ query: critical, budget: { state: 'exhausted', policy: 'offline' } });
    expect(offline.offlineOnly).toBe(true);
    expect(offline.blocked).toBe(false);
    const tier1 = route({ query: critical, budget: { state: 'exhausted', policy: 'tier1' } });
    expect([tier1.tier, tier1.blocked, tier1.offlineOnly]).toEqual([1, false, false]);
    expect(route({ query: critical, budget: { state: 'ok', policy: 'block' } }).tier).toBe(3);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, admits one trial after the cooldown, closes on success', () => {
    let now = 0;
    const b = new CircuitBreakers({ failures: 2, cooldownMs: 1000, now: () => now });
    expect(b.tryAcquire('x')).toBe(true);
    b.failure('x');
    expect(b.state('x')).toBe('closed');
    b.failure('x');
    expect(b.state('x')).toBe('open');
    expect(b.tryAcquire('x')).toBe(false);
    expect(b.tryAcquire('y')).toBe(true);
    now = 1500;
    expect(b.tryAcquire('x')).toBe(true);
    expect(b.tryAcquire('x')).toBe(false); // one trial at a time
    b.failure('x');
    expect(b.state('x')).toBe('open');
    now = 3000;
    expect(b.tryAcquire('x')).toBe(true);
    b.success('x');
    expect(b.state('x')).toBe('closed');
  });
});
