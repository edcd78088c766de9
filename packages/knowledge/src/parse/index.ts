import type { ParsedDocument } from '../blocks.ts';
import { ParseError } from '../errors.ts';
import { type DocumentType, sniffType } from '../sniff.ts';
import { parseCsv } from './csv.ts';
import { parseDocx } from './docx.ts';
import { parseHtml } from './html.ts';
import { parseMarkdown } from './markdown.ts';
import { parsePdf } from './pdf.ts';
import { parseText } from './text.ts';

export type ParsedFile = ParsedDocument & { type: DocumentType };

/**
 * Any supported file to blocks: the type is sniffed from the content, empty or unreadable
 * input becomes a ParseError with a reason for the document's owner.
 */
export async function parseFile(bytes: Uint8Array, fileName = ''): Promise<ParsedFile> {
  if (bytes.length === 0) throw new ParseError('empty', 'The file is empty');
  const type = sniffType(bytes, fileName);
  if (!type)
    throw new ParseError(
      'unsupported',
      'Unsupported file type (PDF, DOCX, HTML, Markdown, CSV or text)',
    );
  const parsed =
    type === 'pdf'
      ? await parsePdf(bytes)
      : type === 'docx'
        ? await parseDocx(bytes)
        : (() => {
            const text = new TextDecoder().decode(bytes);
            return type === 'html'
              ? parseHtml(text)
              : type === 'markdown'
                ? parseMarkdown(text)
                : type === 'csv'
                  ? parseCsv(text)
                  : parseText(text);
          })();
  if (!parsed.blocks.length) throw new ParseError('empty', 'The file contains no text');
  return { ...parsed, type };
}
