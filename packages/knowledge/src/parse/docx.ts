import mammoth from 'mammoth';
import type { ParsedDocument } from '../blocks.ts';
import { ParseError } from '../errors.ts';
import { zipEntries } from '../sniff.ts';
import { parseHtml } from './html.ts';

/** Inflated size a DOCX may claim, in total and relative to its compressed size. */
const MAX_INFLATED = 200 * 1024 * 1024;
const MAX_RATIO = 200;

/**
 * DOCX through mammoth (Word styles become HTML headings, lists and tables), then the HTML
 * reader. The ZIP's declared sizes are checked first, so a zip bomb is refused before
 * anything is inflated.
 */
export async function parseDocx(bytes: Uint8Array): Promise<ParsedDocument> {
  const entries = zipEntries(bytes);
  const inflated = entries.reduce((n, e) => n + e.uncompressed, 0);
  const compressed = entries.reduce((n, e) => n + e.compressed, 0);
  if (
    inflated > MAX_INFLATED ||
    (compressed > 0 && inflated / compressed > MAX_RATIO && inflated > 10 * 1024 * 1024)
  )
    throw new ParseError('too_large', 'The DOCX expands to an implausible size (zip bomb?)');
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: Buffer.from(bytes) })).value;
  } catch (e) {
    throw new ParseError('corrupt', `The DOCX could not be read (${(e as Error).message})`);
  }
  return parseHtml(html);
}
