import { ForbiddenAddressError } from '@platform/config';
import type { ProviderName } from '../providers/model-ref.ts';
import { outboundFetch } from '../providers/outbound-fetch.ts';

const DEFAULT_BASE: Record<Exclude<ProviderName, 'offline' | 'compatible'>, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  google: 'https://generativelanguage.googleapis.com/v1beta',
};

/** fetch wraps connection failures: the refusal is the error or its cause. */
const refusedAddress = (error: unknown): boolean =>
  error instanceof ForbiddenAddressError ||
  (error instanceof Error && error.cause instanceof ForbiddenAddressError);

export type KeyCheck = { ok: true } | { ok: false; reason: string };

/**
 * Asks the vendor whether a key works by listing models (free, no tokens spent). A 401 or 403
 * means the key is wrong; anything else that is not 2xx, or no answer, means we could not tell,
 * and the key is not stored either.
 */
export async function validateProviderKey(
  provider: Exclude<ProviderName, 'offline'>,
  apiKey: string,
  baseURL: string | undefined,
  timeoutMs = 10_000,
): Promise<KeyCheck> {
  const base = (baseURL ?? (provider === 'compatible' ? '' : DEFAULT_BASE[provider])).replace(
    /\/+$/,
    '',
  );
  if (!base) return { ok: false, reason: 'a base URL is required for an OpenAI-compatible server' };
  const headers: Record<string, string> =
    provider === 'anthropic'
      ? { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' }
      : provider === 'google'
        ? { 'x-goog-api-key': apiKey }
        : { authorization: `Bearer ${apiKey}` };
  try {
    const response = await outboundFetch(`${base}/models`, {
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    if (response.ok) return { ok: true };
    if (response.status === 401 || response.status === 403)
      return { ok: false, reason: `the provider rejected the key (HTTP ${response.status})` };
    return {
      ok: false,
      reason: `the provider answered HTTP ${response.status}; the key could not be checked`,
    };
  } catch (error) {
    if (refusedAddress(error))
      return { ok: false, reason: 'the provider URL resolves to a forbidden address' };
    const why =
      error instanceof Error && error.name === 'TimeoutError'
        ? 'timed out'
        : 'could not be reached';
    return { ok: false, reason: `the provider ${why}; the key could not be checked` };
  }
}
