import { embeddingsUrl, embedInBatches, type RemoteEmbedderOptions, requireKey } from './remote.ts';
import { EMBEDDING_DIMENSIONS, type Embedder, type EmbedKind } from './types.ts';

/**
 * Voyage AI embeddings (https://docs.voyageai.com/reference/embeddings-api):
 * POST {baseUrl}/embeddings { input: string[], model, input_type: 'query' | 'document' }
 * -> { object: 'list', data: [{ object: 'embedding', embedding, index }], model, usage }.
 *
 * voyage-3 is 1024-d natively and takes no output_dimension; the models with flexible
 * dimensions (2048, 1024, 512, 256) are asked for 1024. input_type makes Voyage prepend its
 * retrieval prompt, so queries and documents are embedded differently. Over-long texts are
 * truncated by Voyage (truncation defaults to true).
 */
export const VOYAGE_DEFAULT_MODEL = 'voyage-3';
export const VOYAGE_DEFAULT_BASE_URL = 'https://api.voyageai.com/v1';

/** Models that accept output_dimension (per the API reference). */
const FLEXIBLE_DIMENSIONS = /^voyage-(?:3-large|3\.5|3\.5-lite|code-3|4|4-large|4-lite)$/;

/** Texts per request: the API allows 1,000 (128 in older versions of the reference). */
const MAX_INPUTS = 128;

/** Tokens per request by model; the reference's smallest cap for anything not listed. */
function maxTokens(model: string): number {
  if (/^voyage-(?:3-lite|3\.5-lite|4-lite)$/.test(model)) return 1_000_000;
  if (/^voyage-(?:3|3\.5|4|2)$/.test(model)) return 320_000;
  return 120_000;
}

export type VoyageEmbedderOptions = RemoteEmbedderOptions;

export function createVoyageEmbedder(options: VoyageEmbedderOptions): Embedder {
  const apiKey = requireKey('voyage', options.apiKey);
  const model = options.model ?? VOYAGE_DEFAULT_MODEL;
  const url = embeddingsUrl(options.baseUrl ?? VOYAGE_DEFAULT_BASE_URL);
  // Keep a margin under the cap: our token count is an estimate.
  const tokenBudget = Math.floor(maxTokens(model) * 0.8);
  const flexible = FLEXIBLE_DIMENSIONS.test(model);

  return {
    model: `voyage/${model}`,
    dimensions: EMBEDDING_DIMENSIONS,
    batchSize: MAX_INPUTS,
    embed: (texts: string[], kind: EmbedKind, signal?: AbortSignal) =>
      embedInBatches(
        {
          provider: 'voyage',
          url,
          apiKey,
          maxInputs: MAX_INPUTS,
          tokenBudget,
          body: (batch) => ({
            input: batch,
            model,
            input_type: kind,
            ...(flexible ? { output_dimension: EMBEDDING_DIMENSIONS } : {}),
          }),
        },
        texts,
        options,
        signal,
      ),
  };
}
