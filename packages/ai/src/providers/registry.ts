import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { ModelRef, ProviderName } from './model-ref.ts';
import { offlineModel } from './offline/model.ts';
import { outboundFetch } from './outbound-fetch.ts';

/** How to reach one vendor: from the environment, or a tenant's own key. */
export interface ProviderCredentials {
  apiKey?: string;
  /** Another endpoint speaking the vendor's API (a proxy, a gateway, a test server). */
  baseURL?: string;
}

export type CredentialsByProvider = Partial<
  Record<Exclude<ProviderName, 'offline'>, ProviderCredentials>
>;

/**
 * The AI SDK model for a reference. OpenAI goes through chat completions (not the Responses
 * API) so every OpenAI-compatible gateway in front of it keeps working; usage is requested in
 * the stream so a streamed answer is still metered.
 */
export function createLanguageModel(
  ref: ModelRef,
  credentials: ProviderCredentials = {},
): LanguageModelV3 {
  const { apiKey, baseURL } = credentials;
  // Another endpoint than the vendor's own: connect only through the outbound address guard.
  const fetch = baseURL ? outboundFetch : undefined;
  // Without a key the vendor SDKs read the process environment: never let a call pick up a
  // key it was not given (a tenant's call must not be billed to the platform's key by accident).
  if (
    (ref.provider === 'openai' || ref.provider === 'anthropic' || ref.provider === 'google') &&
    !apiKey
  )
    throw new Error(`${ref.provider} needs an API key`);
  switch (ref.provider) {
    case 'openai':
      return createOpenAI({ apiKey, baseURL, fetch }).chat(ref.model);
    case 'anthropic':
      return createAnthropic({ apiKey, baseURL, fetch }).languageModel(ref.model);
    case 'google':
      return createGoogleGenerativeAI({ apiKey, baseURL, fetch }).languageModel(ref.model);
    case 'compatible':
      if (!baseURL) throw new Error('compatible models need a base URL (COMPATIBLE_BASE_URL)');
      return createOpenAICompatible({
        name: 'compatible',
        baseURL,
        apiKey,
        fetch,
        includeUsage: true,
      }).chatModel(ref.model);
    case 'offline':
      return offlineModel(ref.model);
  }
}

/** True when a provider can be called with these credentials (offline always can). */
export function isReachable(
  provider: ProviderName,
  credentials: ProviderCredentials | undefined,
): boolean {
  if (provider === 'offline') return true;
  if (provider === 'compatible') return Boolean(credentials?.baseURL);
  return Boolean(credentials?.apiKey);
}
