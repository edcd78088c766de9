import { EmbeddingError, type EmbeddingProvider } from './errors.ts';
import { createLocalEmbedder } from './local.ts';
import { createOpenAIEmbedder } from './openai.ts';
import type { RemoteEmbedderOptions } from './remote.ts';
import type { Embedder } from './types.ts';
import { createVoyageEmbedder } from './voyage.ts';

export {
  EmbeddingError,
  type EmbeddingErrorReason,
  type EmbeddingProvider,
} from './errors.ts';
export {
  createLocalEmbedder,
  DEFAULT_SEMANTIC_WEIGHT,
  type LocalEmbedderOptions,
  prepareLocalEmbedder,
} from './local.ts';
export {
  createOpenAIEmbedder,
  OPENAI_DEFAULT_BASE_URL,
  OPENAI_DEFAULT_MODEL,
  type OpenAIEmbedderOptions,
} from './openai.ts';
export type { RemoteEmbedderOptions } from './remote.ts';
export { EMBEDDING_DIMENSIONS, type Embedder, type EmbedKind } from './types.ts';
export {
  createVoyageEmbedder,
  VOYAGE_DEFAULT_BASE_URL,
  VOYAGE_DEFAULT_MODEL,
  type VoyageEmbedderOptions,
} from './voyage.ts';

export type EmbedderOptions = {
  provider: EmbeddingProvider;
  /** Required for voyage and openai. */
  apiKey?: string;
  /** The provider's API root including its version (default https://api.voyageai.com/v1 or https://api.openai.com/v1). */
  baseUrl?: string;
  /** Remote model (default voyage-3 or text-embedding-3-small); the local model is fixed. */
  model?: string;
  /** local: where the word-vector cache lives. */
  cacheDir?: string;
  /** local: share of the similarity from word vectors, 0..1 (default 0.35). */
  semanticWeight?: number;
} & Pick<RemoteEmbedderOptions, 'timeoutMs' | 'maxAttempts' | 'retryBaseMs' | 'maxRetryAfterMs'>;

/** The configured embedder. Remote providers need an API key; the local one needs nothing. */
export function createEmbedder(options: EmbedderOptions): Embedder {
  const { provider, apiKey, cacheDir, semanticWeight, ...remote } = options;
  switch (provider) {
    case 'local':
      return createLocalEmbedder({
        ...(cacheDir !== undefined ? { cacheDir } : {}),
        ...(semanticWeight !== undefined ? { semanticWeight } : {}),
      });
    case 'voyage':
    case 'openai': {
      if (!apiKey?.trim())
        throw new EmbeddingError(
          provider,
          'config',
          `${provider} embeddings need an API key (set ${provider === 'voyage' ? 'VOYAGE_API_KEY' : 'OPENAI_API_KEY'})`,
        );
      const create = provider === 'voyage' ? createVoyageEmbedder : createOpenAIEmbedder;
      return create({ ...remote, apiKey });
    }
    default:
      throw new EmbeddingError(
        'local',
        'config',
        `unknown embedding provider ${JSON.stringify(provider satisfies never)}`,
      );
  }
}
