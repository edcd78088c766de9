import { afterAll, describe, expect, it } from 'vitest';
import { ParseError } from '../src/errors.ts';
import { ParserPool } from '../src/parse/isolated.ts';
import { makePdf } from './fixtures.ts';

const enc = (s: string) => new TextEncoder().encode(s);

const pool = new ParserPool({ size: 1 });
const parseIsolated = (
  bytes: Uint8Array,
  fileName: string,
  limits: { timeoutMs?: number; maxMemoryMb?: number } = {},
) =>
  (Object.keys(limits).length ? new ParserPool({ size: 1, ...limits }) : pool).parse(
    bytes,
    fileName,
  );

describe('parsing in worker threads', () => {
  afterAll(() => pool.close());

  it('returns the chunks, type and page count', async () => {
    const result = await parseIsolated(makePdf(['First page.', 'Second page.']), 'x.pdf');
    expect(result.type).toBe('pdf');
    expect(result.pages).toBe(2);
    expect(result.chunks.map((c) => c.page)).toEqual([1, 2]);
  });

  it('passes on the parser reason for an unreadable file', async () => {
    await expect(parseIsolated(enc(''), 'empty.md')).rejects.toMatchObject({ reason: 'empty' });
  });

  it('fails a file that takes too long instead of blocking the process', async () => {
    const error = await parseIsolated(enc('# slow\n\ntext'), 'a.md', { timeoutMs: 1 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ParseError);
    expect(String(error.message)).toMatch(/within/);
  });

  it('fails a file whose parser breaks, without retrying it', async () => {
    // One 20 MB paragraph overflows the Markdown lexer's stack.
    const huge = enc(`# big\n\n${'word '.repeat(4_000_000)}`);
    const error = await parseIsolated(huge, 'big.md').catch((e) => e);
    expect(error).toBeInstanceOf(ParseError);
    expect(error.reason).toBe('corrupt');
  });

  it('keeps serving after a worker is replaced', async () => {
    const broken = await pool
      .parse(enc(`# big\n\n${'word '.repeat(4_000_000)}`), 'big.md')
      .catch((e) => e);
    expect(broken).toBeInstanceOf(ParseError);
    const ok = await pool.parse(enc('# fine\n\nstill works'), 'ok.md');
    expect(ok.chunks[0]?.content).toBe('still works');
  });

  it('fails a file that needs more memory than allowed', async () => {
    const huge = enc(`# big\n\n${'word\n\n'.repeat(1_000_000)}`);
    const error = await parseIsolated(huge, 'big.md', { maxMemoryMb: 16 }).catch((e) => e);
    expect(error).toBeInstanceOf(ParseError);
    expect(error.reason).toBe('too_large');
  });
});
