import { EmbeddingError, type EmbeddingErrorReason, type EmbeddingProvider } from './errors.ts';
import { EMBEDDING_DIMENSIONS } from './types.ts';
import { emptyTextIndex, normalizeInPlace } from './vector.ts';

/**
 * What the Voyage and OpenAI embedders share: one JSON POST with a per-attempt timeout, bounded
 * retries (429, 5xx, network errors, timeouts) with exponential backoff and jitter that honour
 * Retry-After, token-aware batching, and strict checks of the vectors that come back.
 */

export type RemoteEmbedderOptions = {
  apiKey: string;
  /** API root including the version, e.g. `https://api.openai.com/v1`; `/embeddings` is appended. */
  baseUrl?: string;
  model?: string;
  /** Per-attempt timeout (default 60 s). */
  timeoutMs?: number;
  /** Attempts per request, the first included (default 4). */
  maxAttempts?: number;
  /** First backoff delay; doubles on each retry, with jitter (default 1 s). */
  retryBaseMs?: number;
  /** The longest Retry-After honoured; a longer one fails the call at once (default 60 s). */
  maxRetryAfterMs?: number;
};

type Request = {
  provider: EmbeddingProvider;
  url: string;
  apiKey: string;
  body: unknown;
  signal?: AbortSignal | undefined;
};

const MAX_BACKOFF_MS = 30_000;

/** Removes the key (and anything shaped like a vendor key) from text that may be logged. */
export function scrub(text: string, apiKey: string): string {
  let out = text;
  if (apiKey) out = out.split(apiKey).join('[redacted]');
  return out.replace(/\b(?:sk|pa)-[\w*.-]{6,}/g, '[redacted]');
}

/** The vendor's own error message, if its body has one (OpenAI: error.message, Voyage: detail). */
function vendorMessage(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { error?: { message?: unknown }; detail?: unknown };
    const message = json.error?.message ?? json.detail;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/** Milliseconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date). */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const retryable = (status: number) => status === 429 || status === 408 || status >= 500;

/** POSTs JSON and returns the parsed 2xx body, retrying what is worth retrying. */
export async function postJson(request: Request, options: RemoteEmbedderOptions): Promise<unknown> {
  const { provider, url, apiKey, signal } = request;
  const attempts = Math.max(1, options.maxAttempts ?? 4);
  const base = options.retryBaseMs ?? 1000;
  const maxRetryAfter = options.maxRetryAfterMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const payload = JSON.stringify(request.body);
  let last: { reason: EmbeddingErrorReason; message: string; status?: number; cause?: unknown } = {
    reason: 'unavailable',
    message: 'no attempt made',
  };

  for (let attempt = 1; attempt <= attempts; attempt++) {
    signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    let wait: number | undefined;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: payload,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const text = await response.text();
      if (response.ok) {
        try {
          return JSON.parse(text) as unknown;
        } catch (cause) {
          throw new EmbeddingError(
            provider,
            'bad_response',
            `${provider}: the response is not JSON (HTTP ${response.status})`,
            response.status,
            { cause },
          );
        }
      }
      const status = response.status;
      if (status === 401 || status === 403)
        throw new EmbeddingError(
          provider,
          'auth',
          `${provider}: the API key was refused (HTTP ${status}); check it and its permissions`,
          status,
        );
      const detail = vendorMessage(text);
      const said = detail ? `: ${scrub(detail, apiKey).slice(0, 300)}` : '';
      if (!retryable(status))
        throw new EmbeddingError(
          provider,
          'rejected',
          `${provider}: HTTP ${status}${said}`,
          status,
        );
      last = {
        reason: status === 429 ? 'rate_limited' : 'unavailable',
        message: `${provider}: HTTP ${status}${said}`,
        status,
      };
      wait = retryAfterMs(response.headers);
      if (wait !== undefined && wait > maxRetryAfter)
        throw new EmbeddingError(
          provider,
          last.reason,
          `${last.message} (retry after ${Math.ceil(wait / 1000)} s, longer than we wait)`,
          status,
        );
    } catch (error) {
      if (error instanceof EmbeddingError) throw error;
      if (signal?.aborted) throw signal.reason;
      // Network failure or this attempt's timeout: worth another try.
      const timedOut = timeout.aborted;
      last = {
        reason: 'unavailable',
        message: timedOut
          ? `${provider}: no response within ${timeoutMs} ms`
          : `${provider}: request failed (${scrub(error instanceof Error ? error.message : String(error), apiKey)})`,
        cause: error,
      };
    }
    if (attempt < attempts) {
      const backoff = Math.min(MAX_BACKOFF_MS, base * 2 ** (attempt - 1));
      await sleep(wait ?? backoff * (0.5 + Math.random() / 2), signal);
    }
  }
  throw new EmbeddingError(
    provider,
    last.reason,
    `${last.message} (gave up after ${attempts} attempts)`,
    last.status,
    last.cause === undefined ? undefined : { cause: last.cause },
  );
}

