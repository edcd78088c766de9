import { chunkBlocks, parseMarkdown, parseText } from '@platform/knowledge';
import { describe, expect, it } from 'vitest';

const sentence = (i: number) =>
  `Sentence number ${i} explains one more detail about the widget settings.`;
const paragraph = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => sentence(from + i)).join(' ');

describe('markdown parsing and structure-aware chunking', () => {
  it('keeps the heading path of every chunk and starts a chunk at every heading', () => {
    const md = [
      '# Admin Guide',
      'Intro to the guide.',
      '## Install',
      'Run the installer.',
      '## Configure',
      '### Environment',
      'Set `PORT` before starting.',
      '## Uninstall',
      'Remove the folder.',
    ].join('\n\n');
    const doc = parseMarkdown(md);
    expect(doc.title).toBe('Admin Guide');
    const chunks = chunkBlocks(doc.blocks);
    expect(chunks.map((c) => [c.headingPath.join(' > '), c.content])).toEqual([
      ['Admin Guide', 'Intro to the guide.'],
      ['Admin Guide > Install', 'Run the installer.'],
      ['Admin Guide > Configure > Environment', 'Set `PORT` before starting.'],
      ['Admin Guide > Uninstall', 'Remove the folder.'],
    ]);
    expect(chunks.map((c) => c.index)).toEqual([0, 1, 2, 3]);
  });

  it('splits a long section near the target size, with overlap, losing no sentence', () => {
    const md = `# Long\n\n${paragraph(0, 20)}\n\n${paragraph(20, 20)}\n\n${paragraph(40, 20)}`;
    const chunks = chunkBlocks(parseMarkdown(md).blocks, { targetChars: 1000, overlapChars: 150 });
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    for (const c of chunks) expect(c.content.length).toBeLessThanOrEqual(1000 + 150);
    for (let i = 0; i < 60; i++)
      expect(
        chunks.some((c) => c.content.includes(sentence(i))),
        `sentence ${i}`,
      ).toBe(true);
    // The second chunk opens with the end of the first.
    const [first, second] = chunks;
    const opening = second?.content.split('\n\n')[0] ?? '';
    expect(opening.length).toBeGreaterThan(0);
    expect(first?.content.endsWith(opening)).toBe(true);
  });

  it('keeps a list and a table whole when they fit', () => {
    const md = [
      '# Limits',
      '- first item\n- second item\n- third item',
      '| plan | seats |\n| --- | --- |\n| free | 3 |\n| pro | 25 |',
    ].join('\n\n');
    const [chunk] = chunkBlocks(parseMarkdown(md).blocks);
    expect(chunk?.content).toContain('- first item\n- second item\n- third item');
    expect(chunk?.content).toContain('| free | 3 |\n| pro | 25 |');
  });

  it('splits an oversized table by rows and repeats its header in every part', () => {
    const rows = Array.from(
      { length: 80 },
      (_, i) => `| region-${i} | ${i * 7} requests per second |`,
    );
    const md = `# Capacity\n\n| region | throughput |\n| --- | --- |\n${rows.join('\n')}`;
    const chunks = chunkBlocks(parseMarkdown(md).blocks, { targetChars: 600, overlapChars: 0 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks)
      expect(c.content.startsWith('| region | throughput |\n| --- | --- |')).toBe(true);
    for (let i = 0; i < 80; i++)
      expect(chunks.some((c) => c.content.includes(`| region-${i} |`))).toBe(true);
  });

  it('cuts a single unbroken run of text rather than emitting a giant chunk', () => {
    const chunks = chunkBlocks(parseText('x'.repeat(5000)).blocks, {
      targetChars: 1000,
      overlapChars: 0,
    });
    expect(chunks.map((c) => c.content.length)).toEqual([1000, 1000, 1000, 1000, 1000]);
  });
});

describe('plain text', () => {
  it('splits paragraphs on blank lines and pages on form feeds', () => {
    const doc = parseText(
      'First page, first paragraph.\n\nFirst page, second.\fSecond page text.\r\n',
    );
    expect(doc.blocks).toEqual([
      { kind: 'paragraph', text: 'First page, first paragraph.', page: 1 },
      { kind: 'paragraph', text: 'First page, second.', page: 1 },
      { kind: 'paragraph', text: 'Second page text.', page: 2 },
    ]);
    const chunks = chunkBlocks(doc.blocks, { targetChars: 60, overlapChars: 0 });
    expect(chunks.map((c) => c.page)).toEqual([1, 2]);
  });

  it('yields nothing for an empty or blank document', () => {
    expect(chunkBlocks(parseText('').blocks)).toEqual([]);
    expect(chunkBlocks(parseMarkdown('\n\n   \n').blocks)).toEqual([]);
  });
});

describe('tables wider than a chunk', () => {
  it('still splits a table whose header row is longer than the target (regression: it looped forever)', () => {
    const header = `| ${Array.from({ length: 40 }, (_, i) => `column number ${i}`).join(' | ')} |`;
    const rows = Array.from(
      { length: 30 },
      (_, r) => `| ${Array.from({ length: 40 }, (_, i) => `${r}.${i}`).join(' | ')} |`,
    );
    const table = [header, `|${' --- |'.repeat(40)}`, ...rows].join('\n');
    const chunks = chunkBlocks([{ kind: 'table', text: table }], { targetChars: 500 });
    expect(chunks.length).toBeGreaterThan(1);
    const all = chunks.map((c) => c.content).join('\n');
    for (const row of rows) expect(all).toContain(row.slice(0, 20));
  });
});

describe('splitting long paragraphs into sentences', () => {
  it('cuts only at sentence ends and keeps paths, versions and URLs whole', () => {
    const sentence = (i: number) =>
      `Call [close()](./Server.md#close) on v4.2.1 as shown at https://example.com/a.b?x=1 (step ${i}). `;
    const text = Array.from({ length: 40 }, (_, i) => sentence(i)).join('');
    const chunks = chunkBlocks([{ kind: 'paragraph', text }], { targetChars: 600 });
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.content).not.toMatch(/\. \/|Server\. md|4\. 2|a\. b/);
      expect(c.content).toContain('(./Server.md#close)');
    }
  });
});

describe('Markdown headings as citations', () => {
  it('drops link targets and emphasis from heading text', () => {
    const doc = parseMarkdown('# Guide\n\n## [Community](#community) and **core**\n\nText.');
    expect(doc.blocks.filter((b) => b.kind === 'heading').map((b) => b.text)).toEqual([
      'Guide',
      'Community and core',
    ]);
  });
});
