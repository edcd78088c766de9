import { createRequire } from 'node:module';
import { EmbeddingError } from './errors.ts';
import { combine, fnv1a, mix32 } from './hash.ts';
import { tokenize } from './tokenize.ts';
import { EMBEDDING_DIMENSIONS, type Embedder, type EmbedKind } from './types.ts';
import { emptyTextIndex } from './vector.ts';
import { loadWordVectors, type WordVectors } from './word-vectors.ts';

/**
 * The embedded default: a deterministic, in-process embedder that needs no network.
 *
 *   vector = [ sqrt(1 - w) * lexical (924 dims) | sqrt(w) * semantic (100 dims) ]
 *
 * Both halves are unit vectors, so the cosine of two texts is
 * (1 - w) * cos_lexical + w * cos_semantic.
 *
 * - lexical: signed feature hashing of Porter2 stems (weight (1 + ln tf) * idf), of stem
 *   bigrams (at half weight) and of whole identifiers (`logger.child`). idf = ln(1 + rank) from
 *   the word's frequency rank in the word-vector vocabulary (Zipf's law), so "use" or "new"
 *   count for less than "redis" without a corpus to count. (On the pino-docs retrieval
 *   questions in bench/retrieval it lifts MRR from ~0.35 with plain tf to ~0.6.)
 * - semantic: SIF (smooth inverse frequency) average of word vectors, sum of
 *   a / (a + p(w)) * v(w) with p(w) = 1 / (rank * H_N) from Zipf's law, over vectors that were
 *   unit-normalised and had their common components removed (see word-vectors.ts). This is
 *   what lets "hide passwords" find "mask credentials" with no word in common.
 */

export const LEXICAL_DIMENSIONS = 924;
export const SEMANTIC_DIMENSIONS = 100;

/**
 * Default share of the cosine from word vectors. Averaged word vectors are coarse: any two
 * passages on the same broad subject score high, and they cannot tell "enable X" from "disable
 * X". Exact terms (stems, names, identifiers) are what users search a knowledge base by, so the
 * lexical half leads; 0.35 is enough for the semantic half to rank a paraphrase with no shared
 * word above an unrelated passage, while one shared rare term still outweighs a loose topical
 * match.
 */
export const DEFAULT_SEMANTIC_WEIGHT = 0.35;

/** Bump on any change that alters vectors (tokenizer, weights, hashing, vocabulary). */
const MODEL_VERSION = 'local-sg100d-v1';

export type LocalEmbedderOptions = {
  /** Where the compact word-vector cache lives (default `<repo>/node_modules/.cache/platform-knowledge`). */
  cacheDir?: string;
  /** w in [0, 1]: share of the cosine from word vectors (default 0.35); 0 is purely lexical. */
  semanticWeight?: number;
};

/** Internal knobs, fixed for a model version. */
export type LocalParameters = {
  semanticWeight: number;
  /** SIF smoothing a: words far more frequent than a are discounted. */
  sifA: number;
  /** Weight of a stem bigram relative to a unigram. */
  bigramWeight: number;
  /** Weight of a whole identifier relative to a unigram. */
  identifierWeight: number;
};

export const DEFAULT_PARAMETERS: LocalParameters = {
  semanticWeight: DEFAULT_SEMANTIC_WEIGHT,
  sifA: 1e-3,
  bigramWeight: 0.5,
  identifierWeight: 0.7,
};

const require = createRequire(import.meta.url);
const stem = require('wink-porter2-stemmer') as (word: string) => string;

type WordInfo = {
  /** Hash of the stem: the lexical feature. */
  hash: number;
  idf: number;
  /** Slot in the word vectors, or -1 when the word has none. */
  slot: number;
  /** SIF weight a / (a + p(w)). */
  sif: number;
};

/**
 * Zipf's law makes a word's probability ~ 1 / rank, so -ln p(w) = ln(rank) + const: an idf
 * from the frequency rank alone, 0.7 for "the", 9.2 for the 10,000th word, 12.7 for the rarest.
 */
