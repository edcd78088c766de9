import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEmbedder, type EmbedderOptions, EmbeddingError } from '@platform/knowledge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/*
 * Voyage AI and OpenAI, faked at the HTTP boundary: one local server that speaks both wire
 * formats and refuses what the real APIs refuse (wrong key, unknown model, bad dimensions,
 * empty strings, too many inputs).
 */

const KEY = 'sk-test-0123456789abcdef';
const VOYAGE_MAX_INPUTS = 128; // the reference has said 128 and, later, 1,000: the stricter one
const OPENAI_MAX_INPUTS = 2048;

/** The fake's vector for a text: a spike at a position derived from the text, not normalised. */
function fakeVector(text: string, scale = 1): number[] {
  let h = 0;
  for (const c of text) h = (h * 31 + (c.codePointAt(0) ?? 0)) >>> 0;
  const v = Array.from({ length: 1024 }, (_, i) => ((i * 7 + h) % 13) / 1000);
  v[h % 1024] = 1;
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => (x / n) * scale);
}

type Seen = { path: string; auth: string | undefined; body: Record<string, unknown> };
type Fault = 'rate-limit' | 'server-error' | 'wrong-dimensions' | 'hang' | 'key-in-error';

const seen: Seen[] = [];
let faults: Fault[] = [];

function send(res: ServerResponse, status: number, body: unknown, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const isTextList = (input: unknown): input is string[] =>
  Array.isArray(input) && input.every((t) => typeof t === 'string' && t.length > 0);

async function handle(req: IncomingMessage, res: ServerResponse) {
  const body = await readBody(req);
  const path = req.url ?? '';
  const voyage = path === '/voyage/v1/embeddings';
  const openai = path === '/openai/v1/embeddings';
  seen.push({ path, auth: req.headers.authorization, body });
  const error = (status: number, message: string) =>
    voyage
      ? send(res, status, { detail: message })
      : send(res, status, {
          error: { message, type: 'invalid_request_error', param: null, code: null },
        });

  if (req.method !== 'POST' || (!voyage && !openai)) return error(404, 'Not found');
  if (req.headers.authorization !== `Bearer ${KEY}`) {
    // OpenAI echoes (part of) the key it was given.
    return error(401, `Incorrect API key provided: ${req.headers.authorization?.slice(7)}.`);
  }
  const fault = faults.shift();
  if (fault === 'hang') return; // never answers
  if (fault === 'rate-limit')
    return send(res, 429, { detail: 'Rate limit' }, { 'retry-after': '0' });
  if (fault === 'server-error') return error(500, 'Internal server error');
  if (fault === 'key-in-error') return error(400, `Request rejected for key ${KEY}`);

  const { input, model } = body;
  if (!isTextList(input)) return error(400, 'input must be a non-empty list of non-empty strings');
  let vectors: number[][];
  if (voyage) {
    if (input.length > VOYAGE_MAX_INPUTS)
      return error(
        400,
        `The batch size limit is ${VOYAGE_MAX_INPUTS}. Your batch size is ${input.length}.`,
      );
    if (model !== 'voyage-3' && model !== 'voyage-3.5')
      return error(400, `Model ${String(model)} is not supported.`);
    if (![undefined, null, 'query', 'document'].includes(body.input_type as string))
      return error(400, 'input_type must be query, document or null');
    const flexible = model === 'voyage-3.5';
    const dims = body.output_dimension;
    if (
      dims !== undefined &&
      dims !== null &&
      (!flexible || ![256, 512, 1024, 2048].includes(dims as number))
    )
      return error(400, `output_dimension ${String(dims)} is not supported by ${model}`);
    vectors = input.map((t) => fakeVector(`${String(body.input_type)}:${t}`));
  } else {
    if (input.length > OPENAI_MAX_INPUTS)
      return error(400, `'$.input' is invalid: array too long (max ${OPENAI_MAX_INPUTS})`);
    if (model !== 'text-embedding-3-small')
      return error(404, `The model ${String(model)} does not exist`);
    if (
      !Number.isInteger(body.dimensions) ||
      (body.dimensions as number) < 1 ||
      (body.dimensions as number) > 1536
    )
      return error(400, 'dimensions must be between 1 and 1536');
    if (
      body.encoding_format !== undefined &&
      !['float', 'base64'].includes(body.encoding_format as string)
    )
      return error(400, 'encoding_format must be float or base64');
    // Not quite unit length: the client re-normalises.
    vectors = input.map((t) => fakeVector(t, 1.5));
  }
  if (fault === 'wrong-dimensions') vectors = vectors.map((v) => v.slice(0, 1000));
  const data = vectors.map((embedding, index) => ({ object: 'embedding', embedding, index }));
  // OpenAI documents no ordering of `data`: hand it back reversed so the client must sort.
  if (openai) data.reverse();
  send(res, 200, {
    object: 'list',
    data,
    model,
    usage: voyage
      ? { total_tokens: input.length * 10 }
      : { prompt_tokens: input.length * 10, total_tokens: input.length * 10 },
  });
}

let server: Server;
let origin = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
  faults = [];
});

