import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createEmbedder,
  createLocalEmbedder,
  type Embedder,
  EmbeddingError,
  prepareLocalEmbedder,
} from '@platform/knowledge';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenize } from '../src/embed/tokenize.ts';

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);
const norm = (v: number[]) => Math.sqrt(cosine(v, v));

/** cos(query, passage) for each passage, from one embedder. */
async function scores(embedder: Embedder, query: string, ...passages: string[]) {
  const [q, ...ps] = await embedder.embed([query, ...passages], 'document');
  return ps.map((p) => cosine(q ?? [], p));
}

describe('local embedder', () => {
  let embedder: Embedder;
  let lexicalOnly: Embedder;
  beforeAll(async () => {
    embedder = await prepareLocalEmbedder();
    lexicalOnly = await prepareLocalEmbedder({ semanticWeight: 0 });
  });

  it('returns 1024-d unit vectors for every kind of text, and names its version', async () => {
    const texts = [
      'Pino is a very low overhead Node.js logger.',
      'to be or not to be', // only stop words
      '!!! ... ???', // no words at all
      '東京 2024 über café',
      'const child = logger.child({ requestId }); child.info(maxRetries)',
      'word '.repeat(5000),
    ];
    const vectors = await embedder.embed(texts, 'document');
    expect(vectors).toHaveLength(texts.length);
    for (const v of vectors) {
      expect(v).toHaveLength(1024);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(norm(v)).toBeCloseTo(1, 9);
    }
    expect(embedder.model).toBe('local-sg100d-v1');
    expect(embedder.dimensions).toBe(1024);
    expect(lexicalOnly.model).toBe('local-sg100d-v1-w0');
  });

  it('is deterministic across calls, instances and batch shapes, and keeps the order', async () => {
    const texts = ['alpha release notes', 'How do I rotate the API key?', 'servers run hot', 'x'];
    const together = await embedder.embed(texts, 'document');
    const fresh = createLocalEmbedder();
    const oneByOne = await Promise.all(
      texts.map(async (t) => (await fresh.embed([t], 'query'))[0]),
    );
    expect(oneByOne).toEqual(together);
    const reversed = await embedder.embed([...texts].reverse(), 'document');
    expect(reversed.reverse()).toEqual(together);
  });

  it('matches inflections through stemming', async () => {
    const [related, unrelated] = await scores(
      embedder,
      'running the server',
      'servers run',
      'quarterly sales figures for the marketing department',
    );
    expect(related).toBeGreaterThan(0.5);
    expect(related).toBeGreaterThan((unrelated ?? 0) + 0.3);
    // The lexical half alone already sees it: stems, not surface words.
    const [lexical] = await scores(lexicalOnly, 'running the server', 'servers run');
    expect(lexical).toBeGreaterThan(0.5);
  });

  it('ranks a paraphrase with no word in common above an unrelated passage, through word vectors', async () => {
    const cases = [
      [
        'how to hide passwords in the output',
        'Redact sensitive fields such as secrets before the log line is written.',
        'Rotating files daily keeps the disk from filling up.',
      ],
      [
        'the app crashes when it starts',
        'The application fails during startup.',
        'Add a new column to the invoice table.',
      ],
      [
        'reduce memory usage',
        'Lower the RAM consumption of the process.',
        'The meeting is scheduled for Tuesday afternoon.',
      ],
    ] as const;
    for (const [query, paraphrase, unrelated] of cases) {
      const [withVectors, without] = await scores(embedder, query, paraphrase, unrelated);
      expect(withVectors, query).toBeGreaterThan(without ?? 0);
      // Control: with the word-vector half switched off the paraphrase has no edge at all,
      // so the ranking above comes from the word vectors and not from shared words.
      const [lexicalParaphrase, lexicalUnrelated] = await scores(
        lexicalOnly,
        query,
        paraphrase,
        unrelated,
      );
      expect(lexicalParaphrase, query).toBeLessThanOrEqual(lexicalUnrelated ?? 0);
    }
  });

  it('splits identifiers and keeps them whole', async () => {
    expect(tokenize('logger.child getHTTPResponse max_retries')).toEqual({
      words: ['logger', 'child', 'get', 'http', 'response', 'max', 'retries'],
      identifiers: ['logger.child', 'gethttpresponse', 'max_retries'],
      stopWords: [],
    });
    expect(tokenize("The user's config doesn't load").words).toEqual(['user', 'config', 'load']);

    // A question in plain words finds the passage that only names the identifier...
    const [named, other] = await scores(
      embedder,
      'How do I create a child logger?',
      'Call logger.child({ module }) to bind fields to every line.',
      'Set the level option to debug to see everything.',
    );
    expect(named).toBeGreaterThan((other ?? 0) + 0.2);
    // ...and the identifier itself prefers the exact name over the same words apart.
    const [exact, apart] = await scores(
      embedder,
      'logger.child',
      'Use logger.child for request-scoped context.',
      'A child and a logger walk into a bar.',
    );
    expect(exact).toBeGreaterThan(apart ?? 0);
  });

  it('refuses empty texts and bad weights with an EmbeddingError', async () => {
    await expect(embedder.embed(['fine', '  '], 'document')).rejects.toMatchObject({
      name: 'EmbeddingError',
      reason: 'invalid_input',
    });
    expect(() => createEmbedder({ provider: 'local', semanticWeight: 2 })).toThrow(EmbeddingError);
  });

  it('builds the word-vector cache safely when two processes start on an empty directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'embed-cache-'));
    try {
      const script = join(dir, 'build.mts');
      const module = new URL('../src/embed/local.ts', import.meta.url).href;
      await writeFile(
        script,
        `import { prepareLocalEmbedder } from ${JSON.stringify(module)};
const e = await prepareLocalEmbedder({ cacheDir: process.argv[2] });
console.log(JSON.stringify((await e.embed(['rotate the logs'], 'document'))[0]));`,
      );
      const child = promisify(execFile)(process.execPath, ['--import', 'tsx', script, dir], {
        maxBuffer: 1 << 24,
      });
      const here = await prepareLocalEmbedder({ cacheDir: dir });
      const [mine] = await here.embed(['rotate the logs'], 'document');
      const theirs = JSON.parse((await child).stdout) as number[];
      expect(theirs).toEqual(mine);
      // Same vectors as the shared cache, and nothing half-written left behind.
      expect((await embedder.embed(['rotate the logs'], 'document'))[0]).toEqual(mine);
      const files = (await readdir(dir)).filter((f) => f !== 'build.mts');
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/\.bin$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
