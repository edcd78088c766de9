import { streamText } from 'ai';
import { describe, expect, it } from 'vitest';
import { KeyCipher } from '../src/credentials/cipher.ts';
import { costMicros, priceOf } from '../src/pricing.ts';
import { extractAnswer } from '../src/providers/offline/extract.ts';
import { NO_ANSWER, offlineModel } from '../src/providers/offline/model.ts';

const passages = [
  {
    title: 'Opening hours',
    text: 'Our support team is available Monday to Friday. Phone lines open at 8am and close at 6pm Central European Time. On public holidays the office is closed.',
  },
  {
    title: 'Returns',
    text: 'You can return unused items within 30 days of delivery. Opened software cannot be returned.',
  },
];

describe('offline model', () => {
  it('quotes the sentences that answer the question, with citations', () => {
    const answer = extractAnswer('When do your phone lines open and close?', passages);
    expect(answer.text).toContain('Phone lines open at 8am and close at 6pm');
    expect(answer.text).toContain('[1]');
    expect(answer.cited).toEqual([1]);
    expect(extractAnswer('How many days do I have to return an item?', passages).text).toMatch(
      /30 days .*\[2\]/,
    );
  });

  it('says plainly when the passages hold no answer', () => {
    expect(extractAnswer('Do you sell gift cards?', passages).text).toBe('');
    expect(extractAnswer('anything', []).text).toBe('');
  });

  it('streams deterministically through the AI SDK and reports usage', async () => {
    const run = async (question: string) => {
      const result = streamText({
        model: offlineModel(),
        prompt: question,
        providerOptions: { offline: { passages } },
      });
      const deltas: string[] = [];
      for await (const d of result.textStream) deltas.push(d);
      return { deltas, usage: await result.usage };
    };
    const a = await run('When do the phone lines open?');
    const b = await run('When do the phone lines open?');
    expect(a.deltas.length).toBeGreaterThan(3);
    expect(a.deltas.join('')).toBe(b.deltas.join(''));
    expect(a.usage.outputTokens).toBeGreaterThan(0);
    expect((await run('Do you sell gift cards?')).deltas.join('')).toBe(NO_ANSWER);
  });
});

describe('pricing', () => {
  it('prices in integer micro-dollars from the versioned table', () => {
    const mini = priceOf({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(mini.known).toBe(true);
    expect(
      costMicros(mini.price, { inputTokens: 500, outputTokens: 500, cachedInputTokens: 0 }),
    ).toBe(375);
    const gpt4o = priceOf({ provider: 'openai', model: 'gpt-4o' }).price;
    // 1,000 cached of 2,000 input at half price: 1000*5 + 1000*2.5 + 100*15
    expect(
      costMicros(gpt4o, { inputTokens: 2000, outputTokens: 100, cachedInputTokens: 1000 }),
    ).toBe(9000);
    expect(priceOf({ provider: 'openai', model: 'no-such-model' }).known).toBe(false);
    expect(priceOf({ provider: 'offline', model: 'x' }).price.output).toBe(0);
  });
});

describe('provider key cipher', () => {
  it('round-trips, and a ciphertext moved to another tenant does not decrypt', () => {
    const cipher = new KeyCipher('a-secret-that-is-long-enough-for-tests');
    const sealed = cipher.encrypt('sk-test-1234', 'tenant-a:openai');
    expect(sealed).not.toContain('sk-test');
    expect(cipher.decrypt(sealed, 'tenant-a:openai')).toBe('sk-test-1234');
    expect(() => cipher.decrypt(sealed, 'tenant-b:openai')).toThrow();
    expect(() =>
      new KeyCipher('another-secret-that-is-long-enough').decrypt(sealed, 'tenant-a:openai'),
    ).toThrow();
  });
});
