import { APICallError, generateText, type LanguageModelUsage, streamText } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLanguageModel } from '../src/providers/registry.ts';
import {
  type FakeVendors,
  type RecordedRequest,
  type Reply,
  startFakeVendors,
  type Vendor,
} from './fake-vendors.ts';

/*
 * The contract between createLanguageModel (through the AI SDK) and each vendor's HTTP API:
 * what we send, how the answer, its usage and its failures come back. The vendors are one local
 * server speaking their wire formats (./fake-vendors.ts); nothing of ours is mocked.
 */

const KEY = 'sk-contract-0123456789abcdef';
const SYSTEM = 'Answer in one short sentence.';
const PROMPT = 'What is the capital of France?';
const ANSWER = 'Paris is the capital of France.';
const ANSWER_WORDS = ['Paris', ' is', ' the', ' capital', ' of', ' France.'];
const vendorNames: Vendor[] = ['openai', 'anthropic', 'google', 'compatible'];
const MODELS: Record<Vendor, string> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-sonnet-4-5',
  google: 'gemini-2.5-flash',
  compatible: 'llama3.1:8b',
};

let fake: FakeVendors;
beforeAll(async () => {
  fake = await startFakeVendors();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

function modelFor(vendor: Vendor, model = MODELS[vendor]) {
  return createLanguageModel(
    { provider: vendor, model },
    { apiKey: KEY, baseURL: fake.baseURLs[vendor] },
  );
}

/** The full set of call settings the request assertions look for. */
const call = (vendor: Vendor) =>
  ({
    model: modelFor(vendor),
    system: SYSTEM,
    prompt: PROMPT,
    temperature: 0.3,
    maxOutputTokens: 200,
    maxRetries: 0,
  }) as const;

/** The one request a call made (maxRetries: 0, so a failure is not retried either). */
function onlyRequest(vendor: Vendor): RecordedRequest {
  expect(fake.requests).toHaveLength(1);
  const [request] = fake.requests;
  if (!request) throw new Error('no request recorded');
  expect(request.vendor).toBe(vendor);
  return request;
}

async function streamedText(vendor: Vendor): Promise<{ deltas: string[]; text: string }> {
  const result = streamText(call(vendor));
  const deltas: string[] = [];
  for await (const delta of result.textStream) deltas.push(delta);
  return { deltas, text: await result.text };
}

async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/** streamText does not throw: the failure is an error part (and onError). */
async function streamFailure(vendor: Vendor): Promise<unknown> {
  const reported: unknown[] = [];
  const result = streamText({ ...call(vendor), onError: ({ error }) => void reported.push(error) });
  const parts: unknown[] = [];
  for await (const part of result.fullStream) if (part.type === 'error') parts.push(part.error);
  expect(parts).toHaveLength(1);
  expect(reported).toEqual(parts);
  return parts[0];
}

// ---------------------------------------------------------------------------------------------

interface Wire {
  path(stream: boolean): string;
  query(stream: boolean): Record<string, string>;
  /** Headers that must be sent, and headers that must not. */
  auth: Record<string, string>;
  notSent: string[];
  body(stream: boolean): unknown;
}

const chatCompletions = (prefix: string, model: string): Wire => ({
  path: () => `${prefix}/v1/chat/completions`,
  query: () => ({}),
  auth: { authorization: `Bearer ${KEY}` },
  notSent: ['x-api-key', 'x-goog-api-key', 'anthropic-version'],
  body: (stream) => ({
    model,
    max_tokens: 200,
    temperature: 0.3,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: PROMPT },
    ],
    // Usage is only streamed when asked for.
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  }),
});

const wires: Record<Vendor, Wire> = {
  openai: chatCompletions('/openai', MODELS.openai),
  compatible: chatCompletions('/compat', MODELS.compatible),
  anthropic: {
    path: () => '/anthropic/v1/messages',
    query: () => ({}),
    auth: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    notSent: ['authorization', 'x-goog-api-key'],
    body: (stream) => ({
      model: MODELS.anthropic,
      max_tokens: 200,
      temperature: 0.3,
      system: [{ type: 'text', text: SYSTEM }],
      messages: [{ role: 'user', content: [{ type: 'text', text: PROMPT }] }],
      ...(stream ? { stream: true } : {}),
    }),
  },
  google: {
    path: (stream) =>
      `/google/v1beta/models/${MODELS.google}:${stream ? 'streamGenerateContent' : 'generateContent'}`,
    query: (stream): Record<string, string> => (stream ? { alt: 'sse' } : {}),
    auth: { 'x-goog-api-key': KEY },
    notSent: ['authorization', 'x-api-key'],
    body: () => ({
      generationConfig: { maxOutputTokens: 200, temperature: 0.3 },
      contents: [{ role: 'user', parts: [{ text: PROMPT }] }],
      systemInstruction: { parts: [{ text: SYSTEM }] },
    }),
  },
};

