import type { Citation } from '@platform/db/schema';
import type { SearchResult } from '@platform/knowledge';

/** The passages an answer cites with [n] markers, in order of first citation. */
export function citationsIn(text: string, passages: SearchResult[]): Citation[] {
  const seen = new Set<number>();
  const out: Citation[] = [];
  for (const match of text.matchAll(/\[(\d{1,2})(?:\s*,\s*(\d{1,2}))*\]/g)) {
    for (const n of match[0].match(/\d+/g) ?? []) {
      const index = Number(n) - 1;
      const passage = passages[index];
      if (!passage || seen.has(index)) continue;
      seen.add(index);
      out.push({
        documentId: passage.documentId,
        chunkId: passage.chunkId,
        title: passage.document,
        snippet: passage.text.slice(0, 240),
      });
    }
  }
  return out;
}
