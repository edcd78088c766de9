export type DocumentType = 'pdf' | 'docx' | 'html' | 'markdown' | 'csv' | 'text';

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

export type ZipEntry = { name: string; compressed: number; uncompressed: number };

/** A ZIP's central directory: entry names and declared sizes, read without inflating anything. */
export function zipEntries(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // End of central directory record: signature 0x06054b50 within the last 64 KiB + 22 bytes.
  for (let eocd = bytes.length - 22; eocd >= Math.max(0, bytes.length - 65_557); eocd--) {
    if (view.getUint32(eocd, true) !== 0x06054b50) continue;
    const count = view.getUint16(eocd + 10, true);
    let at = view.getUint32(eocd + 16, true);
    const entries: ZipEntry[] = [];
    for (let i = 0; i < count && at + 46 <= bytes.length; i++) {
      if (view.getUint32(at, true) !== 0x02014b50) break;
      const nameLength = view.getUint16(at + 28, true);
      const extra = view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
      entries.push({
        name: new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)),
        compressed: view.getUint32(at + 20, true),
        uncompressed: view.getUint32(at + 24, true),
      });
      at += 46 + nameLength + extra;
    }
    return entries;
  }
  return [];
}

const looksLikeCsv = (text: string) => {
  const lines = text
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .slice(0, 20);
  if (lines.length < 2) return false;
  const commas = lines.map((l) => (l.match(/,/g) ?? []).length);
  return (commas[0] ?? 0) > 0 && commas.every((c) => c === commas[0]);
};

/**
 * The document's type from its bytes. The file name only breaks ties between text formats
 * (a .md file without headings is still Markdown); it never makes binary data text.
 * Returns undefined for content we do not read.
 */
export function sniffType(bytes: Uint8Array, fileName = ''): DocumentType | undefined {
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'pdf'; // %PDF-
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]))
    return zipEntries(bytes).some((e) => e.name === 'word/document.xml') ? 'docx' : undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, 64 * 1024));
  } catch {
    return undefined; // not UTF-8: binary, or a legacy encoding we do not guess at
  }
  if (text.includes('\u0000')) return undefined;
  const head = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .slice(0, 512)
    .toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'html';
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  // Markdown may open with raw HTML (a centred <h1> banner, say) and still be Markdown.
  const markdownHeadings = /^#{1,6} \S/m.test(text);
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  if (/^<(head|body|h1|p|div)[\s>]/.test(head) && !markdownHeadings) return 'html';
  if (markdownHeadings) return 'markdown';
  if (ext === 'csv' || looksLikeCsv(text)) return 'csv';
  return 'text';
}
