import {
  embeddingsUrl,
  embedInBatches,
  type RemoteEmbedderOptions,
  requireKey,
  truncateToTokens,
} from './remote.ts';
import { EMBEDDING_DIMENSIONS, type Embedder, type EmbedKind } from './types.ts';

/**
 * OpenAI embeddings (https://platform.openai.com/docs/api-reference/embeddings):
 * POST {baseUrl}/embeddings { input: string[], model, dimensions: 1024, encoding_format: 'float' }
 * -> { object: 'list', data: [{ object: 'embedding', index, embedding }], model, usage }.
 *
 * text-embedding-3 models shorten their vectors to `dimensions` (Matryoshka); the API caps a
 * request at 2,048 inputs and 300,000 tokens, and an input at 8,192 tokens (longer inputs are
 * an error, not truncated, so we cut them first). OpenAI has no query/document distinction.
 */
export const OPENAI_DEFAULT_MODEL = 'text-embedding-3-small';
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

const MAX_INPUTS = 2048;
const MAX_REQUEST_TOKENS = 300_000;
const MAX_INPUT_TOKENS = 8191;
/** Texts per call: large enough to amortise the round trip, small enough to retry cheaply. */
const BATCH_SIZE = 256;

export type OpenAIEmbedderOptions = RemoteEmbedderOptions;

export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const apiKey = requireKey('openai', options.apiKey);
  const model = options.model ?? OPENAI_DEFAULT_MODEL;
  const url = embeddingsUrl(options.baseUrl ?? OPENAI_DEFAULT_BASE_URL);

  return {
    model: `openai/${model}`,
    dimensions: EMBEDDING_DIMENSIONS,
    batchSize: BATCH_SIZE,
    embed: (texts: string[], _kind: EmbedKind, signal?: AbortSignal) =>
      embedInBatches(
        {
          provider: 'openai',
          url,
          apiKey,
          maxInputs: MAX_INPUTS,
          tokenBudget: Math.floor(MAX_REQUEST_TOKENS * 0.8),
          body: (batch) => ({
            input: batch,
            model,
            dimensions: EMBEDDING_DIMENSIONS,
            encoding_format: 'float',
          }),
        },
        // OpenAI rejects an input over its token limit instead of truncating it.
        texts.map((text) => (text.trim() ? truncateToTokens(text, MAX_INPUT_TOKENS) : text)),
        options,
        signal,
      ),
  };
}
