import { chunkBlocks, ParseError, parseFile, sniffType } from '@platform/knowledge';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { makeDocx, makePdf } from './fixtures.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('type sniffing', () => {
  it('goes by content, not by name', async () => {
    expect(sniffType(makePdf(['x']), 'notes.txt')).toBe('pdf');
    expect(sniffType(await makeDocx([{ text: 'x' }]), 'report.pdf')).toBe('docx');
    expect(sniffType(utf8('<!DOCTYPE html><html><body>x</body></html>'), 'page.md')).toBe('html');
    expect(sniffType(utf8('# Title\n\nBody'), 'readme')).toBe('markdown');
    expect(sniffType(utf8('a,b,c\n1,2,3\n4,5,6\n'), 'data')).toBe('csv');
    expect(sniffType(utf8('Just some words.'), 'notes.txt')).toBe('text');
    expect(sniffType(utf8('Plain words'), 'notes.md')).toBe('markdown'); // name breaks text ties only
    // Markdown that opens with an HTML banner (as Fastify's docs do) is still Markdown...
    const banner = '<h1 align="center">Fastify</h1>\n\n## Lifecycle\n\nText.';
    expect(sniffType(utf8(banner), 'Lifecycle.md')).toBe('markdown');
    expect(sniffType(utf8(banner), 'lifecycle')).toBe('markdown');
    // ...while an HTML fragment without Markdown headings is HTML.
    expect(sniffType(utf8('<p>Hello <b>there</b></p>'), 'frag')).toBe('html');
  });

  it('refuses binary data and other zips whatever their name says', async () => {
    expect(
      sniffType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff, 0xfe]), 'photo.txt'),
    ).toBeUndefined();
    const zip = new JSZip();
    zip.file('a.txt', 'hello');
    expect(
      sniffType(new Uint8Array(await zip.generateAsync({ type: 'uint8array' })), 'a.docx'),
    ).toBeUndefined();
  });
});

describe('parsing files', () => {
  it('reads PDF text per page and keeps the page on every chunk', async () => {
    const parsed = await parseFile(
      makePdf(['Refunds take five days.', 'Invoices are monthly.'], 'Billing FAQ'),
    );
    expect(parsed.type).toBe('pdf');
    expect(parsed.title).toBe('Billing FAQ');
    expect(
      chunkBlocks(parsed.blocks, { targetChars: 30, overlapChars: 0 }).map((c) => [
        c.page,
        c.content,
      ]),
    ).toEqual([
      [1, 'Refunds take five days.'],
      [2, 'Invoices are monthly.'],
    ]);
  });

  it('reads DOCX headings and paragraphs', async () => {
    const parsed = await parseFile(
      await makeDocx([
        { text: 'Travel Policy', style: 'Heading1' },
        { text: 'Book through the portal.' },
        { text: 'Meals', style: 'Heading2' },
        { text: 'Up to 40 EUR a day.' },
      ]),
    );
    expect(parsed.type).toBe('docx');
    const chunks = chunkBlocks(parsed.blocks);
    expect(chunks.map((c) => [c.headingPath.join(' > '), c.content])).toEqual([
      ['Travel Policy', 'Book through the portal.'],
      ['Travel Policy > Meals', 'Up to 40 EUR a day.'],
    ]);
  });

  it('ends bad files with a clear reason', async () => {
    const reason = (p: Promise<unknown>) =>
      p.then(
        () => 'parsed',
        (e: unknown) => (e instanceof ParseError ? e.reason : `unexpected: ${String(e)}`),
      );
    expect(await reason(parseFile(new Uint8Array()))).toBe('empty');
    expect(await reason(parseFile(utf8('  \n\n \n')))).toBe('empty');
    expect(await reason(parseFile(new Uint8Array([0, 1, 2, 3, 0xff])))).toBe('unsupported');
    expect(await reason(parseFile(utf8('%PDF-1.7\nthis is not really a pdf')))).toBe('corrupt');
    // A DOCX whose parts claim to inflate to gigabytes is refused before inflating.
    const bomb = await makeDocx([{ text: 'x' }], {
      'word/media/filler.bin': '0'.repeat(30 * 1024 * 1024),
    });
    expect(await reason(parseFile(bomb))).toBe('too_large');
  });
});
