import type { Block } from './blocks.ts';

export type Chunk = {
  /** 0-based position in the document. */
  index: number;
  content: string;
  /** Headings above the chunk, outermost first. */
  headingPath: string[];
  /** Page the chunk starts on, when the source has pages. */
  page?: number;
};

export type ChunkOptions = {
  /** Aim for chunks of about this many characters. */
  targetChars?: number;
  /** Characters of trailing context repeated at the start of the next chunk of a section. */
  overlapChars?: number;
};

/** Splits one oversized block at its natural seams: rows, items, lines, then sentences. */
function splitBlock(block: Block, target: number): string[] {
  const text = block.text;
  if (text.length <= target) return [text];
  if (block.kind === 'table') {
    const rows = text.split('\n');
    const header = rows.slice(0, 2).join('\n'); // header row and its separator repeat in each part
    return pack(rows.slice(2), target - header.length - 1, '\n').map(
      (part) => `${header}\n${part}`,
    );
  }
  if (block.kind === 'list')
    return pack(text.split(/\n(?=\s{0,3}(?:[-*+]|\d+[.)])\s)/), target, '\n');
  if (block.kind === 'code') return pack(text.split('\n'), target, '\n');
  // A sentence ends at . ! or ? followed by whitespace, so "./Server.md" or "e.g." inside
  // words stays whole; the pieces rejoin with the single space they were split at.
  const sentences = text.split(/(?<=[.!?]["')\]]*)\s+|\s*\n\s*/);
  return pack(sentences.filter(Boolean), target, ' ');
}

/** Greedily joins pieces up to `target` characters; a single piece longer than that is cut. */
function pack(pieces: string[], wanted: number, joiner: string): string[] {
  // A table header wider than the target leaves little room; never less than 100 characters
  // (a target of zero or below would never advance).
  const target = Math.max(wanted, 100);
  const out: string[] = [];
  let current = '';
  for (const piece of pieces) {
    for (let start = 0; start < Math.max(piece.length, 1); start += target) {
      const part = piece.slice(start, start + target);
      if (current && current.length + joiner.length + part.length > target) {
        out.push(current);
        current = part;
      } else current = current ? `${current}${joiner}${part}` : part;
    }
  }
  if (current) out.push(current);
  return out;
}

/** The last whole sentences (or words) of a chunk, about `chars` long, to lead the next. */
function tail(text: string, chars: number): string {
  if (chars <= 0 || text.length <= chars) return chars <= 0 ? '' : text;
  const slice = text.slice(-chars);
  const sentence = slice.search(/[.!?]\s+\S/);
  if (sentence >= 0) return slice.slice(sentence + 1).trim();
  const word = slice.indexOf(' ');
  return (word >= 0 ? slice.slice(word + 1) : slice).trim();
}

/**
 * Structure-aware chunking: a heading or a new page always starts a new chunk; blocks under it gather into
 * chunks of about `targetChars`; a block that does not fit is split at its own seams; chunks
 * after the first in a section start with a little overlap from the one before.
 */
export function chunkBlocks(blocks: Block[], options: ChunkOptions = {}): Chunk[] {
  const target = options.targetChars ?? 1000;
  const overlap = Math.min(options.overlapChars ?? 150, Math.floor(target / 4));
  const chunks: Chunk[] = [];
  const path: { level: number; text: string }[] = [];
  let parts: string[] = [];
  let page: number | undefined;
  let carry = '';

  const flush = (continues: boolean) => {
    const body = parts.join('\n\n').trim();
    if (body) {
      chunks.push({
        index: chunks.length,
        content: carry ? `${carry}\n\n${body}` : body,
        headingPath: path.map((h) => h.text),
        ...(page !== undefined ? { page } : {}),
      });
      carry = continues ? tail(body, overlap) : '';
    }
    parts = [];
    page = undefined;
  };
  const size = () => parts.reduce((n, p) => n + p.length + 2, carry.length);

  for (const block of blocks) {
    if (block.kind === 'heading') {
      flush(false);
      carry = '';
      while (path.length && (path.at(-1)?.level ?? 0) >= block.level) path.pop();
      path.push({ level: block.level, text: block.text });
      continue;
    }
    // A new page starts a new chunk, so a citation's page number covers the whole passage.
    if (parts.length && block.page !== undefined && page !== undefined && block.page !== page)
      flush(true);
    for (const piece of splitBlock(block, target - overlap)) {
      if (parts.length && size() + piece.length > target) flush(true);
      if (!parts.length) page = block.page;
      parts.push(piece);
    }
  }
  flush(false);
  return chunks;
}