/**
 * The vectors of an OpenAI-style `{ data: [{ embedding, index }] }` body, in input order,
 * re-normalised; anything else is a bad response.
 */
export function readVectors(provider: EmbeddingProvider, body: unknown, count: number): number[][] {
  const bad = (why: string) =>
    new EmbeddingError(provider, 'bad_response', `${provider}: unexpected response (${why})`);
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw bad('no data array');
  if (data.length !== count) throw bad(`${data.length} embeddings for ${count} inputs`);
  const out = new Array<number[] | undefined>(count);
  for (const item of data as { embedding?: unknown; index?: unknown }[]) {
    const { embedding, index } = item ?? {};
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count)
      throw bad('an embedding has no valid index');
    if (out[index]) throw bad(`index ${index} twice`);
    if (!Array.isArray(embedding)) throw bad(`embedding ${index} is not an array`);
    if (embedding.length !== EMBEDDING_DIMENSIONS)
      throw bad(
        `embedding ${index} has ${embedding.length} dimensions, not ${EMBEDDING_DIMENSIONS}`,
      );
    if (!embedding.every((x) => typeof x === 'number' && Number.isFinite(x)))
      throw bad(`embedding ${index} has a non-numeric value`);
    const vector = embedding as number[];
    if (!normalizeInPlace(vector)) throw bad(`embedding ${index} is all zeros`);
    out[index] = vector;
  }
  return out as number[][];
}

/**
 * A cautious token count: ~3 characters per token for ASCII (English runs ~4, code ~3) and one
 * per other character (CJK is about one token each). Over-estimating only makes batches smaller.
 */
export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 3 + other);
}

/** The longest prefix of `text` whose estimate stays within `maxTokens`. */
export function truncateToTokens(text: string, maxTokens: number): string {
  if (estimateTokens(text) <= maxTokens) return text;
  let tokens = 0;
  for (let i = 0; i < text.length; i++) {
    tokens += text.charCodeAt(i) < 128 ? 1 / 3 : 1;
    if (tokens > maxTokens) return text.slice(0, i);
  }
  return text;
}

/** Splits `texts` into consecutive batches of at most `maxInputs` texts and ~`maxTokens` tokens. */
export function planBatches(texts: string[], maxInputs: number, maxTokens: number): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let tokens = 0;
  for (const text of texts) {
    const cost = estimateTokens(text);
    if (current.length && (current.length >= maxInputs || tokens + cost > maxTokens)) {
      batches.push(current);
      current = [];
      tokens = 0;
    }
    current.push(text);
    tokens += cost;
  }
  if (current.length) batches.push(current);
  return batches;
}

/** `https://host/v1/` -> `https://host/v1/embeddings`. */
export const embeddingsUrl = (baseUrl: string) => `${baseUrl.replace(/\/+$/, '')}/embeddings`;

/** Throws a config error unless there is a key. */
export function requireKey(provider: EmbeddingProvider, apiKey: string | undefined): string {
  if (!apiKey?.trim())
    throw new EmbeddingError(provider, 'config', `${provider} embedder: an API key is required`);
  return apiKey.trim();
}

/**
 * The request loop both vendors share: refuse empty texts (both answer 400 to them), split
 * into batches under the per-request input and token caps, POST each with retries, and read
 * the vectors back in order. `body` builds one vendor request from a batch.
 */
export async function embedInBatches(
  call: {
    provider: EmbeddingProvider;
    url: string;
    apiKey: string;
    maxInputs: number;
    tokenBudget: number;
    body: (batch: string[]) => unknown;
  },
  texts: string[],
  options: RemoteEmbedderOptions,
  signal?: AbortSignal,
): Promise<number[][]> {
  const { provider, url, apiKey } = call;
  const empty = emptyTextIndex(texts);
  if (empty >= 0)
    throw new EmbeddingError(provider, 'invalid_input', `${provider}: text ${empty} is empty`);
  const out: number[][] = [];
  for (const batch of planBatches(texts, call.maxInputs, call.tokenBudget)) {
    const json = await postJson({ provider, url, apiKey, body: call.body(batch), signal }, options);
    out.push(...readVectors(provider, json, batch.length));
  }
  return out;
}