const idfOf = (rank: number) => Math.log(1 + rank);

type Feature = { tf: number; idf: number; scale: number };

const bucketOf = (hash: number) => hash % LEXICAL_DIMENSIONS;
// The sign comes from an independent remix, so collisions cancel on average instead of adding up.
const signOf = (hash: number): 1 | -1 => (mix32(hash ^ 0x5bd1e995) & 1 ? 1 : -1);
/** Marks the vector of a text with no words at all (punctuation, whitespace). */
const NOTHING = fnv1a('\u0000nothing');
const WORD_CACHE_LIMIT = 200_000;

/** Turns texts into vectors with a loaded vocabulary; pure and synchronous. */
export function createVectorizer(vectors: WordVectors, parameters: LocalParameters) {
  const { dimensions, ranks, scales } = vectors;
  if (dimensions !== SEMANTIC_DIMENSIONS)
    throw new EmbeddingError(
      'local',
      'local_model',
      `local embedder: ${dimensions}-d word vectors`,
    );
  const int8 = vectors.vectors;
  const harmonic = Math.log(vectors.sourceSize) + 0.5772; // H_N, the Zipf normaliser
  const lexicalScale = Math.sqrt(1 - parameters.semanticWeight);
  const semanticScale = Math.sqrt(parameters.semanticWeight);
  const words = new Map<string, WordInfo>();

  const infoFor = (word: string): WordInfo => {
    let info = words.get(word);
    if (info) return info;
    const slot = vectors.slots.get(word) ?? -1;
    // Words outside the kept vocabulary are rarer than all of it.
    const rank = slot >= 0 ? (ranks[slot] ?? vectors.sourceSize) : vectors.sourceSize;
    const p = 1 / (rank * harmonic);
    const hash = mix32(fnv1a(stem(word)));
    info = {
      hash,
      idf: idfOf(rank),
      slot,
      sif: parameters.sifA / (parameters.sifA + p),
    };
    if (words.size >= WORD_CACHE_LIMIT) words.clear();
    words.set(word, info);
    return info;
  };

  // Whole identifiers are specific by nature: they weigh like the rarest words.
  const identifierIdf = idfOf(vectors.sourceSize);

  return (text: string): number[] => {
    const tokens = tokenize(text);
    const sequence = tokens.words.length ? tokens.words : tokens.stopWords;
    // Feature hash -> tf, summed idf and scale; weight = (1 + ln tf) * mean idf * scale.
    const features = new Map<number, Feature>();
    const add = (hash: number, idf: number, scale: number) => {
      const feature = features.get(hash);
      if (feature) {
        feature.tf += 1;
        feature.idf += idf;
      } else features.set(hash, { tf: 1, idf, scale });
    };
    const semantic = new Float64Array(dimensions);
    let previous: WordInfo | undefined;
    for (const word of sequence) {
      const info = infoFor(word);
      add(info.hash, info.idf, 1);
      if (previous)
        add(
          combine(previous.hash, info.hash),
          (previous.idf + info.idf) / 2,
          parameters.bigramWeight,
        );
      previous = info;
      if (info.slot >= 0) {
        const weight = info.sif * (scales[info.slot] ?? 0);
        const at = info.slot * dimensions;
        for (let d = 0; d < dimensions; d++)
          semantic[d] = (semantic[d] ?? 0) + weight * (int8[at + d] ?? 0);
      }
    }
    for (const identifier of tokens.identifiers)
      add(mix32(fnv1a(identifier)), identifierIdf, parameters.identifierWeight);
    if (features.size === 0) features.set(NOTHING, { tf: 1, idf: 1, scale: 1 });

    const out = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
    let lexicalNorm = 0;
    for (const [hash, { tf, idf, scale }] of features) {
      const weight = (1 + Math.log(tf)) * (idf / tf) * scale;
      const bucket = bucketOf(hash);
      out[bucket] = (out[bucket] ?? 0) + signOf(hash) * weight;
    }
    for (let i = 0; i < LEXICAL_DIMENSIONS; i++) lexicalNorm += (out[i] ?? 0) ** 2;
    let semanticNorm = 0;
    for (let d = 0; d < dimensions; d++) semanticNorm += (semantic[d] ?? 0) ** 2;
    // A half with nothing in it (no known word) leaves the whole vector to the other half.
    const hasSemantic = semanticNorm > 0 && parameters.semanticWeight > 0;
    const hasLexical = lexicalNorm > 0 && (parameters.semanticWeight < 1 || !hasSemantic);
    if (!hasLexical && !hasSemantic) {
      // Every feature cancelled out in its bucket: vanishingly rare, but still a unit vector.
      out.fill(0);
      out[bucketOf(NOTHING)] = 1;
      return out;
    }
    const lexicalFactor = hasLexical
      ? (hasSemantic ? lexicalScale : 1) / Math.sqrt(lexicalNorm)
      : 0;
    const semanticFactor = hasSemantic
      ? (hasLexical ? semanticScale : 1) / Math.sqrt(semanticNorm)
      : 0;
    for (let i = 0; i < LEXICAL_DIMENSIONS; i++) out[i] = (out[i] ?? 0) * lexicalFactor;
    for (let d = 0; d < SEMANTIC_DIMENSIONS; d++)
      out[LEXICAL_DIMENSIONS + d] = (semantic[d] ?? 0) * semanticFactor;
    return out;
  };
}

