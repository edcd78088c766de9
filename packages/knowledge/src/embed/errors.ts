export type EmbeddingProvider = 'local' | 'voyage' | 'openai';

export type EmbeddingErrorReason =
  /** Missing or unusable configuration (no API key, unknown provider). */
  | 'config'
  /** A text the provider cannot embed (empty). */
  | 'invalid_input'
  /** 401/403: the key is wrong, revoked or not allowed. */
  | 'auth'
  /** 429 after every retry. */
  | 'rate_limited'
  /** Another 4xx: the request was refused as malformed. */
  | 'rejected'
  /** 5xx, network failure or timeout after every retry. */
  | 'unavailable'
  /** A 2xx whose body is not the vendor's format, or vectors of the wrong size. */
  | 'bad_response'
  /** The word-vector cache could not be built or read. */
  | 'local_model';

/**
 * Embedding failed. The message names the provider and the cause; it never contains the API
 * key or the texts, so it is safe to log (the vendor's own message is kept short and scrubbed).
 */
export class EmbeddingError extends Error {
  constructor(
    readonly provider: EmbeddingProvider,
    readonly reason: EmbeddingErrorReason,
    message: string,
    /** HTTP status of the last response, when there was one. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmbeddingError';
  }
}
