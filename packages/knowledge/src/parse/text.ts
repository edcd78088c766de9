import type { Block, ParsedDocument } from '../blocks.ts';

/**
 * Plain text to blocks: blank lines separate paragraphs; form feeds (as pdftotext and many
 * exports write them) separate pages, so citations can name the page.
 */
export function parseText(source: string): ParsedDocument {
  const blocks: Block[] = [];
  const pages = source
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\f');
  pages.forEach((page, i) => {
    for (const para of page.split(/\n\s*\n/)) {
      const text = para.trim();
      if (text)
        blocks.push({ kind: 'paragraph', text, ...(pages.length > 1 ? { page: i + 1 } : {}) });
    }
  });
  return { blocks };
}