describe.each(vendorNames)('%s', (vendor) => {
  const wire = wires[vendor];

  describe('the request we send', () => {
    it.each([false, true])('stream: %s', async (stream) => {
      const text = stream
        ? (await streamedText(vendor)).text
        : (await generateText(call(vendor))).text;
      expect(text).toBe('ok'); // the fake's answer when nothing is scripted

      const request = onlyRequest(vendor);
      expect(request.method).toBe('POST');
      expect(request.path).toBe(wire.path(stream));
      expect(request.query).toEqual(wire.query(stream));
      expect(request.headers).toMatchObject({ ...wire.auth, 'content-type': 'application/json' });
      for (const header of wire.notSent) expect(request.headers).not.toHaveProperty(header);
      // Model, prompt placement, temperature, the max-tokens field, streaming flags: exactly.
      expect(request.body).toEqual(wire.body(stream));
      // The key travels in a header only, never in a URL that could end up in a log.
      expect(JSON.stringify(request.query)).not.toContain(KEY);
    });
  });

  describe('streamed text', () => {
    it('arrives in several deltas that add up to the answer', async () => {
      fake.enqueue(vendor, { type: 'text', text: ANSWER });
      const { deltas, text } = await streamedText(vendor);
      expect(deltas).toEqual(ANSWER_WORDS);
      expect(text).toBe(ANSWER);
    });

    it('keeps the vendor’s chunking', async () => {
      fake.enqueue(vendor, { type: 'text', text: ANSWER, chunks: 3 });
      const { deltas } = await streamedText(vendor);
      expect(deltas).toHaveLength(3);
      expect(deltas.join('')).toBe(ANSWER);
    });
  });

  describe('usage', () => {
    const scripted: Reply = {
      type: 'text',
      text: ANSWER,
      usage: { input: 1200, output: 9, cached: 1024 },
    };
    const expectUsage = (usage: LanguageModelUsage) =>
      expect(usage).toMatchObject({
        inputTokens: 1200, // cached tokens included, whatever the vendor's own count
        outputTokens: 9,
        totalTokens: 1209,
        inputTokenDetails: { noCacheTokens: 176, cacheReadTokens: 1024 },
        cachedInputTokens: 1024, // the deprecated alias of inputTokenDetails.cacheReadTokens
      });

    it('generateText reads input, output and cached input tokens', async () => {
      fake.enqueue(vendor, scripted);
      const result = await generateText(call(vendor));
      expect(result.text).toBe(ANSWER);
      expectUsage(result.usage);
      expectUsage(result.totalUsage);
    });

    it('streamText reads them from the stream', async () => {
      fake.enqueue(vendor, scripted);
      const result = streamText(call(vendor));
      expect(await result.text).toBe(ANSWER);
      expectUsage(await result.usage);
      expectUsage(await result.totalUsage);
    });
  });

  describe('failures', () => {
    const cases: { status: number; retryable: boolean; headers: Record<string, string> }[] = [
      { status: 429, retryable: true, headers: { 'retry-after': '7' } },
      { status: 500, retryable: true, headers: {} },
      { status: 401, retryable: false, headers: {} },
    ];

    for (const { status, retryable, headers } of cases) {
      const reply: Reply = { type: 'status', status, message: `refused with ${status}`, headers };
      const expectError = (error: unknown) => {
        expect(APICallError.isInstance(error)).toBe(true);
        if (!APICallError.isInstance(error)) return;
        expect(error.statusCode).toBe(status);
        expect(error.isRetryable).toBe(retryable);
        expect(error.message).toBe(`refused with ${status}`); // read from the vendor's error body
        expect(error.responseHeaders).toMatchObject(headers);
        onlyRequest(vendor);
      };

      it(`generateText: ${status} is an APICallError, retryable: ${retryable}`, async () => {
        fake.enqueue(vendor, reply);
        expectError(await rejection(() => generateText(call(vendor))));
      });

      it(`streamText: ${status} is an APICallError, retryable: ${retryable}`, async () => {
        fake.enqueue(vendor, reply);
        expectError(await streamFailure(vendor));
      });
    }
  });

  describe('a vendor that does not answer', () => {
    const isTimeout = (error: unknown) =>
      expect(error).toMatchObject({ name: expect.stringMatching(/^(TimeoutError|AbortError)$/) });

    it('generateText: a hang is cut by the abort signal', async () => {
      fake.enqueue(vendor, { type: 'hang' });
      const error = await rejection(() =>
        generateText({ ...call(vendor), abortSignal: AbortSignal.timeout(300) }),
      );
      isTimeout(error);
      onlyRequest(vendor);
    });

    it('generateText: a body that stops halfway is cut by the abort signal', async () => {
      fake.enqueue(vendor, { type: 'stall', text: ANSWER });
      isTimeout(
        await rejection(() =>
          generateText({ ...call(vendor), abortSignal: AbortSignal.timeout(300) }),
        ),
      );
    });

    it.each([
      { reply: { type: 'hang' } as const, deltas: [] },
      { reply: { type: 'stall', text: 'Paris' } as const, deltas: ['Paris'] },
    ])('streamText: $reply.type ends the stream with an abort', async ({ reply, deltas }) => {
      fake.enqueue(vendor, reply);
      const result = streamText({ ...call(vendor), abortSignal: AbortSignal.timeout(300) });
      const seen: string[] = [];
      const types: string[] = [];
      for await (const part of result.fullStream) {
        types.push(part.type);
        if (part.type === 'text-delta') seen.push(part.text);
      }
      expect(seen).toEqual(deltas);
      expect(types.at(-1)).toBe('abort');
      isTimeout(await rejection(() => Promise.resolve(result.text)));
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('vendor specifics', () => {
  it('OpenAI reasoning models get max_completion_tokens, a developer message and no temperature', async () => {
    const logWarnings = globalThis.AI_SDK_LOG_WARNINGS;
    globalThis.AI_SDK_LOG_WARNINGS = false; // the warning is asserted below, not printed
    const result = await generateText({
      ...call('openai'),
      model: modelFor('openai', 'gpt-5-mini'),
    }).finally(() => {
      globalThis.AI_SDK_LOG_WARNINGS = logWarnings;
    });
    const { body } = onlyRequest('openai');
    expect(body).toEqual({
      model: 'gpt-5-mini',
      max_completion_tokens: 200,
      messages: [
        { role: 'developer', content: SYSTEM },
        { role: 'user', content: PROMPT },
      ],
    });
    expect(result.warnings).toContainEqual(
      expect.objectContaining({ type: 'unsupported', feature: 'temperature' }),
    );
  });

  it('Anthropic, when no output limit is given, asks for the model’s maximum', async () => {
    await generateText({ model: modelFor('anthropic'), prompt: PROMPT, maxRetries: 0 });
    const { body } = onlyRequest('anthropic');
    expect(body).toMatchObject({ max_tokens: 64_000 }); // the SDK's table for claude-sonnet-4-5
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('system');
  });

  it('Anthropic 529 (overloaded) is retryable', async () => {
    fake.enqueue('anthropic', { type: 'status', status: 529 });
    const error = await rejection(() => generateText(call('anthropic')));
    expect(error).toMatchObject({ statusCode: 529, isRetryable: true, message: 'Overloaded' });
  });

  it('a compatible server without a key gets no authorization header', async () => {
    const result = await generateText({
      ...call('compatible'),
      model: createLanguageModel(
        { provider: 'compatible', model: MODELS.compatible },
        { baseURL: fake.baseURLs.compatible },
      ),
    });
    expect(result.text).toBe('ok');
    expect(onlyRequest('compatible').headers).not.toHaveProperty('authorization');
  });

  it('a compatible model needs a base URL', () => {
    expect(() => createLanguageModel({ provider: 'compatible', model: 'llama3.1:8b' }, {})).toThrow(
      /base URL/,
    );
  });
});

describe('the fake itself', () => {
  it('close() ends a request left hanging', async () => {
    const own = await startFakeVendors();
    own.enqueue('openai', { type: 'hang' });
    const model = createLanguageModel(
      { provider: 'openai', model: MODELS.openai },
      { apiKey: KEY, baseURL: own.baseURLs.openai },
    );
    const pending = rejection(() => generateText({ model, prompt: PROMPT, maxRetries: 0 }));
    await vi.waitFor(() => expect(own.requests).toHaveLength(1));
    await own.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('replies are consumed in order per vendor, then the default answer', async () => {
    fake.enqueue('google', { type: 'text', text: 'first' }, { type: 'text', text: 'second' });
    fake.enqueue('openai', { type: 'text', text: 'other vendor' });
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) texts.push((await generateText(call('google'))).text);
    expect(texts).toEqual(['first', 'second', 'ok']);
    expect((await generateText(call('openai'))).text).toBe('other vendor');
  });
});