function parametersFor(options: LocalEmbedderOptions): LocalParameters {
  const w = options.semanticWeight ?? DEFAULT_SEMANTIC_WEIGHT;
  if (!(w >= 0 && w <= 1))
    throw new EmbeddingError('local', 'config', 'local embedder: semanticWeight must be in [0, 1]');
  return { ...DEFAULT_PARAMETERS, semanticWeight: w };
}

/** The model name: the version, plus the weight when it is not the default (it changes vectors). */
function modelName(parameters: LocalParameters): string {
  return parameters.semanticWeight === DEFAULT_SEMANTIC_WEIGHT
    ? MODEL_VERSION
    : `${MODEL_VERSION}-w${parameters.semanticWeight}`;
}

class LocalEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions = EMBEDDING_DIMENSIONS;
  // Pure CPU work: a batch only bounds how long one call holds the event loop (~50 ms).
  readonly batchSize = 128;
  private vectorize: Promise<(text: string) => number[]> | undefined;

  constructor(private readonly options: LocalEmbedderOptions) {
    this.model = modelName(parametersFor(options));
  }

  /** Loads (building on first use) the word vectors; safe to call more than once. */
  ready(): Promise<(text: string) => number[]> {
    this.vectorize ??= loadWordVectors({ cacheDir: this.options.cacheDir }).then((vectors) =>
      createVectorizer(vectors, parametersFor(this.options)),
    );
    // A failed load is retried by the next call rather than cached.
    this.vectorize.catch(() => {
      this.vectorize = undefined;
    });
    return this.vectorize;
  }

  // Symmetric: queries and documents are embedded alike.
  async embed(texts: string[], _kind: EmbedKind, signal?: AbortSignal): Promise<number[][]> {
    const empty = emptyTextIndex(texts);
    if (empty >= 0)
      throw new EmbeddingError('local', 'invalid_input', `local embedder: text ${empty} is empty`);
    const vectorize = await this.ready();
    signal?.throwIfAborted();
    return texts.map((text) => vectorize(text));
  }
}

/** The local embedder; the word vectors load on the first `embed` (or `prepareLocalEmbedder`). */
export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  return new LocalEmbedder(options);
}

/**
 * Builds the word-vector cache if needed and loads it, so the first `embed` is fast. A server,
 * a CLI or a test global setup calls this once at start; later calls share the loaded cache.
 */
export async function prepareLocalEmbedder(options: LocalEmbedderOptions = {}): Promise<Embedder> {
  const embedder = new LocalEmbedder(options);
  await embedder.ready();
  return embedder;
}