const fast = { retryBaseMs: 1, timeoutMs: 5_000 };
const voyage = (extra: Partial<EmbedderOptions> = {}) =>
  createEmbedder({
    provider: 'voyage',
    apiKey: KEY,
    baseUrl: `${origin}/voyage/v1`,
    ...fast,
    ...extra,
  });
const openai = (extra: Partial<EmbedderOptions> = {}) =>
  createEmbedder({
    provider: 'openai',
    apiKey: KEY,
    baseUrl: `${origin}/openai/v1/`,
    ...fast,
    ...extra,
  });
const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
/** Largest componentwise difference (re-normalising moves the last bits). */
const gap = (a: number[] | undefined, b: number[]) =>
  Math.max(...b.map((x, i) => Math.abs(x - (a?.[i] ?? Number.NaN))));
const texts = (n: number) => Array.from({ length: n }, (_, i) => `passage number ${i}`);

describe('the fake vendors', () => {
  it('refuse what the real APIs refuse', async () => {
    const post = (path: string, body: unknown, key = KEY) =>
      fetch(`${origin}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.status);
    expect(await post('/voyage/v1/embeddings', { input: texts(129), model: 'voyage-3' })).toBe(400);
    expect(
      await post('/voyage/v1/embeddings', {
        input: ['a'],
        model: 'voyage-3',
        output_dimension: 1024,
      }),
    ).toBe(400);
    expect(
      await post('/openai/v1/embeddings', {
        input: texts(2049),
        model: 'text-embedding-3-small',
        dimensions: 1024,
      }),
    ).toBe(400);
    expect(
      await post('/openai/v1/embeddings', {
        input: [''],
        model: 'text-embedding-3-small',
        dimensions: 1024,
      }),
    ).toBe(400);
    expect(
      await post(
        '/openai/v1/embeddings',
        { input: ['a'], model: 'text-embedding-3-small', dimensions: 1024 },
        'nope',
      ),
    ).toBe(401);
  });
});

describe('Voyage embedder', () => {
  it('sends the documented request and returns unit vectors in input order, batched under the limit', async () => {
    const embedder = voyage();
    expect(embedder.model).toBe('voyage/voyage-3');
    expect(embedder.dimensions).toBe(1024);
    const input = texts(300);
    const vectors = await embedder.embed(input, 'document');
    expect(vectors).toHaveLength(300);
    vectors.forEach((v, i) => {
      expect(v).toHaveLength(1024);
      expect(norm(v)).toBeCloseTo(1, 9);
      expect(gap(v, fakeVector(`document:${input[i]}`))).toBeLessThan(1e-12);
    });
    expect(seen.map((s) => (s.body.input as string[]).length)).toEqual([128, 128, 44]);
    for (const s of seen) {
      expect(s.path).toBe('/voyage/v1/embeddings');
      expect(s.auth).toBe(`Bearer ${KEY}`);
      expect(s.body).toMatchObject({ model: 'voyage-3', input_type: 'document' });
      expect(s.body).not.toHaveProperty('output_dimension'); // voyage-3 is 1024-d natively
    }
  });

  it('embeds queries as queries, and asks flexible models for 1024 dimensions', async () => {
    const [v] = await voyage({ model: 'voyage-3.5' }).embed(['where are the logs?'], 'query');
    expect(gap(v, fakeVector('query:where are the logs?'))).toBeLessThan(1e-12);
    expect(seen[0]?.body).toMatchObject({
      model: 'voyage-3.5',
      input_type: 'query',
      output_dimension: 1024,
    });
  });

  it('splits by estimated tokens as well as by count', async () => {
    const long = 'x'.repeat(400_000); // ~130k estimated tokens each: one per request
    await voyage().embed([long, long, 'short'], 'document');
    expect(seen.map((s) => (s.body.input as string[]).length)).toEqual([1, 2]);
  });

  it('retries a 429 after its Retry-After, once, and succeeds', async () => {
    faults = ['rate-limit'];
    const vectors = await voyage().embed(['a', 'b'], 'document');
    expect(vectors).toHaveLength(2);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.body).toEqual(seen[0]?.body);
  });

  it('reports a vendor 400 without retrying', async () => {
    const error = await voyage({ model: 'voyage-nope' })
      .embed(['a'], 'document')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect(error).toMatchObject({ provider: 'voyage', reason: 'rejected', status: 400 });
    expect((error as Error).message).toContain('Model voyage-nope is not supported');
    expect(seen).toHaveLength(1);
  });
});

describe('OpenAI embedder', () => {
  it('sends model, dimensions 1024 and float encoding; sorts by index and re-normalises', async () => {
    const embedder = openai();
    expect(embedder.model).toBe('openai/text-embedding-3-small');
    const input = texts(5);
    const vectors = await embedder.embed(input, 'query');
    vectors.forEach((v, i) => {
      expect(norm(v)).toBeCloseTo(1, 9);
      expect(gap(v, fakeVector(input[i] ?? ''))).toBeLessThan(1e-12);
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.body).toEqual({
      input,
      model: 'text-embedding-3-small',
      dimensions: 1024,
      encoding_format: 'float',
    });
    expect(seen[0]?.auth).toBe(`Bearer ${KEY}`);
  });

  it('batches by its batch size', async () => {
    const embedder = openai();
    await embedder.embed(texts(embedder.batchSize + 1), 'document');
    expect(seen.map((s) => (s.body.input as string[]).length)).toEqual([embedder.batchSize + 1]);
  });

  it('gives up after the last attempt on persistent 5xx', async () => {
    faults = ['server-error', 'server-error', 'server-error'];
    const error = await openai({ maxAttempts: 3 })
      .embed(['a'], 'document')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'EmbeddingError', reason: 'unavailable', status: 500 });
    expect(seen).toHaveLength(3);
  });

  it('throws when a vector does not have 1024 dimensions', async () => {
    faults = ['wrong-dimensions'];
    await expect(openai().embed(['a'], 'document')).rejects.toMatchObject({
      reason: 'bad_response',
      message: expect.stringContaining('1000 dimensions'),
    });
  });
});

describe('failures', () => {
  it('a refused key is an auth error whose message never contains the key, and is not retried', async () => {
    const badKey = 'sk-wrong-key-4242424242';
    for (const provider of ['voyage', 'openai'] as const) {
      seen.length = 0;
      const embedder = createEmbedder({
        provider,
        apiKey: badKey,
        baseUrl: `${origin}/${provider}/v1`,
        ...fast,
      });
      const error = await embedder.embed(['a'], 'document').catch((e: unknown) => e);
      expect(error).toMatchObject({
        name: 'EmbeddingError',
        provider,
        reason: 'auth',
        status: 401,
      });
      expect(String((error as Error).message)).not.toContain(badKey);
      expect(JSON.stringify(error)).not.toContain(badKey);
      expect(seen).toHaveLength(1);
    }
  });

  it('scrubs the key from a vendor message that quotes it', async () => {
    faults = ['key-in-error'];
    const error = await openai()
      .embed(['a'], 'document')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'rejected', status: 400 });
    expect((error as Error).message).toContain('[redacted]');
    expect((error as Error).message).not.toContain(KEY);
  });

  it('times out a request that never answers, retries it, then reports the provider unavailable', async () => {
    faults = ['hang', 'hang'];
    const error = await voyage({ timeoutMs: 200, maxAttempts: 2 })
      .embed(['a'], 'document')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      reason: 'unavailable',
      message: expect.stringContaining('no response'),
    });
    expect(seen).toHaveLength(2);
  });

  it("stops at once when the caller's signal aborts", async () => {
    faults = ['hang'];
    const controller = new AbortController();
    const pending = openai().embed(['a'], 'document', controller.signal);
    setTimeout(() => controller.abort(new Error('shutting down')), 50);
    await expect(pending).rejects.toThrow('shutting down');
    expect(seen).toHaveLength(1);
  });

  it('reports an unreachable endpoint as unavailable after its attempts', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const embedder = createEmbedder({
      provider: 'openai',
      apiKey: KEY,
      baseUrl: `http://127.0.0.1:${port}/v1`,
      ...fast,
      maxAttempts: 2,
    });
    await expect(embedder.embed(['a'], 'document')).rejects.toMatchObject({
      reason: 'unavailable',
    });
  });

  it('refuses empty texts before any request', async () => {
    await expect(voyage().embed(['ok', ''], 'document')).rejects.toMatchObject({
      reason: 'invalid_input',
    });
    await expect(openai().embed([' \n'], 'query')).rejects.toMatchObject({
      reason: 'invalid_input',
    });
    expect(seen).toHaveLength(0);
  });

  it('needs an API key for a remote provider', () => {
    expect(() => createEmbedder({ provider: 'voyage' })).toThrow(/VOYAGE_API_KEY/);
    expect(() => createEmbedder({ provider: 'openai', apiKey: ' ' })).toThrow(EmbeddingError);
    expect(createEmbedder({ provider: 'local' }).model).toBe('local-sg100d-v1');
  });
});
