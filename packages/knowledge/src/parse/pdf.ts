import { extractText, getDocumentProxy } from 'unpdf';
import type { Block, ParsedDocument } from '../blocks.ts';
import { ParseError } from '../errors.ts';

/** PDF text per page (unpdf's build of pdf.js); paragraphs keep their page for citations. */
export async function parsePdf(bytes: Uint8Array): Promise<ParsedDocument & { pages: number }> {
  let pages: string[];
  let title: string | undefined;
  try {
    // pdf.js takes ownership of the buffer it is given, so hand it a copy.
    const doc = await getDocumentProxy(new Uint8Array(bytes));
    const meta = await doc.getMetadata().catch(() => undefined);
    const info = meta?.info as { Title?: unknown } | undefined;
    title = typeof info?.Title === 'string' && info.Title.trim() ? info.Title.trim() : undefined;
    pages = (await extractText(doc, { mergePages: false })).text;
  } catch (e) {
    const name = (e as { name?: string }).name ?? '';
    if (name === 'PasswordException')
      throw new ParseError('encrypted', 'The PDF is password-protected');
    throw new ParseError('corrupt', `The PDF could not be read (${(e as Error).message})`);
  }
  const blocks: Block[] = [];
  pages.forEach((pageText, i) => {
    for (const para of pageText.split(/\n\s*\n/)) {
      const text = para
        .replace(/[ \t]+/g, ' ')
        .replace(/\s*\n\s*/g, ' ')
        .trim();
      if (text) blocks.push({ kind: 'paragraph', text, page: i + 1 });
    }
  });
  return { ...(title ? { title } : {}), blocks, pages: pages.length };
}
