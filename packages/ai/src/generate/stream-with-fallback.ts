import type { LanguageModelV3 } from '@ai-sdk/provider';
import { type ModelMessage, streamText } from 'ai';
import type { ModelRef } from '../providers/model-ref.ts';
import type { CircuitBreakers } from '../router/breaker.ts';
import type { Tier } from '../router/classify.ts';
import {
  type AttemptOutcome,
  AttemptTimeout,
  describeError,
  outcomeOf,
} from './attempt-outcome.ts';

/** One model the answer may come from, in fallback order. */
export interface Candidate {
  ref: ModelRef;
  tier: Tier;
  model: LanguageModelV3;
  /** Circuit-breaker key: the provider endpoint (vendor plus credentials' origin). */
  breakerKey: string;
}

export interface GenerationRequest {
  system: string;
  messages: ModelMessage[];
  temperature: number;
  maxOutputTokens: number;
  /** Passed to every model; the offline model reads its passages from `offline`. */
  providerOptions: Record<string, Record<string, unknown>>;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

export interface Attempt {
  ref: ModelRef;
  tier: Tier;
  outcome: AttemptOutcome | 'skipped';
  latencyMs: number;
  usage: Usage;
  error?: string;
}

export interface Generation {
  text: string;
  /** The attempt that produced the text (undefined when every candidate failed). */
  answered?: Attempt;
  attempts: Attempt[];
  /** The stream broke after text had been sent; the text is partial. */
  truncated: boolean;
}

export interface FallbackOptions {
  breakers: CircuitBreakers;
  firstTokenTimeoutMs: number;
  totalTimeoutMs: number;
  /** The caller went away: stop, and do not fall back. */
  signal?: AbortSignal;
  /** Sees each attempt as it ends (the ledger records every call, failed ones included). */
  onAttempt?: (attempt: Attempt) => Promise<void> | void;
}

const NO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };

/**
 * Streams an answer from the first candidate that works. A provider error, a 429, or no first
 * token in time moves on to the next candidate; a candidate whose circuit is open is skipped.
 * Once text has reached the caller the answer cannot change model, so a later failure ends it
 * as truncated rather than restarting elsewhere.
 */
export async function* streamWithFallback(
  candidates: Candidate[],
  request: GenerationRequest,
  options: FallbackOptions,
): AsyncGenerator<string, Generation> {
  const attempts: Attempt[] = [];
  const record = async (attempt: Attempt) => {
    attempts.push(attempt);
    await options.onAttempt?.(attempt);
  };

  for (const candidate of candidates) {
    if (options.signal?.aborted) break;
    if (!options.breakers.tryAcquire(candidate.breakerKey)) {
      attempts.push({
        ref: candidate.ref,
        tier: candidate.tier,
        outcome: 'skipped',
        latencyMs: 0,
        usage: NO_USAGE,
        error: 'circuit open',
      });
      continue;
    }
    const started = performance.now();
    const controller = new AbortController();
    const abort = (reason: unknown) => controller.abort(reason);
    const onCallerAbort = () => abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const firstToken = setTimeout(
      () => abort(new AttemptTimeout('first-token', options.firstTokenTimeoutMs)),
      options.firstTokenTimeoutMs,
    );
    const total = setTimeout(
      () => abort(new AttemptTimeout('total', options.totalTimeoutMs)),
      options.totalTimeoutMs,
    );
    let text = '';
    let usage = NO_USAGE;
    let failure: unknown;
    try {
      const result = streamText({
        model: candidate.model,
        system: request.system,
        messages: request.messages,
        temperature: request.temperature,
        maxOutputTokens: request.maxOutputTokens,
        providerOptions: request.providerOptions as never,
        maxRetries: 0,
        abortSignal: controller.signal,
        // Errors arrive as stream parts and are handled below; the SDK would also log them.
        onError: () => {},
      });
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta' && part.text) {
          if (!text) clearTimeout(firstToken);
          text += part.text;
          yield part.text;
        } else if (part.type === 'error') {
          throw part.error;
        } else if (part.type === 'abort') {
          throw controller.signal.reason ?? new Error('aborted');
        } else if (part.type === 'finish') {
          usage = {
            inputTokens: part.totalUsage.inputTokens ?? 0,
            outputTokens: part.totalUsage.outputTokens ?? 0,
            cachedInputTokens: part.totalUsage.inputTokenDetails?.cacheReadTokens ?? 0,
          };
        }
      }
    } catch (error) {
      failure = controller.signal.aborted ? (controller.signal.reason ?? error) : error;
    } finally {
      clearTimeout(firstToken);
      clearTimeout(total);
      options.signal?.removeEventListener('abort', onCallerAbort);
    }
    const latencyMs = Math.round(performance.now() - started);
    const callerAborted = Boolean(options.signal?.aborted);
    if (failure === undefined) {
      options.breakers.success(candidate.breakerKey);
      const attempt: Attempt = {
        ref: candidate.ref,
        tier: candidate.tier,
        outcome: 'ok',
        latencyMs,
        usage,
      };
      await record(attempt);
      return { text, answered: attempt, attempts, truncated: false };
    }
    const outcome = outcomeOf(failure, callerAborted);
    if (outcome !== 'aborted') options.breakers.failure(candidate.breakerKey);
    const attempt: Attempt = {
      ref: candidate.ref,
      tier: candidate.tier,
      outcome,
      latencyMs,
      usage,
      error: describeError(failure),
    };
    await record(attempt);
    if (text || callerAborted)
      return { text, answered: text ? attempt : undefined, attempts, truncated: Boolean(text) };
  }
  return { text: '', attempts, truncated: false };
}
