export type EmbedKind = 'document' | 'query';

export interface Embedder {
  /** Stored on every chunk; a different value means vectors are not comparable and must be re-embedded. */
  readonly model: string;
  readonly dimensions: 1024;
  /** Texts per call that the implementation handles well; callers batch by it. */
  readonly batchSize: number;
  /** Unit vectors (L2 norm 1), one per text, in order. */
  embed(texts: string[], kind: EmbedKind, signal?: AbortSignal): Promise<number[][]>;
}

/** Every embedder produces vectors of this length (the pgvector column's). */
export const EMBEDDING_DIMENSIONS = 1024;
