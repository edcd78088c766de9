import type { SearchResult } from '@platform/knowledge';
import { contentStems } from '../text/terms.ts';

/**
 * How well the knowledge base covers a question, 0..1: the largest share of the question's
 * content words that one of the top passages contains. Fused search scores are only comparable
 * within one search, so the router needs this absolute measure instead.
 */
export function retrievalConfidence(question: string, results: SearchResult[]): number {
  const terms = [...new Set(contentStems(question))];
  if (!terms.length) return 1;
  let best = 0;
  for (const r of results.slice(0, 3)) {
    const have = new Set(contentStems(`${r.document} ${r.heading} ${r.text}`));
    best = Math.max(best, terms.filter((t) => have.has(t)).length / terms.length);
  }
  return Math.round(best * 100) / 100;
}
